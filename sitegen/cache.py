"""Load and write stages: the build cache on disk, parsed content by (path, content hash), as plain JSON.

It lives in the user's cache folder (never in the project, so that a cloned repository cannot plant
one) and only ever saves time: a missing, stale, corrupt or foreign cache gives the same bytes.
Parses are plain JSON, never pickle. Compiled templates are loaded only when signed (HMAC-SHA256) with
a key kept outside the cache folder, in `$XDG_STATE_HOME/careers-site/cache-key`: a cache written by
someone else (a CI cache restored from a pull request's job) can at worst be ignored, never run. Both
folders are made with mode 0700; one owned by another user or writable by others is neither read nor
written.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .links import Link
from .model import Problem, YamlData
from .parse import CacheKey, Parsed
from .sources import ContentFile

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
    code = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(code.rglob("*.py")) + sorted(code.rglob("*.json")):
        digest.update(path.read_bytes())
    versions = ",".join(f"{name}={_version(name)}" for name in LIBRARIES)
    return f"{VERSION}:{sys.version_info[:2]}:{versions}:{digest.hexdigest()[:16]}"


MODULES = {"markdown": "markdown", "nh3": "nh3", "jinja2": "jinja2", "pyyaml": "yaml", "babel": "babel",
           "jsonschema": "jsonschema"}


def _version(name: str) -> str:
    """Return an installed library's version, or '?' when it cannot be told.

    Read from the name of its `<name>-<version>.dist-info` folder beside the package, which needs no
    import of `importlib.metadata` (and the e-mail parser it brings, a noticeable share of a small build).
    """
    import importlib.util

    spec = importlib.util.find_spec(MODULES.get(name, name))
    folders = spec.submodule_search_locations if spec is not None else None
    if folders:
        wanted = name.lower().replace("-", "_") + "-"
        with os.scandir(Path(next(iter(folders))).parent) as entries:
            names = [entry.name for entry in entries]
        for name in names:  # the folder's name has '_' for '-' in the library's name
            if name.lower().startswith(wanted) and name.lower().endswith(".dist-info"):
                return name[len(wanted):-len(".dist-info")]
    from importlib import metadata

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


StringKeys = tuple[dict[str, list[tuple[str, int]]], set[str]]
Templates = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Saved:
    """What the disk cache holds besides parses: what each set of templates uses (string keys, variables)."""

    string_keys: dict[Templates, StringKeys] = field(default_factory=dict)
    template_names: dict[Templates, dict[str, frozenset[str]]] = field(default_factory=dict)


class ParseStore(MutableMapping[CacheKey, Parsed]):
    """Parses by (path, content hash, kind, language): in memory, and on disk one JSON file per parse.

    A parse the build asks for is read from its file on first use, so a build reads only the parses of
    the files the project has now, and saving writes only the parses that are new. The files live in a
    folder named after the stamp: a cache written by other code or libraries is never read. A missing,
    truncated or altered file is a parse to make again.
    """

    def __init__(self, folder: Path | None) -> None:
        self.memory: dict[CacheKey, Parsed] = {}
        self.new: set[CacheKey] = set()
        self.folder = folder / f"parsed-{hashlib.sha256(stamp().encode()).hexdigest()[:16]}" if folder else None
        self.readable = self.folder is not None and private_folder(self.folder.parent) and private_folder(self.folder)

    def __getitem__(self, key: CacheKey) -> Parsed:
        if key not in self.memory:
            found = self._read(key)
            if found is None:
                raise KeyError(key)
            self.memory[key] = found
        return self.memory[key]

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except (KeyError, TypeError):
            return False
        return True

    def __setitem__(self, key: CacheKey, item: Parsed) -> None:
        self.memory[key] = item
        self.new.add(key)

    def __delitem__(self, key: CacheKey) -> None:
        del self.memory[key]
        self.new.discard(key)

    def __iter__(self) -> Iterator[CacheKey]:
        return iter(self.memory)

    def __len__(self) -> int:
        return len(self.memory)

    def _read(self, key: CacheKey) -> Parsed | None:
        if not self.readable or self.folder is None:
            return None
        try:
            entry = json.loads((self.folder / _file_name(key)).read_bytes())
            return _parsed(entry) if _key(entry["key"]) == key else None
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None

    def save(self, current: set[tuple[str, str]] | None = None) -> None:
        """Write the new parses; given the project's (path, SHA-256) pairs, remove the files of all others."""
        if self.folder is None or not private_folder(self.folder.parent, create=True):
            return
        if not private_folder(self.folder, create=True):
            return
        self.readable = True
        for key in sorted(self.new):
            item = self.memory.get(key)
            if item is not None and (item.data is not None or item.problems):
                _write_json(self.folder / _file_name(key), {"key": list(key), **_plain(item)})
        self.new.clear()
        if current is not None:
            self._prune({_file_name((path, digest, "", None)) for path, digest in current})

    def _prune(self, wanted: set[str]) -> None:
        assert self.folder is not None
        with os.scandir(self.folder) as entries:
            names = [entry.name for entry in entries]
        for name in names:
            if name not in wanted:
                (self.folder / name).unlink(missing_ok=True)
        for other in self.folder.parent.glob("parsed-*"):
            if other != self.folder and other.is_dir() and not other.is_symlink():
                shutil.rmtree(other, ignore_errors=True)
        (self.folder.parent / FILE).unlink(missing_ok=True)  # the single-file cache of earlier versions


