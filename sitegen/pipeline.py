"""The build: load → parse → validate → assemble → render → write. Never prints."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from .assemble import assemble_site
from .config import legal_notice_problems, make_config
from .fingerprint import template_names
from .i18n import check_catalogues
from .ids import template_ids
from .jobs import Minimums, load_minimums
from .links import SiteLinks, site_link_problems
from .model import BuildResult, Problem, Project, SetupError, Site, SiteConfig, Source, YamlData
from .parallel import map_chunks
from .parse import LazyConverter, ParseCache, Parsed, cache_key, parse_cached, parse_file
from .record import Recorder
from .render import (
    StringKeys,
    check_templates,
    make_environment,
    render_site,
    string_keys_in_templates,
    undefined_string_keys,
)
from .schema import LazyValidators, Validators
from .sources import SITE_FILE, ContentFile, classify, read_project
from .translations import status_problems, string_statuses, strings_of
from .typography import typeset_plain
from .write import (
    InPlace,
    Sink,
    kept_fingerprints,
    output_lock,
    real_output,
    staged,
    unsafe_destinations,
    unsafe_output,
)


@dataclass(slots=True)
class BuildCache:
    """What a long-running process (serve) keeps between builds: parses by (path, hash)."""

    parsed: ParseCache = field(default_factory=dict)
    validators: Validators | None = None
    minimums: Minimums | None = None
    string_keys: dict[tuple[str, ...], StringKeys] = field(default_factory=dict)
    template_names: dict[tuple[str, ...], dict[str, frozenset[str]]] = field(default_factory=dict)
    templates: jinja2.BytecodeCache | None = None
    descriptions: MutableMapping[str, str] = field(default_factory=dict)  # page fingerprint → posting description
    environment: tuple[tuple[tuple[str, str], ...], jinja2.Environment] | None = None  # the last templates' (serve)
    converter: LazyConverter = field(default_factory=LazyConverter)  # one Markdown instance, made on first use
    recorder: Recorder | None = None  # keeps each build's record, so that a build with nothing changed does nothing
    current: set[tuple[str, str]] | None = None  # (path, SHA-256) of the content files the last build read
    changed: bool = False  # True once what templates use changed (the disk cache needs saving)
    jobs: int = 1  # worker processes for parsing and rendering; the output is the same for any number
    timings: list[tuple[str, float]] = field(default_factory=list)  # seconds per stage of the last build
    progress: Callable[[str, int, int], None] | None = None  # told (stage, done, total) as parsing and rendering go

    def time(self, stage: str, started: float) -> float:
        """Record that `stage` ran from `started` until now; return now."""
        now = time.perf_counter()
        self.timings.append((stage, now - started))
        return now


def build(root: Path, out: Path | None, base_url: str | None = None,
          cache: BuildCache | None = None, strict: bool = False, today: dt.date | None = None,
          preview: bool = False, live: bool = False, project: Project | None = None) -> BuildResult:
    """Build the project at `root` into `out` (None: check only); write nothing on errors.

    `preview` builds a copy that search engines must never index; `live` builds for `serve`, which
    may pass the `project` it already read.
    """
    if out is not None and (reason := unsafe_output(out, root)):
        return BuildResult((), (Problem(str(out), None, "unsafe output folder", reason),))
    cache = cache or BuildCache()
    cache.timings.clear()
    started = time.perf_counter()
    project = project or read_project(root)
    cache.current = {(s.src_path, s.digest) for s in project.content}
    cache.time("read", started)
    today = today or build_date()
    recorder = cache.recorder if out is not None else None
    key = recorder.key(project, base_url, today, (strict, preview, live)) if recorder is not None else ""
    if recorder is not None and out is not None:
        with output_lock(real_output(out)):
            same = recorder.replay(out, key)
        if same is not None:
            return same  # the output is already what this build would write
    if out is None:
        result = compile_site(project, base_url, cache, strict, today=today, preview=preview, live=live)
    else:
        with staged(out) as staging:  # pages go to disk as they are rendered; the swap happens only on success
            previous = kept_fingerprints(out) if out.exists() else {}
            result = compile_site(project, base_url, cache, strict, today=today, previous=previous, preview=preview,
                                  live=live, sink=staging.place)
            if result.ok:
                started = time.perf_counter()
                staging.commit()
                cache.time("write", started)
                if recorder is not None:
                    recorder.keep(out, key, result)
    _forget_parses(cache, project)
    return result


def build_in_place(project: Project, writer: InPlace, base_url: str | None, cache: BuildCache,
                   today: dt.date | None = None) -> BuildResult:
    """Rebuild `project` for `serve` into the folder `writer` updates in place, rendering only what changed.

    The previous build's pages are known from `writer`, so nothing is read back from the folder; on
    errors, no file is written unless a template failed on some page (the preview shows the errors).
    """
    cache.timings.clear()
    with output_lock(writer.out):
        result = compile_site(project, base_url, cache, today=today, previous=writer.fingerprints, live=True,
                              sink=writer.place)
        if result.ok:
            writer.commit()
        else:
            writer.abandon()
    _forget_parses(cache, project)
    return result


def _forget_parses(cache: BuildCache, project: Project) -> None:
    """Keep in the cache only the parses of the files the project has now."""
    current = {(s.src_path, s.digest) for s in project.content}
    for key in [key for key in cache.parsed if (key[0], key[1]) not in current]:
        del cache.parsed[key]
    cache.current = current


def compile_site(
    project: Project, base_url: str | None, cache: BuildCache, strict: bool = False, check_only: bool = False,
    today: dt.date | None = None, previous: Mapping[str, str] | None = None, preview: bool = False,
    live: bool = False, sink: Sink | None = None,
) -> BuildResult:
    """Return the built files and every problem, from the project's sources and the build date.

    Under `strict`, warnings (missing or stale translations, …) are errors; notices stay notices.
    `check_only` skips the finishing steps that cannot find problems (typography, sitemap, feeds).
    `today` decides which postings are closed; by default it is `build_date()`. Pages whose fingerprint
    `previous` (dest path → fingerprint of the previous output) records are kept rather than rendered.
    """
    result = _compile(project, base_url, cache, check_only, today or build_date(), previous or {}, preview, live,
                      sink)
    if strict and not preview and (placeholder := _placeholder_base_url(project, base_url)):
        result = replace(result, problems=(*result.problems, placeholder), outputs=())
    if not strict or not result.problems:
        return result
    problems = [replace(p, severity="error") if p.severity == "warning" else p for p in result.problems]
    return _failed(problems) if any(p.severity == "error" for p in problems) else result


@dataclass(frozen=True, slots=True)
class Loaded:
    """The parsed content of a project, before assembly."""

    config: SiteConfig
    parsed: tuple[Parsed, ...]
    catalogues: Mapping[str, tuple[str, YamlData]]
    problems: tuple[Problem, ...]


def load_content(project: Project, base_url: str | None, cache: BuildCache) -> Loaded | list[Problem]:
    """Return the parsed, schema-checked content, or the problems that stop everything."""
    loaded = _load(project, base_url, cache)
    if isinstance(loaded, Loaded):
        return replace(loaded, problems=(*project.problems, *loaded.problems))
    return [*project.problems, *loaded]


def _load(project: Project, base_url: str | None, cache: BuildCache) -> Loaded | list[Problem]:
    """Return the parsed content of the files read, or the problems that stop everything."""
    if cache.validators is None:
        cache.validators = LazyValidators()
    validators, convert = cache.validators, cache.converter
    by_path = {s.src_path: s for s in project.content}
    if SITE_FILE not in by_path:
        return [Problem(SITE_FILE, None, "missing site configuration",
                        "create it with name, base_url, languages and organisation")]
    site_file = parse_cached(ContentFile(SITE_FILE, "site"), by_path[SITE_FILE], validators, convert, cache.parsed)
    if site_file.data is None:
        return list(site_file.problems)
    config, problems = make_config(site_file.data, base_url)
    if config is None:
        return problems
    problems.extend(legal_notice_problems(config, site_file.data))
    files: list[tuple[ContentFile, Source]] = []
    for source in project.content:
        if source.src_path == SITE_FILE:
            continue
        file = classify(source.src_path, config.lang_codes)
        if isinstance(file, Problem):
            problems.append(file)
            continue
        files.append((file, source))
    _parse_missing(files, validators, convert, cache)
    parsed = [parse_cached(file, source, validators, convert, cache.parsed) for file, source in files]
    problems.extend(p for item in parsed for p in item.problems)
    catalogues = {p.file.lang: (p.file.src_path, p.data) for p in parsed
                  if p.file.kind == "strings" and p.file.lang and p.data is not None}
    problems.extend(status_problems(string_statuses(catalogues, config)))
    return Loaded(config, tuple(parsed), catalogues, tuple(problems))


def _parse_missing(files: list[tuple[ContentFile, Source]], validators: Validators, convert: LazyConverter,
                   cache: BuildCache) -> None:
    """Parse the files the cache does not hold, on `cache.jobs` workers, into the cache."""
    missing = [(file, source) for file, source in files if cache_key(file, source) not in cache.parsed]
    if cache.jobs > 1 and len(missing) > 1:
        validators["site"]  # load the schemas once, before the workers fork
    results = map_chunks(_parse_files, (validators, convert), missing, cache.jobs, progress=_stage(cache, "parse"))
    for (file, source), item in zip(missing, results, strict=True):
        cache.parsed[cache_key(file, source)] = item


def _stage(cache: BuildCache, stage: str) -> Callable[[int, int], None] | None:
    """Return the progress callback of one stage, if the caller wants progress."""
    report = cache.progress
    return None if report is None else lambda done, total: report(stage, done, total)


def _parse_files(context: tuple[Validators, LazyConverter],
                 files: Sequence[tuple[ContentFile, Source]]) -> list[Parsed]:
    """Return the parses of some files (a worker's task)."""
    validators, convert = context
    return [parse_file(file, source, validators, convert) for file, source in files]


def warm_up(cache: BuildCache) -> None:
    """Load now what the first parse would load: the schemas (jsonschema) and the Markdown converter.

    `serve` calls it once it is up, so that the first save after a start from a warm cache is as quick
    as the others.
    """
    if cache.validators is None:
        cache.validators = LazyValidators()
    cache.validators["site"]
    cache.converter("")
    import nh3  # noqa: F401 - the sanitizer every parse of a text uses


def build_date(explicit: str | None = None) -> dt.date:
    """Return the build date: `explicit` (YYYY-MM-DD), else SOURCE_DATE_EPOCH, else today's date.

    This is the only place the build reads a clock.
    """
    if explicit:
        return dt.date.fromisoformat(explicit)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        return dt.date.today()
    if not epoch.isascii() or not epoch.isdigit():
        raise SetupError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC "
                         f"(it is {epoch[:40]!r})")
    try:
        if len(epoch) > 12:
            raise ValueError(epoch)
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    except (OverflowError, ValueError, OSError):
        raise SetupError(f"SOURCE_DATE_EPOCH is too large to be a date (it is {epoch[:40]!r})") from None


