"""Render stage: texts a build needs again only at its end, kept in a temporary file instead of in memory.

The feeds and job boards repeat every open posting's full description, which the posting's page renders
first: at N=5000 postings, 10,000 texts of some 7,000 characters (140 MB as Python strings). The render
stage writes each one here as its page is done, and the feeds read it back when they come to it, one
at a time (`Lazily`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, TypeVar

Key = TypeVar("Key", bound=Hashable)
Item = TypeVar("Item")
Value = TypeVar("Value")


class Spool(Mapping[Key, str]):
    """Texts by key, in an unnamed temporary file (removed when closed, or when the process ends)."""

    def __init__(self) -> None:
        self._file: BinaryIO | None = None  # made on the first text: most rebuilds in `serve` spool a few
        self._at: dict[Key, tuple[int, int]] = {}  # key → (offset, length) in the file
        self._end = 0
        self._memory: dict[Key, str] | None = None  # where no temporary file can be made

    def __setitem__(self, key: Key, text: str) -> None:
        if self._memory is not None:
            self._memory[key] = text
            return
        data = text.encode("utf-8")
        if self._file is None:
            try:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 (kept open until `close`)
            except OSError:  # no writable temporary folder: the texts stay in memory
                self._memory = {key: text}
                return
        fd, written = self._file.fileno(), 0
        try:
            while written < len(data):
                written += os.pwrite(fd, data[written:], self._end + written)
        except OSError:  # the disk is full: the texts go on in memory
            self._memory = {**{known: self[known] for known in self._at}, key: text}
            return
        self._at[key] = (self._end, len(data))  # a key written again points at its new text
        self._end += len(data)

    def __getitem__(self, key: Key) -> str:
        if self._memory is not None:
            return self._memory[key]
        offset, length = self._at[key]
        assert self._file is not None
        parts, read = [], 0
        while read < length:
            part = os.pread(self._file.fileno(), length - read, offset + read)
            if not part:
                raise OSError(f"the spool file ended {length - read} bytes early")
            parts.append(part)
            read += len(part)
        return b"".join(parts).decode("utf-8")

    def __contains__(self, key: object) -> bool:
        return key in (self._memory if self._memory is not None else self._at)

    def __iter__(self) -> Iterator[Key]:
        return iter(self._memory if self._memory is not None else self._at)

    def __len__(self) -> int:
        return len(self._memory if self._memory is not None else self._at)

    def close(self) -> None:
        """Remove the file; the spool is empty afterwards."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._at.clear()
        self._end = 0
        self._memory = None


class Lazily(Sequence[Value]):
    """`[make(item) for item in items]`, each value made when it is read and not kept: a one-off build's
    feed makes its entries from the descriptions one at a time instead of reading them all first."""

    def __init__(self, make: Callable[[Item], Value], items: Sequence[Item]) -> None:
        self._make: Callable[[Any], Value] = make
        self._items = items

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._make(item) for item in self._items[index]]
        return self._make(self._items[index])

    def __len__(self) -> int:
        return len(self._items)