def _file_name(key: CacheKey) -> str:
    """Return the file name of a parse: a digest of its file's path and SHA-256 (the file holds the whole key)."""
    joined = f"{key[0]}\0{key[1]}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()[:32] + ".json"


def _write_json(path: Path, data: Any) -> None:
    """Write JSON to a file in one step; a failure to write is not an error (the cache only saves time)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


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
    _write_json(folder / META, {"stamp": stamp(), "string_keys": keys, "template_names": names})


def signing_key() -> bytes | None:
    """Return this user's secret for signing compiled templates, made on first use; None when unusable."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    folder = base / "careers-site"
    if not private_folder(folder, create=True):
        return None
    path = folder / "cache-key"
    try:
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == 32 else None


class SignedBytecodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates on disk, each signed; an unsigned or altered file is never loaded."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder, self.key = folder, key

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.jbc"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            data = self._path(bucket).read_bytes()
        except OSError:
            return
        mac, body = data[:32], data[32:]
        if hmac.compare_digest(mac, hmac.new(self.key, body, hashlib.sha256).digest()):
            bucket.bytecode_from_string(body)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        body = bucket.bytecode_to_string()
        tmp = self.folder / f"{bucket.key}.{os.getpid()}.tmp"
        try:
            tmp.write_bytes(hmac.new(self.key, body, hashlib.sha256).digest() + body)
            tmp.replace(self._path(bucket))
        except OSError:
            tmp.unlink(missing_ok=True)


def template_cache(folder: Path) -> jinja2.BytecodeCache | None:
    """Return a signed cache of compiled templates below `folder`, or None when it cannot be trusted."""
    key = signing_key()
    templates = folder / "templates"
    if key is None or not private_folder(folder, create=True) or not private_folder(templates, create=True):
        return None
    return SignedBytecodeCache(templates, key)


class SignedTexts(MutableMapping[str, str]):
    """Texts on disk by a hexadecimal key, one signed file each; an unsigned or altered file is absent.

    The build keeps here the full description each open posting's page rendered, by the page's
    fingerprint, so that the feeds of a build that keeps the page need not render it again.
    """

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder, self.key = folder, key

    def _path(self, name: str) -> Path | None:
        return self.folder / f"{name}.html" if name.isascii() and name.isalnum() and len(name) <= 128 else None

    def __getitem__(self, name: str) -> str:
        path = self._path(name)
        try:
            data = path.read_bytes() if path is not None else b""
        except OSError:
            raise KeyError(name) from None
        mac, body = data[:32], data[32:]
        if len(data) < 32 or not hmac.compare_digest(mac, hmac.new(self.key, body, hashlib.sha256).digest()):
            raise KeyError(name)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise KeyError(name) from None

    def __setitem__(self, name: str, text: str) -> None:
        path = self._path(name)
        if path is None:
            return
        body = text.encode("utf-8", "surrogatepass")
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(hmac.new(self.key, body, hashlib.sha256).digest() + body)
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)

    def __delitem__(self, name: str) -> None:
        path = self._path(name)
        if path is None:
            raise KeyError(name)
        path.unlink(missing_ok=True)

    def __iter__(self) -> Iterator[str]:
        try:
            with os.scandir(self.folder) as entries:
                names = [entry.name for entry in entries]
        except OSError:
            names = []
        return iter(sorted(name[:-5] for name in names if name.endswith(".html")))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def description_store(folder: Path, kind: str = "build") -> MutableMapping[str, str]:
    """Return the signed store of posting descriptions below `folder`; an in-memory one when it cannot be trusted.

    Each kind of build (build, preview, serve) has its own, since each prunes what it no longer uses.
    """
    key = signing_key()
    texts = folder / f"descriptions-{kind}"
    if key is None or not private_folder(folder, create=True) or not private_folder(texts, create=True):
        return {}
    return SignedTexts(texts, key)


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
