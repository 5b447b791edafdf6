"""Render and write stages: bytes a build needs again only later, in a temporary file instead of in memory.

The feeds and job boards repeat every open posting's full description, which the posting's page renders
first: at N=5000 postings, 10,000 texts of some 7,000 characters (140 MB as Python strings). The render
stage writes each one to a `Spool` as its page is done, and the feeds read it back when they come to it.
In a one-off build, the feeds themselves go to a `Spooled` file entry by entry, and from there to the
output, a few megabytes at a time.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, TypeVar

Key = TypeVar("Key", bound=Hashable)


class Spooled(Sequence[bytes]):
    """Bytes written one after another to an unnamed temporary file, read back by offset or as parts of at
    most `PART` bytes. The file is removed when closed or let go; where none can be made or written (no
    writable temporary folder, a full disk, no `pwrite` on the system), the bytes are held in memory."""

    PART = 1 << 18  # (read back a part at a time as the file is written out: 1 MiB was most of a big build's last peak)

    def __init__(self) -> None:
        self.size = 0
        self._held: bytearray | None = None
        self._file: BinaryIO | None = None
        try:
            if hasattr(os, "pwrite") and hasattr(os, "pread"):  # (not on Windows)
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `close`)
        except OSError:
            pass
        if self._file is None:
            self._held = bytearray()

    def write(self, data: bytes) -> None:
        """Add bytes at the end."""
        if self._file is not None:
            try:
                written = 0
                while written < len(data):
                    written += os.pwrite(self._file.fileno(), data[written:], self.size + written)
            except OSError:  # what was written, and the rest, go on in memory
                self._held = bytearray(self.read(0, self.size))
                self._file.close()
                self._file = None
            else:
                self.size += len(data)
                return
        assert self._held is not None
        self._held += data
        self.size += len(data)

    def read(self, offset: int, length: int) -> bytes:
        """Return `length` bytes from `offset`."""
        if self._file is None:
            return bytes((self._held or b"")[offset:offset + length])
        return _read(self._file, offset, length)

    def close(self) -> None:
        """Remove the file (when the object is let go, at the latest); nothing is left."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._held, self.size = bytearray(), 0

    def __del__(self) -> None:
        self.close()

    def __len__(self) -> int:
        return -(-self.size // self.PART)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[at] for at in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        start = (index % len(self)) * self.PART
        return self.read(start, min(self.PART, self.size - start))


class Shared:
    """An unnamed temporary file to which the processes forked after it was made add bytes, each addition at
    the file's end under a lock, and which any of them reads by offset (a one-off build's parse workers
    store the texts' HTML in it: the build's process then never holds them).

    Raises OSError when no temporary file can be made, or where there are no POSIX locks or `pwrite`.
    """

    def __init__(self) -> None:
        if not (hasattr(os, "pwrite") and hasattr(os, "pread")):
            raise OSError("no pwrite on this system")
        import fcntl

        self._fcntl = fcntl
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (removed when the last process closes it)

    def append(self, data: bytes) -> int:
        """Add bytes at the end of the file; return where they begin. Raises OSError if they cannot be written
        (what was written of them is then never read)."""
        descriptor, fcntl = self._file.fileno(), self._fcntl
        fcntl.lockf(descriptor, fcntl.LOCK_EX)  # (a lock of this process: the others wait, whatever their file)
        try:
            offset = os.fstat(descriptor).st_size
            written = 0
            while written < len(data):
                written += os.pwrite(descriptor, data[written:], offset + written)
        finally:
            fcntl.lockf(descriptor, fcntl.LOCK_UN)
        return offset

    def append_each(self, parts: Sequence[bytes]) -> list[int] | None:
        """Add the parts one after another, in one write; return where each begins, or None if they cannot be
        written (a full disk)."""
        try:
            offset = self.append(b"".join(parts))
        except OSError:
            return None
        offsets = []
        for part in parts:
            offsets.append(offset)
            offset += len(part)
        return offsets

    def read(self, offset: int, length: int) -> bytes:
        """Return `length` bytes from `offset`."""
        return _read(self._file, offset, length)

    def close(self) -> None:
        """Close the file (when the object is let go, at the latest): it is removed once no process has it open."""
        self._file.close()

    def __del__(self) -> None:
        if hasattr(self, "_file"):
            self.close()


def shared_file() -> Shared | None:
    """Return a new `Shared` file, or None where none can be made."""
    try:
        return Shared()
    except OSError:
        return None


def _read(file: BinaryIO, offset: int, length: int) -> bytes:
    """Return `length` bytes of `file` from `offset` (`pread`: the file's position does not move)."""
    parts, read = [], 0
    while read < length:  # a read may return fewer bytes than asked for
        part = os.pread(file.fileno(), length - read, offset + read)
        if not part:
            raise OSError(f"the temporary file ended {length - read} bytes early")
        parts.append(part)
        read += len(part)
    return b"".join(parts)


SPAN = 1 << 40  # more than any text's length in bytes: a place (offset × SPAN + length) is one number
FILES = 256  # one more than the other files a spool may take texts from


class Spool(Mapping[Key, str]):
    """Texts by key, their bytes in a `Spooled` file (made on the first text: most rebuilds in `serve`
    spool a few)."""

    def __init__(self) -> None:
        self._bytes: Spooled | None = None
        self._sources: list[Shared] = []  # the files other processes wrote texts to
        # key → where its text is, one number: ((offset × `SPAN`) + length) × `FILES` + 0 (this spool's own
        # file) or 1 + the other file's place in `_sources` (a big site's 10,000 descriptions were a megabyte
        # of triples while its pages rendered); a key written again, its new text
        self._at: dict[Key, int] = {}

    def __setitem__(self, key: Key, text: str) -> None:
        data = text.encode("utf-8")
        if self._bytes is None:
            self._bytes = Spooled()
        self._at[key] = (self._bytes.size * SPAN + len(data)) * FILES
        self._bytes.write(data)

    def place(self, key: Key, source: Shared, offset: int, length: int) -> None:
        """Add the text whose UTF-8 bytes another process wrote to `source` (`length` bytes at `offset`)."""
        number = next((n for n, known in enumerate(self._sources, 1) if known is source), None)
        if number is None:
            if len(self._sources) == FILES - 1:
                raise ValueError(f"a spool takes texts from at most {FILES - 1} other files")
            self._sources.append(source)
            number = len(self._sources)
        self._at[key] = (offset * SPAN + length) * FILES + number

    def __getitem__(self, key: Key) -> str:
        where, number = divmod(self._at[key], FILES)
        offset, length = divmod(where, SPAN)
        if number:
            return self._sources[number - 1].read(offset, length).decode("utf-8")
        assert self._bytes is not None
        return self._bytes.read(offset, length).decode("utf-8")

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def __iter__(self) -> Iterator[Key]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def close(self) -> None:
        """Remove the file; the spool is empty afterwards."""
        if self._bytes is not None:
            self._bytes.close()
            self._bytes = None
        self._at.clear()
        self._sources.clear()
