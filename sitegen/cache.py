"""Load and write stages: the build cache on disk, parsed content by (path, content hash), as plain JSON.

It lives in the user's cache folder (never in the project, so that a cloned repository cannot plant
one) and only ever saves time: a missing, stale, corrupt or foreign cache gives the same bytes.
It holds data only — no pickle, no compiled template code — so a cache written by someone else (a CI
cache restored from a pull request's job) can at worst be ignored, never run. Its folder is made with
mode 0700; one owned by another user or writable by others is neither read nor written.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from .links import Link
from .model import Problem, YamlData
from .parse import CacheKey, Parsed
from .sources import ContentFile

VERSION = 2
FILE = "parsed.json"
LIBRARIES = ("markdown", "nh3", "jinja2", "pyyaml", "babel", "jsonschema")


def cache_folder(project: Path) -> Path:
    """Return the cache folder of a project: $XDG_CACHE_HOME/careers-site/<hash of its path>."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(str(project.resolve()).encode("utf-8")).hexdigest()[:16]
    return base / "careers-site" / key


def stamp() -> str:
    """Return what a cache must have been written by: this code, this Python and these libraries."""
    code = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(code.rglob("*.py")) + sorted(code.rglob("*.json")):
        digest.update(path.read_bytes())
    versions = ",".join(f"{name}={_version(name)}" for name in LIBRARIES)
    return f"{VERSION}:{sys.version_info[:2]}:{versions}:{digest.hexdigest()[:16]}"


def _version(name: str) -> str:
    """Return an installed library's version, or '?' when it cannot be told."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def private_folder(folder: Path, create: bool = False) -> bool:
    """Return True when `folder` is ours alone (owned by this user, writable by no one else).

    With `create`, a missing folder is made with mode 0700.
    """
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and owner_ok and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load_parsed(folder: Path) -> dict[CacheKey, Parsed]:
    """Return the parses saved in `folder`, or none when the cache is missing, stale, corrupt or foreign."""
    if not private_folder(folder):
        return {}
    try:
        saved = json.loads((folder / FILE).read_text(encoding="utf-8"))
        if saved.get("stamp") != stamp():
            return {}
        return {_key(entry["key"]): _parsed(entry) for entry in saved["parsed"]}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return {}


def save_parsed(folder: Path, parsed: Mapping[CacheKey, Parsed]) -> None:
    """Save the parses atomically; a failure to save, or a folder that is not ours, is not an error."""
    if not private_folder(folder, create=True):
        return
    entries = [{"key": list(key), **_plain(item)} for key, item in sorted(parsed.items(), key=lambda kv: kv[0])
               if item.data is not None or item.problems]
    tmp = folder / f"{FILE}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps({"stamp": stamp(), "parsed": entries}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(folder / FILE)
    except OSError:
        tmp.unlink(missing_ok=True)


def _key(raw: list[Any]) -> CacheKey:
    """Return a cache key from its JSON form."""
    src_path, digest, kind, lang = raw
    return (str(src_path), str(digest), str(kind), None if lang is None else str(lang))


def _plain(item: Parsed) -> dict[str, Any]:
    """Return a parse as JSON-ready data."""
    data = None
    if item.data is not None:
        data = {"value": item.data.value, "positions": _table(item.data.positions),
                "values": _table(item.data.value_positions)}
    file = item.file
    return {
        "file": [file.src_path, file.kind, file.collection, file.stem, file.lang],
        "data": data, "html": item.html, "text_hash": item.text_hash,
        "problems": [[p.path, p.line, p.message, p.hint, p.column, p.severity] for p in item.problems],
        "links": [[link.target, link.line, link.column] for link in item.links],
    }


def _table(positions: Mapping[tuple[str | int, ...], tuple[int, int]]) -> list[list[Any]]:
    """Return a position table as a list of [path, line, column]."""
    return [[list(path), line, column] for path, (line, column) in positions.items()]


def _parsed(entry: Mapping[str, Any]) -> Parsed:
    """Return a parse from its JSON form."""
    src_path, kind, collection, stem, lang = entry["file"]
    data = entry["data"]
    yaml = None if data is None else YamlData(
        data["value"],
        {tuple(path): (line, column) for path, line, column in data["positions"]},
        {tuple(path): (line, column) for path, line, column in data["values"]},
    )
    return Parsed(
        file=ContentFile(src_path, kind, collection, stem, lang),
        data=yaml, html=str(entry["html"]),
        problems=tuple(Problem(*problem) for problem in entry["problems"]),
        text_hash=str(entry["text_hash"]),
        links=tuple(Link(str(t), int(line), int(column)) for t, line, column in entry["links"]),
    )
