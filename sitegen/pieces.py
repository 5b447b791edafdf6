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

Piece = tuple[bytes, bytes]  # an entry's bytes, and their digest
DIGEST_SIZE = 16
PREFIX = "joined:"  # a joined file's fingerprint, never a page's


def piece(data: bytes) -> Piece:
    """Return bytes with their digest, to be joined into a file."""
    return data, hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


def joined(dest: str, pieces: Iterable[Piece], previous: Mapping[str, str], separator: bytes = b"\n") -> OutputFile:
    """Return the file `pieces` make, joined by `separator`; kept when `previous` has its fingerprint."""
    parts = list(pieces)
    digests = hashlib.blake2b(separator, digest_size=DIGEST_SIZE)
    digests.update(b"".join(map(itemgetter(1), parts)))  # fixed-size digests: the concatenation is unambiguous
    fingerprint = PREFIX + digests.hexdigest()
    if previous.get(dest) == fingerprint:
        return OutputFile(dest, b"", fingerprint, kept=True)
    chunks = [separator] * (2 * len(parts) - 1) if parts else []
    chunks[::2] = map(itemgetter(0), parts)  # entry, separator, entry, …: written without joining
    return OutputFile(dest, b"", fingerprint, parts=tuple(chunk for chunk in chunks if chunk))
