"""The `translations` command: a status table of every text and UI string, and marking files synced."""

from __future__ import annotations

from collections import Counter

from .assemble import group_content
from .environment import make_environment
from .i18n import make_formatters
from .loading import BuildCache, Loaded, load_content
from .model import Problem, Project
from .records import record
from .templatecheck import unused_string_keys
from .translations import Status, set_source_hash, set_string_hashes, string_hash, string_statuses, strings_of


@record
class TranslationReport:
    """Every item × language with its state, and the UI strings no template uses."""

    langs: tuple[str, ...]
    source_lang: str
    statuses: tuple[Status, ...]
    unused_keys: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Return True when every cell is present."""
        return all(s.state == "present" for s in self.statuses)


def translation_report(project: Project, cache: BuildCache) -> TranslationReport | list[Problem]:
    """Return the translation status of the project, or the problems that prevent reading it."""
    loaded = load_content(project, None, cache)
    if not isinstance(loaded, Loaded):
        return loaded
    content, _ = group_content(loaded.parsed, loaded.config)
    statuses = (*content.statuses, *string_statuses(loaded.catalogues, loaded.config))
    strings = {lang: strings_of(doc) for lang, (_, doc) in loaded.catalogues.items()}
    unused = unused_string_keys(make_environment(project, make_formatters), project, strings)
    return TranslationReport(loaded.config.lang_codes, loaded.config.source_lang, statuses, tuple(unused))


def format_report(report: TranslationReport) -> str:
    """Return the table: one row per page or string key, one column per language."""
    rows: dict[str, dict[str, str]] = {}
    for status in report.statuses:
        rows.setdefault(status.item, {})[status.lang] = status.state
    heads = [f"{lang} (source)" if lang == report.source_lang else lang for lang in report.langs]
    width = max([len(item) for item in rows] + [4])
    columns = [max(len(h), len("orphaned")) for h in heads]
    lines = [f"{'item':<{width}}  " + "  ".join(f"{h:<{w}}" for h, w in zip(heads, columns, strict=True)).rstrip()]
    for item in sorted(rows, key=lambda i: (i.startswith("strings:"), i)):
        cells = "  ".join(f"{rows[item].get(lang, ''):<{w}}" for lang, w in zip(report.langs, columns, strict=True))
        lines.append(f"{item:<{width}}  {cells}".rstrip())
    counts = Counter(s.state for s in report.statuses)
    lines.append("")
    lines.append(", ".join(f"{counts[state]} {state}" for state in ("present", "missing", "stale", "orphaned")))
    if report.unused_keys:
        lines.append("unused UI strings (no template uses them): " + ", ".join(report.unused_keys))
    return "\n".join(lines)


def plan_mark_synced(
    project: Project, cache: BuildCache, paths: list[str],
) -> tuple[list[tuple[str, str]], list[Problem]]:
    """Return the new text of each translation marked as synced with its source, or the problems."""
    loaded = load_content(project, None, cache)
    if not isinstance(loaded, Loaded):
        return [], loaded
    by_path = {p.file.src_path: p for p in loaded.parsed}
    sources = {s.src_path: s.data.decode("utf-8") for s in project.content}
    content, _ = group_content(loaded.parsed, loaded.config)
    source_of = {s.path: s.source_path for s in content.statuses if s.lang != loaded.config.source_lang}
    edits: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for path in paths:
        item = by_path.get(path)
        if item is None or item.data is None:
            problems.append(Problem(path, None, "not a content file that parses",
                                    "give a path such as content/pages/team.fr.md, relative to the project"))
        elif item.file.lang == loaded.config.source_lang:
            problems.append(Problem(path, None, "this is a source-language file",
                                    "mark its translations instead, e.g. the .fr files"))
        elif item.file.kind == "strings":
            _, source_doc = loaded.catalogues[loaded.config.source_lang]
            source = strings_of(source_doc)
            hashes = {k: string_hash(source[k]) for k in strings_of(item.data) if k in source}
            edits.append((path, set_string_hashes(sources[path], hashes)))
        elif item.file.kind == "text" and source_of.get(path) in by_path:
            edits.append((path, set_source_hash(sources[path], by_path[source_of[path]].text_hash)))
        else:
            problems.append(Problem(path, None, "this file has no source-language text to sync with",
                                    f"create {source_of.get(path, 'the source text')} first"))
    return edits, problems
