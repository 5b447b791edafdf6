"""Load and write stages: where the build cache lives, what stamps it, and what templates use (as JSON).

It lives in the user's cache folder (never in the project, so that a cloned repository cannot plant
one) and only ever saves time: a missing, stale, corrupt or foreign cache gives the same bytes.
Parses are plain JSON, never pickle (`parsestore.py`). Compiled templates and posting descriptions are
read only when signed (HMAC-SHA256) with a key kept outside the cache folder, in
`$XDG_STATE_HOME/careers-site/cache-key` (`signed.py`): a cache written by someone else (a CI cache
restored from a pull request's job) can at worst be ignored, never run. Both folders are made with
mode 0700; one owned by another user or writable by others is neither read nor written.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .model import Problem
from .records import field, record

VERSION = 3
FILE = "parsed.json"  # the single-file parse cache of earlier versions, removed when seen
META = "templates.json"
LIBRARIES = ("markdown", "nh3", "jinja2", "pyyaml", "babel", "jsonschema")


def cache_folder(project: Path) -> Path:
    """Return the cache folder of a project: $XDG_CACHE_HOME/careers-site/<hash of its path>."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(str(project.resolve()).encode("utf-8")).hexdigest()[:16]
    return base / "careers-site" / key


@functools.cache
def stamp() -> str:
    """Return what a cache must have been written by: this code, this Python and these libraries.

    Computed once per process: it describes the code the process runs.
    """
    digest = hashlib.sha256()
    for path in _code_files(Path(__file__).resolve().parent):
        digest.update(_read(path))
    versions = ",".join(f"{name}={version}" for name, version in _versions(LIBRARIES).items())
    return f"{VERSION}:{sys.version_info[:2]}:{versions}:{digest.hexdigest()[:16]}"


