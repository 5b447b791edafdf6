"""Load and write stages: a cache's many small entries (parses, posting descriptions) kept in a few files.

Making a file is what writing a small one costs: the 25,000 a big site's parses and descriptions took
were 17 s of the build's process, while the workers rendered pages beside it. A pack is written once,
in one go, and never changed: its entries' bodies one after another, then its index (each entry's
name, offset and length, as JSON), then the index's length and a mark. A name is found in the newest
pack that has it. A pack cut short or altered has no index (it is left unread), or entries that fail
their own store's checks (a parse holds its key; a description carries its signature), which are then
made again. An entry no longer wanted stays in its pack (no build asks for it) until pruning finds
more unwanted bytes than wanted ones: the wanted ones are then packed anew. Pruning also removes the
packs without a wanted entry, and packs the small ones together when there are many.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from .spool import SPAN  # (an entry's place, offset × SPAN + length, is one number, as a spooled text's)

SUFFIX = ".pack"
MARK = b"\ncareers-site pack 1\n"
TAIL = struct.Struct("<Q")  # the index's length, just before the mark
MAX_PACKS = 16  # more than this, and pruning packs the wanted entries anew
STALE = 3600.0  # seconds after which a half-written pack (of a process that stopped) is removed

Where = tuple[str, int, int]  # pack file name, offset, length


class PackWriter:
    """A pack being written: `add` appends an entry, `close` writes the index and puts the pack in place.

    One written to be read only once in place (not `found` before: a one-off build's parses) keeps no index
    of its entries: each one's goes to a temporary file as it is added (a big site's 15,000 parses' names and
    places were 2 MB while its files were parsed), and is copied into the pack when it is closed.
    """

    def __init__(self, folder: Path, found: bool = True) -> None:
        self.path = folder / f"{time.time_ns():020d}-{os.getpid()}-{id(self):x}{SUFFIX}"
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.file = os.fdopen(os.open(self.tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600), "w+b")
        # by name, where an entry is: its offset times `SPAN` plus its length, one number (a big site's 10,000
        # descriptions were a megabyte of pairs of numbers while its pages rendered)
        self.index: dict[str, int] = {}
        self.listing: BinaryIO | None = None if found else tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
        self.count = 0
        self.size = 0

    def add(self, name: str, body: bytes) -> None:
        self.file.write(body)
        if self.listing is None:
            self.index[name] = self.size * SPAN + len(body)
        else:
            self.listing.write(f"{',' if self.count else '['}{_entry(name, self.size, len(body))}".encode())
        self.count += 1
        self.size += len(body)

    def read(self, name: str) -> bytes | None:
        """Return the body of an entry added, or None (always, for one written not to be found before)."""
        found = self.index.get(name)
        if found is None:
            return None
        self.file.flush()
        offset, length = divmod(found, SPAN)
        return os.pread(self.file.fileno(), length, offset)

    def abandon(self) -> None:
        """Remove the pack being written."""
        with contextlib.suppress(OSError):  # (what it could not write: a full disk)
            self.file.close()
            if self.listing is not None:
                self.listing.close()
        self.tmp.unlink(missing_ok=True)

    def close(self) -> str | None:
        """Write the index, put the pack in place and return its file name (None, and no pack, when empty)."""
        try:
            if not self.count:
                return None
            listed = 0
            for part in _index_parts(self.index) if self.listing is None else _listed_parts(self.listing):
                self.file.write(part)
                listed += len(part)
            self.file.write(TAIL.pack(listed) + MARK)
            self.file.close()
            self.tmp.replace(self.path)
            return self.path.name
        finally:
            self.abandon()  # (nothing to remove once in place)


def _index_parts(index: Mapping[str, int]) -> Iterator[bytes]:
    """Yield a pack's index as JSON, `[[name, offset, length], …]`, in parts of `INDEX_PART` entries: a big site's
    parses (15,000 entries) made it a megabyte, and their lists five more, at once."""
    items = iter(index.items())
    first = True
    while part := list(itertools.islice(items, INDEX_PART)):
        text = ",".join(_entry(name, *divmod(where, SPAN)) for name, where in part)
        yield (("[" if first else ",") + text).encode("utf-8")
        first = False
    yield b"[]" if first else b"]"


INDEX_PART = 1024


def _entry(name: str, offset: int, length: int) -> str:
    """Return one entry of a pack's index, as JSON: `[name, offset, length]`."""
    return f"[{json.dumps(name)},{offset},{length}]"


def _listed_parts(listing: BinaryIO) -> Iterator[bytes]:
    """Yield the index a pack writer wrote to `listing` (the entries' JSON, but the closing bracket), closed."""
    listing.seek(0)
    while part := listing.read(LISTING_PART):
        yield part
    yield b"]"


LISTING_PART = 1 << 16