def _placeholder_base_url(project: Project, base_url: str | None) -> Problem | None:
    """Return an error when a production build would publish under an example.com-style placeholder address."""
    from urllib.parse import urlsplit

    url = base_url
    if url is None:
        source = next((s for s in project.content if s.src_path == SITE_FILE), None)
        found = re.search(rb"(?m)^base_url:\s*['\"]?([^\s'\"#]+)", source.data) if source else None
        url = found.group(1).decode("utf-8", "replace") if found else None
    host = (urlsplit(url).hostname or "") if url else ""
    if not re.search(r"(^|\.)example\.(com|org|net)$", host):
        return None
    return Problem(SITE_FILE, None, f"base_url is still a placeholder ({url}): a production build needs the "
                   "address the site is published at",
                   "set base_url in _site.yaml, pass --base-url https://…, or build a preview with --preview")


def _compile(project: Project, base_url: str | None, cache: BuildCache, check_only: bool,
             today: dt.date, previous: Mapping[str, str], preview: bool = False, live: bool = False,
             sink: Sink | None = None) -> BuildResult:
    """Return the built files and every problem, warnings included."""
    started = time.perf_counter()
    loaded = load_content(project, base_url, cache)
    started = cache.time("parse", started)
    if not isinstance(loaded, Loaded):
        return _failed(loaded)
    config, problems = replace(loaded.config, preview=preview, live=live), list(loaded.problems)
    strings = {lang: {key: typeset_plain(text, lang) for key, text in strings_of(doc).items()}
               for lang, (_, doc) in loaded.catalogues.items()}
    if cache.minimums is None:
        cache.minimums = load_minimums()
    reserved = template_ids(t.data.decode("utf-8", "replace") for t in project.templates)
    site, assembly_problems = assemble_site(loaded.parsed, config, strings, today, cache.minimums, reserved)
    problems.extend(assembly_problems)
    started = cache.time("assemble", started)
    problems.extend(link_problems(site, loaded.parsed, project))
    env = _environment(project, cache)
    problems.extend(check_templates(env, project))
    template_key = tuple(t.digest for t in project.templates)
    if template_key not in cache.string_keys:
        cache.string_keys = {template_key: string_keys_in_templates(env, project)}
        cache.changed = True
    if template_key not in cache.template_names:
        cache.template_names = {template_key: template_names(env, project)}
        cache.changed = True
    used, _ = cache.string_keys[template_key]
    present = {p.file.lang for p in loaded.parsed if p.file.kind == "strings" and p.file.lang}
    problems.extend(check_catalogues(loaded.catalogues, config.lang_codes, present, used))
    if all(p.data is not None for p in loaded.parsed if p.file.kind == "strings"):
        problems.extend(undefined_string_keys(used, strings))  # else the broken catalogue is the one problem
    started = cache.time("check", started)
    if any(p.severity == "error" for p in problems):
        return _failed(problems)
    outputs, render_problems = render_site(site, env, project, polish=not check_only, jobs=cache.jobs,
                                           previous=previous, progress=_stage(cache, "render"),
                                           names=cache.template_names[template_key], sink=sink,
                                           descriptions=cache.descriptions)
    cache.time("render", started)
    if not check_only:
        _forget_descriptions(cache.descriptions, {o.fingerprint for o in outputs if o.fingerprint})
    render_problems.extend(unsafe_destinations(outputs))
    problems.extend(render_problems)
    if render_problems:
        return _failed(problems)
    per_lang = Counter(page.lang for page in site.pages)
    html_count = sum(1 for o in outputs if o.dest_path.endswith(".html"))
    return BuildResult(
        outputs=tuple(sorted(outputs, key=lambda o: o.dest_path)),
        problems=_sorted(problems),
        pages_per_lang={lang: per_lang[lang] for lang in config.lang_codes},
        page_count=html_count,
        rendered=sum(1 for o in outputs if o.dest_path.endswith(".html") and not o.kept),
    )