def _read(path: str) -> bytes:
    """Return a file's bytes, read from its descriptor: without a `Path` and a buffered reader, half the time
    for the 70 files `stamp` reads before a build's worker starts (1 ms, in both processes)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        parts = []
        while part := os.read(descriptor, 1 << 20):
            parts.append(part)
        return b"".join(parts)
    finally:
        os.close(descriptor)


def _code_files(package: Path) -> list[str]:
    """Return the paths of the package's modules and JSON data, below it at any depth, in a fixed order."""
    found, folders = [], [str(package)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        folders.append(entry.path)
                elif entry.name.endswith((".py", ".json")):
                    found.append(entry.path)
    return sorted(found, key=lambda path: (not path.endswith(".py"), path))


MODULES = {"markdown": "markdown", "nh3": "nh3", "jinja2": "jinja2", "pyyaml": "yaml", "babel": "babel",
           "jsonschema": "jsonschema"}


def _versions(names: tuple[str, ...]) -> dict[str, str]:
    """Return the installed version of each library, or '?' when it cannot be told.

    Read from the name of its `<name>-<version>.dist-info` folder beside the package, in the first
    folder of the import path that holds the package (the one it is imported from): one listing per
    folder, and no import of `importlib.metadata` (and the e-mail parser it brings, a noticeable share
    of a small build).
    """
    versions: dict[str, str | None] = {}
    for folder in sys.path:
        if len(versions) == len(names):
            break
        try:
            with os.scandir(folder or ".") as entries:
                listing = [entry.name for entry in entries]
        except OSError:
            continue
        present = set(listing)
        for name in names:
            if name in versions or MODULES.get(name, name) not in present:
                continue
            wanted = name.lower().replace("-", "_") + "-"  # the folder's name has '_' for '-' in the library's name
            versions[name] = next((entry[len(wanted):-len(".dist-info")] for entry in listing
                                   if entry.lower().startswith(wanted) and entry.lower().endswith(".dist-info")), None)
    return {name: versions.get(name) or _metadata_version(name) for name in names}


def _metadata_version(name: str) -> str:
    """Return a library's version as `importlib.metadata` tells it, or '?'."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def versioned(folder: Path, prefix: str) -> Path:
    """Return the folder below `folder` for what this version of the generator keeps under `prefix`.

    Named after the stamp: what another version (other code or libraries) wrote is never read.
    """
    return folder / f"{prefix}-{hashlib.sha256(stamp().encode()).hexdigest()[:16]}"


def kept_any(folder: Path, prefix: str) -> bool:
    """Return True when `folder` holds what some version of the generator keeps under `prefix` (see `versioned`),
    without the stamp that names this version's."""
    try:
        with os.scandir(folder) as entries:
            return any(entry.name == prefix or entry.name.startswith(f"{prefix}-") for entry in entries)
    except OSError:
        return False


def remove_other_versions(current: Path, prefix: str) -> None:
    """Remove the folders other versions of the generator keep beside `current` under `prefix`."""
    for other in [*current.parent.glob(f"{prefix}-*"), current.parent / prefix]:
        if other != current and other.is_dir() and not other.is_symlink():
            shutil.rmtree(other, ignore_errors=True)


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


StringKeys = tuple[dict[str, list[tuple[str, int]]], set[str]]
Templates = tuple[str, ...]


@record
class Saved:
    """What the disk cache holds besides parses: what each set of templates uses (string keys, variables)."""

    string_keys: dict[Templates, StringKeys] = field(default_factory=dict)
    template_names: dict[Templates, dict[str, frozenset[str]]] = field(default_factory=dict)


def write_json(path: Path, data: Any, depth: int = 2) -> None:
    """Write JSON to a file in one step; a failure to write is not an error (the cache only saves time).

    The text is written in pieces (`json_pieces`, `depth` levels down): a build's record of 10,000 notices
    was 11 MB at once.
    """
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            handle.writelines(json_pieces(data, depth))
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


def json_pieces(data: Any, depth: int = 2) -> Iterator[str]:
    """Yield `data` as JSON text in pieces: a dict with text keys value by value, a list item by item, each
    encoded on its own (by the C encoder, which only encodes whole values), `depth` levels down.

    Two levels part a record's list of notices notice by notice; deeper, each small value would cost a
    call of the encoder (a parse's mappings, in thousands of pieces).
    """
    if depth and isinstance(data, dict) and all(type(key) is str for key in data):
        yield "{"
        for index, (key, value) in enumerate(data.items()):
            yield ("," if index else "") + json.dumps(key, ensure_ascii=False) + ":"
            yield from json_pieces(value, depth - 1)
        yield "}"
    elif depth and isinstance(data, list):
        yield "["
        for index, item in enumerate(data):
            yield ("," if index else "") + json.dumps(item, ensure_ascii=False)
        yield "]"
    else:
        yield json.dumps(data, ensure_ascii=False)


def plain_problem(problem: Problem) -> list[Any]:
    """Return a problem as a JSON list, in the order `Problem(*fields)` takes it back."""
    return [problem.path, problem.line, problem.message, problem.hint, problem.column, problem.severity]


def load_saved(folder: Path) -> Saved:
    """Return what templates use, as `folder` holds it; nothing when missing, stale, corrupt or foreign."""
    if not private_folder(folder):
        return Saved()
    try:
        saved = json.loads((folder / META).read_text(encoding="utf-8"))
        if saved.get("stamp") != stamp():
            return Saved()
        return Saved(
            dict(_string_keys(entry) for entry in saved["string_keys"]),
            {tuple(str(d) for d in digests): {str(k): frozenset(map(str, v)) for k, v in names.items()}
             for digests, names in saved["template_names"]},
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return Saved()


def _string_keys(entry: list[Any]) -> tuple[tuple[str, ...], StringKeys]:
    """Return one saved entry of template string keys: (template digests, (used keys, prefixes))."""
    digests, used, prefixes = entry
    places = {str(key): [(str(path), int(line)) for path, line in where] for key, where in used.items()}
    return tuple(str(d) for d in digests), (places, {str(p) for p in prefixes})


def save_saved(folder: Path, saved: Saved) -> None:
    """Save what templates use; a failure to save, or a folder that is not ours, is not an error."""
    if not private_folder(folder, create=True):
        return
    keys = [[list(digests), used, sorted(prefixes)] for digests, (used, prefixes) in saved.string_keys.items()]
    names = [[list(digests), {k: sorted(v) for k, v in by.items()}] for digests, by in saved.template_names.items()]
    write_json(folder / META, {"stamp": stamp(), "string_keys": keys, "template_names": names})
