"""Translation pairing and status: present, missing, stale (source changed since sync) or orphaned."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from .model import Problem, SiteConfig, YamlData
from .records import record

State = Literal["present", "missing", "stale", "orphaned"]
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
TRANSLATABLE_FIELDS = ("title", "description", "role", "with", "photo_alt")
HASH_LENGTH = 10
STRING_HASHES = "_source_hashes"


class MissingString(LookupError):
    """A template asked for a UI string that the catalogue does not define."""


@record
class Translator:
    """`t(key, **values)` for one language: the catalogue text with `{name}` filled in."""

    lang: str
    table: Mapping[str, str]

    def __call__(self, key: str, **values: object) -> str:
        """Return the UI string for `key`, with its `{placeholders}` replaced."""
        try:
            text = self.table[key]
        except KeyError:
            raise MissingString(
                f"UI string '{key}' is not defined for '{self.lang}' "
                f"(add it to content/_strings.{self.lang}.yaml)"
            ) from None
        if not values:
            return text
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text)


@record
class Status:
    """One cell of the translation table: an item (page or string key) in one language."""

    item: str  # 'content/pages/team' or 'strings:apply_now'
    lang: str
    state: State
    path: str  # the file that holds (or should hold) it
    source_path: str  # the source-language file it is translated from
    synced: bool = True  # False: a translation that never recorded a source hash


def text_hash(meta: Mapping[str, Any], body: str) -> str:
    """Return the short hash of what a translator translates: the translatable fields and the body."""
    fields = {name: meta[name] for name in TRANSLATABLE_FIELDS if name in meta}
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False) + "\n" + body.strip()
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def string_hash(text: str) -> str:
    """Return the short hash of one UI string's source text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def text_statuses(
    texts: Mapping[str, Mapping[str, tuple[str, str, str | None]]], config: SiteConfig,
) -> list[Status]:
    """Return the status of every text key in every language.

    `texts` maps key → lang → (src_path, hash of its text, recorded source_hash).
    """
    statuses = []
    for _key, by_lang in sorted(texts.items()):
        source = by_lang.get(config.source_lang)
        any_path = (source or next(iter(by_lang.values())))[0]
        stem = any_path.rsplit(".", 2)[0]
        source_path = source[0] if source else f"{stem}.{config.source_lang}.md"
        for lang in config.lang_codes:
            entry = by_lang.get(lang)
            path = entry[0] if entry else f"{stem}.{lang}.md"
            synced = entry is None or lang == config.source_lang or entry[2] is not None
            statuses.append(Status(stem, lang, _state(lang, entry, source, config), path, source_path, synced))
    return statuses


def _state(
    lang: str, entry: tuple[str, str, str | None] | None, source: tuple[str, str, str | None] | None,
    config: SiteConfig,
) -> State:
    """Return the state of one text: source texts are present; translations compare hashes."""
    if entry is None:
        return "missing"
    if lang == config.source_lang:
        return "present"
    if source is None:
        return "orphaned"
    return "present" if entry[2] == source[1] else "stale"


def string_statuses(catalogues: Mapping[str, tuple[str, YamlData]], config: SiteConfig) -> list[Status]:
    """Return the status of every UI string key in every language."""
    source_path, source_doc = catalogues.get(config.source_lang, (f"content/_strings.{config.source_lang}.yaml",
                                                                  YamlData({})))
    source = strings_of(source_doc)
    keys = sorted({key for _, doc in catalogues.values() for key in strings_of(doc)})
    statuses = []
    for lang in config.lang_codes:
        path, doc = catalogues.get(lang, (f"content/_strings.{lang}.yaml", YamlData({})))
        table, recorded = strings_of(doc), _recorded(doc)
        for key in keys:
            if key not in table:
                state: State = "missing"
            elif lang == config.source_lang:
                state = "present"
            elif key not in source:
                state = "orphaned"
            else:
                state = "present" if recorded.get(key) == string_hash(source[key]) else "stale"
            statuses.append(Status(f"strings:{key}", lang, state, path, source_path, key in recorded))
    return statuses


def strings_of(doc: YamlData) -> dict[str, str]:
    """Return a catalogue's UI strings, without its sync record."""
    value = doc.value if isinstance(doc.value, dict) else {}
    return {k: v for k, v in value.items() if k != STRING_HASHES and isinstance(v, str)}


def _recorded(doc: YamlData) -> dict[str, str]:
    """Return the source hashes a catalogue was last synced to, by key."""
    value = doc.value if isinstance(doc.value, dict) else {}
    record = value.get(STRING_HASHES)
    return dict(record) if isinstance(record, dict) else {}


def status_problems(statuses: list[Status]) -> list[Problem]:
    """Return the warnings for missing, stale and orphaned texts and strings (errors under --strict)."""
    problems = []
    by_file: dict[tuple[str, State], list[Status]] = {}
    for status in statuses:  # one pass, the present ones (most, at every save of serve) passed over first
        if status.state == "present":
            continue
        if not status.item.startswith("strings:"):
            problems.append(_text_problem(status))
        elif status.state in ("stale", "orphaned"):
            by_file.setdefault((status.path, status.state), []).append(status)
    for (path, state), group in sorted(by_file.items()):
        keys = ", ".join(s.item.removeprefix("strings:") for s in group)
        if state == "stale":
            problems.append(Problem(path, None, f"UI strings out of date with {group[0].source_path}: {keys}",
                                    f"review them, then run: {MARK_SYNCED} {path}", severity="warning"))
        else:
            problems.append(Problem(path, None, f"UI strings that {group[0].source_path} does not have: {keys}",
                                    "delete them, or add them to the source catalogue", severity="warning"))
    return problems


MARK_SYNCED = "python3 build.py translations --mark-synced"


def _text_problem(status: Status) -> Problem:
    """Return the warning for one text that is missing, stale or orphaned."""
    if status.state == "missing":
        message, hint = "missing translation", f"translate {status.source_path} into this file"
    elif status.state == "stale" and not status.synced:
        message = f"translation was never marked as synced with {status.source_path}"
        hint = f"check it against the source, then run: {MARK_SYNCED} {status.path}"
    elif status.state == "stale":
        message = f"translation is out of date: {status.source_path} changed since it was synced"
        hint = f"update it, then run: {MARK_SYNCED} {status.path}"
    else:
        message = f"translation of a missing source {status.source_path}"
        hint = "restore the source or delete this file"
    return Problem(status.path, None, message, hint, severity="warning")


def set_source_hash(text: str, digest: str) -> str:
    """Return a Markdown file's text with `source_hash: <digest>` set in its front matter."""
    lines = text.split("\n")
    close = next(i for i in range(1, len(lines)) if lines[i].rstrip() == "---")
    for index in range(1, close):
        if lines[index].startswith("source_hash:"):
            lines[index] = f'source_hash: "{digest}"'
            return "\n".join(lines)
    return "\n".join([*lines[:close], f'source_hash: "{digest}"', *lines[close:]])


def set_string_hashes(text: str, hashes: Mapping[str, str]) -> str:
    """Return a catalogue's text with its `_source_hashes:` block replaced by `hashes`."""
    kept: list[str] = []
    inside = False
    for line in text.rstrip("\n").split("\n"):
        if line.startswith(f"{STRING_HASHES}:"):
            inside = True
            continue
        if inside and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        inside = False
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    block = [f"{STRING_HASHES}:  # written by {MARK_SYNCED}; do not edit"]
    block += [f'  {key}: "{value}"' for key, value in sorted(hashes.items())]  # quoted: 1234567890 is a number
    return "\n".join([*kept, "", *block]) + "\n"
