"""The build cache on disk: parsed content by (path, content hash), and compiled templates.

It lives in the user's cache folder (never in the project, so that a cloned repository cannot plant
one), and only ever saves time: a missing, stale or unreadable cache gives the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import jinja2

VERSION = 1


def cache_folder(project: Path) -> Path:
    """Return the cache folder of a project: $XDG_CACHE_HOME/careers-site/<hash of its path>."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(str(project.resolve()).encode("utf-8")).hexdigest()[:16]
    return base / "careers-site" / key


def _stamp() -> str:
    """Return what a cache must have been written by: this code and this Python."""
    code = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(code.rglob("*.py")) + sorted(code.rglob("*.json")):
        digest.update(path.read_bytes())
    return f"{VERSION}:{sys.version_info[:2]}:{digest.hexdigest()[:16]}"


def load_parsed(folder: Path) -> dict[str, Any]:
    """Return the saved caches ('parsed', 'string_keys') of `folder`, or empty ones."""
    try:
        with (folder / "parsed.pickle").open("rb") as handle:
            saved = pickle.load(handle)
    except Exception:  # missing, truncated, or written by other code: start afresh
        return {"parsed": {}, "string_keys": {}}
    if not isinstance(saved, dict) or saved.get("stamp") != _stamp():
        return {"parsed": {}, "string_keys": {}}
    return {"parsed": saved.get("parsed", {}), "string_keys": saved.get("string_keys", {})}


def save_parsed(folder: Path, caches: dict[str, Any]) -> None:
    """Save the caches atomically; a failure to save is not an error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"parsed.{os.getpid()}.tmp"
        with tmp.open("wb") as handle:
            pickle.dump({"stamp": _stamp(), **caches}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(folder / "parsed.pickle")
    except OSError:
        pass


def template_cache(folder: Path) -> jinja2.BytecodeCache | None:
    """Return a bytecode cache for compiled templates in `folder`, or None when it cannot be made."""
    try:
        (folder / "templates").mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder / "templates"))