class Packs:
    """The packs of one folder: entries by name, read by offset; safe to use from several threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self._index: dict[str, Where] | None = None
        self._sizes: dict[str, int] = {}  # bytes of entries by pack, as its index lists them
        self._open: dict[str, int] = {}  # file descriptors of the packs read, by file name

    def index(self) -> dict[str, Where]:
        """Return where each name's entry is (in the newest pack that has it), reading the packs' indexes once."""
        with self.lock:
            if self._index is None:
                self._index = {}
                for name in _pack_names(self.folder):
                    self._add_index(name, _read_index(self.folder / name))
            return self._index

    def _add_index(self, pack: str, entries: list[tuple[str, int, int]] | None) -> None:
        assert self._index is not None
        if entries is None:
            self._sizes.setdefault(pack, 0)  # unreadable: no entry of it is found; pruning removes it
            return
        self._sizes[pack] = sum(length for _, _, length in entries)
        for name, offset, length in entries:
            self._index[name] = (pack, offset, length)

    def get(self, name: str) -> bytes | None:
        """Return the body of the entry called `name`, or None when no pack has it or it cannot be read."""
        where = self.index().get(name)
        if where is None:
            return None
        pack, offset, length = where
        try:
            with self.lock:
                descriptor = self._open.get(pack)
                if descriptor is None:
                    descriptor = self._open[pack] = os.open(self.folder / pack, os.O_RDONLY)
            body = os.pread(descriptor, length, offset)
        except OSError:
            return None
        return body if len(body) == length else None

    def names(self) -> Iterator[str]:
        """Yield the names the packs hold."""
        yield from list(self.index())

    def write(self, entries: Iterable[tuple[str, bytes]]) -> bool:
        """Write the entries as one new pack; return False when it could not be written (not an error: a cache
        only saves time)."""
        try:
            writer = PackWriter(self.folder)
        except OSError:
            return False
        try:
            for name, body in entries:
                writer.add(name, body)
            self.take(writer)
        except OSError:
            writer.abandon()
            return False
        return True

    def take(self, writer: PackWriter) -> None:
        """Close `writer` and find its entries from now on."""
        pack = writer.close()
        if pack is None:
            return
        with self.lock:  # (an index not read yet is read with the pack's, when one is first asked for)
            if self._index is not None:
                self._add_index(pack, [(name, *divmod(where, SPAN)) for name, where in writer.index.items()]
                                if writer.listing is None else _read_index(self.folder / pack))

    def prune(self, wanted: Callable[[str], bool]) -> None:
        """Keep only the entries whose name is `wanted`: remove the packs without one, and pack them anew when
        the packs are many or hold more unwanted bytes than wanted ones."""
        index = self.index()
        with self.lock:
            live: dict[str, int] = dict.fromkeys(self._sizes, 0)
            for name, (pack, _, length) in index.items():
                if wanted(name):
                    live[pack] += length
            dead = sum(self._sizes.values()) - sum(live.values())
            repack = sorted((pack for pack in live if live[pack]), key=live.__getitem__)
            if dead <= sum(live.values()):  # else all; past MAX_PACKS, all but the biggest (serve's saves are small)
                repack = repack[:-1] if len(repack) > MAX_PACKS else []
            gone = [pack for pack in live if not live[pack]]
        if repack:  # each entry read as it is written: a whole pack's would be in memory at once
            kept = ((name, body) for name, (pack, _, _) in sorted(index.items()) if pack in repack and wanted(name)
                    and (body := self.get(name)) is not None)
            if self.write(kept):
                gone += repack
        with self.lock:
            for pack in gone:
                if (descriptor := self._open.pop(pack, None)) is not None:
                    os.close(descriptor)
                (self.folder / pack).unlink(missing_ok=True)
                self._sizes.pop(pack, None)
            self._index = {name: where for name, where in self._index.items()
                           if where[0] not in gone and wanted(name)} if self._index is not None else None
        _remove_stale(self.folder)

    def close(self) -> None:
        """Close the packs read."""
        with self.lock:
            for descriptor in self._open.values():
                os.close(descriptor)
            self._open.clear()


def has_packs(folder: Path) -> bool:
    """Return True when the folder holds a pack."""
    return bool(_pack_names(folder))


def _pack_names(folder: Path) -> list[str]:
    """Return the folder's pack file names, oldest first (their names start with the time they were made)."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entry.name for entry in entries if entry.name.endswith(SUFFIX))
    except OSError:
        return []


def _read_index(path: Path) -> list[tuple[str, int, int]] | None:
    """Return a pack's index, or None when it has none that reads (cut short, altered, not a pack)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            end = TAIL.size + len(MARK)
            if size < end:
                return None
            handle.seek(size - end)
            tail = handle.read(end)
            if tail[TAIL.size:] != MARK:
                return None
            (listed,) = TAIL.unpack(tail[:TAIL.size])
            if listed > size - end:
                return None
            handle.seek(size - end - listed)
            raw = json.loads(handle.read(listed))
        entries = [(str(name), int(offset), int(length)) for name, offset, length in raw]
    except (OSError, ValueError, TypeError):
        return None
    bodies = size - end - listed  # where the index starts: every entry ends before it
    return entries if all(offset >= 0 and length >= 0 and offset + length <= bodies for _, offset, length in entries) \
        else None


def _remove_stale(folder: Path) -> None:
    """Remove the half-written packs of processes that stopped long ago."""
    now = time.time()
    try:
        with os.scandir(folder) as entries:
            stale = [entry.path for entry in entries
                     if entry.name.endswith(SUFFIX + ".tmp") and now - entry.stat().st_mtime > STALE]
    except OSError:
        return
    for path in stale:
        Path(path).unlink(missing_ok=True)
