"""Render stage: texts a build needs again only at its end, kept in a temporary file instead of in memory.

The feeds and job boards repeat every open posting's full description, which the posting's page renders
first: at N=5000 postings, 10,000 texts of some 7,000 characters (140 MB as Python strings). The render
stage writes each one here as its page is done, and the feeds read it back when they come to it.
The feeds themselves, in a one-off build, go to a temporary file entry by entry (`Spooled`), and from
there to the output.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, TypeVar

Key = TypeVar("Key", bound=Hashable)


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
        return _read_exactly(self._file.fileno(), length, offset).decode("utf-8")

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


class Spooled(Sequence[bytes]):
    """Bytes written one after another to an unnamed temporary file, read back as parts of at most `PART`
    bytes: a joined file of a one-off build (a feed of 5,000 postings is tens of megabytes) is written
    there as its entries are made, and from there to the output, never whole in memory. The file is
    removed when the object is let go."""

    PART = 1 << 20

    def __init__(self) -> None:
        self.size = 0
        self._memory: list[bytes] | None = None  # where no temporary file can be made or written
        try:
            self._file: BinaryIO | None = tempfile.TemporaryFile()  # noqa: SIM115 (removed with the object)
        except OSError:
            self._file, self._memory = None, []

    def write(self, data: bytes) -> None:
        """Add bytes at the end."""
        if self._file is not None:
            try:
                written = 0
                while written < len(data):
                    written += os.pwrite(self._file.fileno(), data[written:], self.size + written)
            except OSError:  # the disk is full: what was written, and the rest, go on in memory
                self._memory = list(self)
                self._file.close()
                self._file = None
            else:
                self.size += len(data)
                return
        assert self._memory is not None
        if data:
            self._memory.append(data)
        self.size += len(data)

    def close(self) -> None:
        """Remove the temporary file (when the object is let go, at the latest)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._memory, self.size = [], 0

    def __del__(self) -> None:
        self.close()

    def __len__(self) -> int:
        if self._memory is not None:
            return len(self._memory)
        return -(-self.size // self.PART)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[at] for at in range(*index.indices(len(self)))]
        if self._memory is not None:
            return self._memory[index]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        start = (index % len(self)) * self.PART
        assert self._file is not None
        return _read_exactly(self._file.fileno(), min(self.PART, self.size - start), start)


def _read_exactly(fd: int, length: int, offset: int) -> bytes:
    """Return `length` bytes of a file from `offset` (a read may return fewer)."""
    parts, read = [], 0
    while read < length:
        part = os.pread(fd, length - read, offset + read)
        if not part:
            raise OSError(f"the temporary file ended {length - read} bytes early")
        parts.append(part)
        read += len(part)
    return b"".join(parts)