def _environment(project: Project, cache: BuildCache) -> jinja2.Environment:
    """Return the Jinja environment of the project's templates: the last build's while they are the same."""
    key = tuple((t.src_path, t.digest) for t in project.templates)
    if cache.environment is None or cache.environment[0] != key:
        cache.environment = (key, make_environment(project, cache.templates))
    return cache.environment[1]


def _forget_descriptions(descriptions: MutableMapping[str, str], current: set[str]) -> None:
    """Drop the descriptions of pages this build no longer has."""
    for fingerprint in [key for key in descriptions if key not in current]:
        del descriptions[fingerprint]


def link_problems(site: Site, parsed: tuple[Parsed, ...], project: Project) -> list[Problem]:
    """Return the problems of links in texts and of people's photos, checked against the built site."""
    base = site.config.base_path
    known = frozenset(
        {"/", "/index.html", "/404.html", "/sitemap.xml"}
        | {"/" + p.url[len(base):] for p in site.pages}
        | {"/" + a.src_path for a in project.assets}
    )
    shown_at = {(p.src_path, p.lang): "/" + p.url[len(base):] for p in site.pages}
    texts = [
        (t.file.src_path, t.file.lang, shown_at.get((t.file.src_path, t.file.lang), f"/{t.file.lang}/"), t.links)
        for t in parsed if t.file.kind == "text" and t.file.lang and t.links
    ]
    problems = site_link_problems(texts, known, base, site.config.lang_codes,
                                  SiteLinks(known, base, site.config.lang_codes, link_aliases(site, project),
                                            page_ids(site, project)))
    for item in parsed:
        for key in ("photo", "image"):
            name = item.data.value.get(key) if item.data and item.file.kind == "facts" else None
            if name and f"/assets/{name}" not in known:
                line, column = item.data.where_value((key,)) if item.data else (None, None)
                problems.append(Problem(item.file.src_path, line, f"{key} 'assets/{name}' does not exist",
                                        "add the image to assets/, or fix the file name", column))
    for name, what in ((site.config.share_image, "share_image"), (site.config.organisation.logo, "organisation.logo")):
        if name and f"/assets/{name}" not in known:
            problems.append(Problem("content/_site.yaml", None, f"{what} 'assets/{name}' does not exist",
                                    "add the image to assets/, or fix the file name"))
    return problems


