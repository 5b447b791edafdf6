"""Load and write stages: parsed content by (path, content hash, kind, language), each parse a JSON entry of
a pack (`packs.py`)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from .cache import FILE, plain_problem, private_folder, remove_other_versions, versioned
from .links import Link
from .model import Html, Problem, YamlData
from .packs import Packs, PackWriter, has_packs
from .parse import CacheKey, Parsed, with_shared_parts
from .sources import ContentFile

Pending = tuple[list[tuple[CacheKey, Parsed]], set[str] | None]  # parses to write, the file names to keep


class ParseStore(MutableMapping[CacheKey, Parsed]):
    """Parses by (path, content hash, kind, language): in memory, and on disk as JSON entries of packs.

    A parse the build asks for is read from its pack on first use, so a build reads only the parses of
    the files the project has now, and saving writes only the parses that are new, as one pack. The
    packs live in a folder named after the stamp: a cache written by other code or libraries is never
    read. A missing, truncated or altered entry is a parse to make again.
    """

    def __init__(self, folder: Path | None) -> None:
        self.memory: dict[CacheKey, Parsed] = {}
        # the paths, positions and strings of the parses read (`with_shared_parts`): those of 10,000 postings
        # read each as its own took four times the memory of those parsed by the workers, which share them
        self.shared: dict[Any, Any] = {}
        self.new: set[CacheKey] = set()
        self.folder = versioned(folder, "parsed") if folder else None
        self.readable = self.folder is not None and private_folder(self.folder.parent) and private_folder(self.folder)
        self.packs = Packs(self.folder) if self.folder is not None else None
        # no pack was there before this store's first save: every parse on disk is then one it wrote for the
        # files the build read, and that save need not look for parses no longer wanted (a big site's index
        # of 15,000 entries was some 3 MB of the build's process, while its pages rendered)
        self.fresh = self.folder is not None and not has_packs(self.folder)

    def __getitem__(self, key: CacheKey) -> Parsed:
        if key not in self.memory:
            found = self._read(key)
            if found is None:
                raise KeyError(key)
            self.memory[key] = with_shared_parts(found, self.shared)
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

    def let_go(self) -> None:
        """Forget the parses held in memory but those still to be saved (not yet `take`n).

        A build with no next one calls it once its site is made (10,000 postings' parses are some 35 MB);
        a parse asked for later is read again, or made again if its pack is not written yet.
        """
        self.memory = {key: item for key, item in self.memory.items() if key in self.new}
        self.shared = {}

    def _read(self, key: CacheKey) -> Parsed | None:
        if not self.readable or self.packs is None or (body := self.packs.get(_entry_name(key))) is None:
            return None
        try:
            entry = json.loads(body)
            return _parsed(entry) if _key(entry["key"]) == key else None
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None

    def save(self, current: set[tuple[str, str]] | None = None) -> None:
        """Write the new parses; given the project's (path, SHA-256) pairs, remove the files of all others."""
        self.write(self.take(current))

    def take(self, current: set[tuple[str, str]] | None = None) -> Pending:
        """Return what `save` would write (the new parses) and keep (given the project's pairs), as if saved.

        `write` may then write it on another thread while builds go on: what it holds never changes.
        """
        items = [(key, self.memory[key]) for key in sorted(self.new) if key in self.memory]
        self.new.clear()
        wanted = None if current is None else {_entry_name((path, digest, "", None)) for path, digest in current}
        return items, wanted

    def new_count(self) -> int:
        """Return how many parses `take` would return (at most)."""
        return len(self.new)

    def taken(self) -> None:
        """Forget which parses are new, as `take` does, without listing them (another process took them)."""
        self.new.clear()

    def write(self, pending: Pending) -> None:
        """Write what `take` returned: the parses, as a pack, then remove the entries of parses no longer wanted."""
        items, wanted = pending
        if self.folder is None or self.packs is None or not private_folder(self.folder.parent, create=True):
            return
        if not private_folder(self.folder, create=True):
            return
        self.readable = True
        self.packs.write(found for key, item in items if (found := entry(key, item)) is not None)
        fresh, self.fresh = self.fresh, False
        if wanted is not None:
            if not fresh:
                self.packs.prune(wanted.__contains__)
            remove_other_versions(self.folder, "parsed")
            (self.folder.parent / FILE).unlink(missing_ok=True)  # the single-file cache of earlier versions

    def is_empty(self) -> bool:
        """Return True when the store holds no parse, in memory or on disk (no pack: one is never empty).

        The packs' index is not read for it: once read, it would take in the entries of the pack a one-off build
        then writes (15,000 for a big site's parses: 3 MB, read by no one).
        """
        return not self.memory and (not self.readable or self.folder is None or not has_packs(self.folder))

    def pack(self) -> PackWriter | None:
        """Return a new pack to write parses into (`entry` makes its entries), or None where none can be made.

        Parses written to it are never held here: a one-off build of many postings writes each as it comes
        (`loading.load_in_parts`), then `take_pack` makes the cache find them.
        """
        if self.folder is None or not private_folder(self.folder.parent, create=True):
            return None
        if not private_folder(self.folder, create=True):
            return None
        try:
            return PackWriter(self.folder, found=False)
        except OSError:
            return None

    def take_pack(self, writer: PackWriter) -> None:
        """Put the pack `writer` made in place (or remove it, if it cannot be): its parses are found from now on."""
        assert self.packs is not None
        try:
            self.packs.take(writer)
        except OSError:
            writer.abandon()
            return
        self.readable = True


def entry(key: CacheKey, item: Parsed) -> tuple[str, bytes] | None:
    """Return a parse's entry in a pack (its name and JSON body); None for one not worth keeping (no data, and no
    problem: a file that changed while it was read)."""
    if item.data is None and not item.problems:
        return None
    body = {"key": list(key), **_plain(item)}  # (plain data, made here: no cycle to look for)
    return _entry_name(key), json.dumps(body, ensure_ascii=False, separators=(",", ":"), check_circular=False).encode()


def _entry_name(key: CacheKey) -> str:
    """Return the name of a parse's entry: a digest of its file's path and SHA-256 (the entry holds the whole key)."""
    joined = f"{key[0]}\0{key[1]}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()[:32]


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
        "data": data, "html": base64.b64encode(item.html.packed).decode("ascii"), "text_hash": item.text_hash,
        "problems": [plain_problem(p) for p in item.problems],
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
        data=yaml, html=Html.from_packed(base64.b64decode(entry["html"], validate=True)),
        problems=tuple(Problem(*problem) for problem in entry["problems"]),
        text_hash=str(entry["text_hash"]),
        links=tuple(Link(str(t), int(line), int(column)) for t, line, column in entry["links"]),
    )
