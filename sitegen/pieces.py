"""Files joined from many entries (feeds, job boards, sitemap), fingerprinted from their entries' digests.

A feed of five thousand postings is tens of megabytes. Each entry is made with the digest of its bytes
(`piece`), so the file's fingerprint is the digest of those digests: known without joining the file.
When the folder already holds a file with that fingerprint (`previous`, as for pages), the file is
kept: neither joined, compared nor written again. The fingerprint is of the bytes themselves, so a
kept file is always the file the build would write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from operator import itemgetter

from .model import OutputFile
from .spool import Spooled

Piece = tuple[bytes, bytes]  # an entry's bytes, and their digest
DIGEST_SIZE = 16
PREFIX = "joined:"  # a joined file's fingerprint, never a page's


def piece(data: bytes) -> Piece:
    """Return bytes with their digest, to be joined into a file."""
    return data, hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


def joined(dest: str, pieces: Iterable[Piece], previous: Mapping[str, str], separator: bytes = b"\n",
           streamed: bool = False) -> OutputFile:
    """Return the file `pieces` make, joined by `separator`; kept when `previous` has its fingerprint.

    With `streamed` (a one-off build, whose pieces are made as they are read), each piece goes to a
    temporary file as it comes, and the file's parts are read from there as they are written out.
    """
    if streamed:
        return _spooled(dest, pieces, previous, separator)
    parts = list(pieces)
    digests = hashlib.blake2b(separator, digest_size=DIGEST_SIZE)
    digests.update(b"".join(map(itemgetter(1), parts)))  # fixed-size digests: the concatenation is unambiguous
    fingerprint = PREFIX + digests.hexdigest()
    if previous.get(dest) == fingerprint:
        return OutputFile(dest, b"", fingerprint, kept=True)
    chunks = [separator] * (2 * len(parts) - 1) if parts else []
    chunks[::2] = map(itemgetter(0), parts)  # entry, separator, entry, …: written without joining
    return OutputFile(dest, b"", fingerprint, parts=tuple(chunk for chunk in chunks if chunk))


def _spooled(dest: str, pieces: Iterable[Piece], previous: Mapping[str, str], separator: bytes) -> OutputFile:
    """Return what `joined` returns, the pieces' bytes gone to a temporary file one after another."""
    spool = Spooled()
    digests = hashlib.blake2b(separator, digest_size=DIGEST_SIZE)
    for index, (data, digest) in enumerate(pieces):
        digests.update(digest)
        spool.write(separator + data if index and separator else data)
    fingerprint = PREFIX + digests.hexdigest()
    if previous.get(dest) == fingerprint or not spool.size:
        spool.close()
        return OutputFile(dest, b"", fingerprint, kept=previous.get(dest) == fingerprint)
    return OutputFile(dest, b"", fingerprint, parts=spool)  # the temporary file goes with the last reference