def link_aliases(site: Site, project: Project) -> dict[tuple[str, str], str]:
    """Return, per language, what editors write instead of a path: source file names, asset names, and the
    path of a page under another language's slug ('/fr/team/' → '/fr/equipe/')."""
    base, langs = site.config.base_path, site.config.lang_codes
    aliases: dict[tuple[str, str], str] = {}
    for page in site.pages:
        path = "/" + page.url[len(base):]
        for lang in langs:
            if lang == page.lang:
                for name in (page.src_path, page.src_path.removeprefix("content/"), page.src_path.rsplit("/", 1)[-1]):
                    aliases.setdefault((lang, name), path)
            elif (other := site.page(lang, page.key)) is not None:
                aliases.setdefault(("*", "/" + lang + path[len(page.lang) + 1:]), "/" + other.url[len(base):])
    for asset in project.assets:
        name = asset.src_path.removeprefix("assets/")
        for lang in langs:
            aliases.setdefault((lang, name), "/" + asset.src_path)
            aliases.setdefault((lang, asset.src_path), "/" + asset.src_path)
    return aliases


def page_ids(site: Site, project: Project) -> dict[str, frozenset[str]]:
    """Return, per page path, the ids it may hold: its text's, the templates', people's and steps'."""
    shared = set(template_ids(t.data.decode("utf-8", "replace") for t in project.templates))
    for lang in site.config.lang_codes:
        for key, html in [*((p.key, p.intro_html) for p in site.people.get(lang, ())),
                          *((s.key, s.html) for s in site.steps.get(lang, ()))]:
            shared.add(key)
            shared.update(ID_VALUE.findall(html))
    return {"/" + page.url[len(site.config.base_path):]: frozenset(shared | set(ID_VALUE.findall(page.html)))
            for page in site.pages}


ID_VALUE = re.compile(r'\sid="([^"]*)"')


def _failed(problems: list[Problem]) -> BuildResult:
    """Return a result with no output and the sorted problems."""
    return BuildResult((), _sorted(problems))


def _sorted(problems: list[Problem]) -> tuple[Problem, ...]:
    """Return problems without repeats, ordered by file and position."""
    return tuple(sorted(set(problems), key=Problem.sort_key))
