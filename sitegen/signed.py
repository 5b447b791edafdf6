"""Load and write stages: what the cache keeps that could run or show (compiled templates, descriptions), signed.

Each file carries an HMAC-SHA256 of its bytes under a key kept outside the cache folder; a file without
a valid signature is never loaded, so a cache restored from someone else's job can at worst be ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import jinja2

from .cache import private_folder, remove_other_versions, versioned
from .packs import Packs, PackWriter


def signing_key() -> bytes | None:
    """Return this user's secret for signing compiled templates, made on first use; None when unusable."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    folder = base / "careers-site"
    if not private_folder(folder, create=True):
        return None
    path = folder / "cache-key"
    try:
        if not path.exists():
            _make_key(path)
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == 32 else None


def _make_key(path: Path) -> None:
    """Make the key file whole, unless another process (a build's worker, another build) makes it first: then
    theirs is kept, and read in full."""
    import secrets  # (once per machine: not for every build, before its templates' worker starts)

    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # only if there is none yet; never half written
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: a race costs only a cache miss
            tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class SignedBytecodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates on disk, each signed; an unsigned or altered file is never loaded."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder, self.key = folder, key

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.jbc"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        body = read_signed(self._path(bucket), self.key)
        if body is not None:
            bucket.bytecode_from_string(body)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        write_signed(self._path(bucket), self.key, bucket.bytecode_to_string())


def signed(key: bytes, body: bytes, context: bytes = b"") -> bytes:
    """Return `body` after its signature (HMAC-SHA256 of `context` and `body`: what it must be found under)."""
    return hmac.new(key, context + body, hashlib.sha256).digest() + body


def checked(key: bytes, data: bytes | None, context: bytes = b"") -> bytes | None:
    """Return the body of what `signed` made with the same key and context, or None (missing, altered)."""
    if data is None or len(data) < 32:
        return None
    mac, body = data[:32], data[32:]
    return body if hmac.compare_digest(mac, hmac.new(key, context + body, hashlib.sha256).digest()) else None


def read_signed(path: Path, key: bytes) -> bytes | None:
    """Return the body of a signed file, or None when it is missing or its signature does not match."""
    try:
        return checked(key, path.read_bytes())
    except OSError:
        return None


def write_signed(path: Path, key: bytes, body: bytes) -> None:
    """Write a body with its signature, in one step; a failure to write is not an error."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(signed(key, body))
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


def template_cache(folder: Path) -> jinja2.BytecodeCache | None:
    """Return a signed cache of compiled templates below `folder`, or None when it cannot be trusted.

    Its folder is named by the generator's stamp: a compiled template holds code the generator's own
    Jinja extension wrote (the `cached` tag), which another version of careers-site may no longer have.
    Jinja's own key (the template's name and source, Python's and Jinja's versions) does not tell.
    The folders of other versions are removed.
    """
    key = signing_key()
    templates = versioned(folder, "templates")
    if key is None or not private_folder(folder, create=True) or not private_folder(templates, create=True):
        return None
    remove_other_versions(templates, "templates")  # and the single folder of versions before these
    return SignedBytecodeCache(templates, key)


class SignedTexts(MutableMapping[str, str]):
    """Texts on disk by a hexadecimal key, each signed, in packs (`packs.py`); an unsigned or altered one is absent.

    The build keeps here the full description each open posting's page rendered, by the page's
    fingerprint, so that the feeds of a build that keeps the page need not render it again. The texts set
    go to a new pack as they come (one file, written in order), which `flush` puts in place with the
    removals; until then the other stores of the folder do not see them.
    """

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder, self.key = folder, key
        self.packs = Packs(folder)
        self.writer: PackWriter | None = None
        self.removed: set[str] = set()
        self.tidied = False

    def __getitem__(self, name: str) -> str:
        if _is_name(name) and name not in self.removed:
            body = self.writer.read(name) if self.writer is not None else None
            text = _verified(self.key, name, body if body is not None else self.packs.get(name))
            if text is not None:
                return text
        raise KeyError(name)

    def __setitem__(self, name: str, text: str) -> None:
        if not _is_name(name):
            return
        self.removed.discard(name)
        try:
            if self.writer is None:
                self.writer = PackWriter(self.folder)
            self.writer.add(name, signed(self.key, text.encode("utf-8", "surrogatepass"), name.encode("ascii") + b"\0"))
        except OSError:  # (a full disk): none of this build's texts is kept; the next build renders them again
            if self.writer is not None:
                self.writer.abandon()
                self.writer = None

    def __delitem__(self, name: str) -> None:
        if not _is_name(name):
            raise KeyError(name)
        self.removed.add(name)
        if self.writer is not None:
            self.writer.index.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        written = self.writer.index if self.writer is not None else {}
        return iter(sorted({*self.packs.names(), *written} - self.removed))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self) -> None:
        """Put the texts set since the last flush in place, and drop those removed."""
        try:
            if self.writer is not None:
                writer, self.writer = self.writer, None
                self.packs.take(writer)
            removed, self.removed = self.removed, set()
            self.packs.prune(lambda name: name not in removed)
            if not self.tidied:  # the file per text of earlier versions, never read now
                self.tidied = True
                with os.scandir(self.folder) as entries:
                    old = [entry.path for entry in entries if entry.name.endswith(".html")]
                for path in old:
                    Path(path).unlink(missing_ok=True)
        except OSError:
            pass


def _is_name(name: str) -> bool:
    return name.isascii() and name.isalnum() and len(name) <= 128


def _verified(key: bytes, name: str, entry: bytes | None) -> str | None:
    """Return the text of an entry signed for `name`, or None when it is missing, altered or not valid UTF-8."""
    body = checked(key, entry, name.encode("ascii") + b"\0")
    try:
        return body.decode("utf-8", "surrogatepass") if body is not None else None
    except UnicodeDecodeError:
        return None


class Remembered(MutableMapping[str, str]):
    """A store whose texts, once read or written, are also kept in memory (for `serve`, which lives long).

    A rebuild then reads no file for the descriptions it needs, and lists no folder to prune them.
    """

    def __init__(self, store: MutableMapping[str, str]) -> None:
        self.store = store
        self.memory: dict[str, str] = {}
        self.names: set[str] | None = None  # the store's names, listed once

    def __getitem__(self, name: str) -> str:
        if name not in self.memory:
            self.memory[name] = self.store[name]
        return self.memory[name]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """Return the text of `name` (from memory once read), or `default`; a save asks for thousands."""
        found = self.memory.get(name)
        if found is not None:
            return found
        try:
            return self[name]
        except KeyError:
            return default

    def __setitem__(self, name: str, text: str) -> None:
        if self.memory.get(name) != text:
            self.store[name] = text
            self.memory[name] = text
        if self.names is not None:
            self.names.add(name)

    def __delitem__(self, name: str) -> None:
        self.memory.pop(name, None)
        if self.names is not None:
            self.names.discard(name)
        del self.store[name]

    def __iter__(self) -> Iterator[str]:
        if self.names is None:
            self.names = set(self.store)
        return iter(sorted(self.names))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self) -> None:
        """Flush the store's texts (`SignedTexts.flush`), if it keeps them so."""
        flush(self.store)


def flush(store: MutableMapping[str, str]) -> None:
    """Put in place what a store of descriptions was given (those that write as they go have nothing to do)."""
    if isinstance(store, (SignedTexts, Remembered)):
        store.flush()


class Discarded(MutableMapping[str, str]):
    """A store of posting descriptions that keeps none: a one-off build without a cache it can trust has no
    next build to keep them for (held in memory, a big site's were 120 MB at its end)."""

    def __getitem__(self, name: str) -> str:
        raise KeyError(name)

    def __setitem__(self, name: str, text: str) -> None:
        pass

    def __delitem__(self, name: str) -> None:
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def description_store(folder: Path, kind: str = "build", remember: bool = False) -> MutableMapping[str, str]:
    """Return the signed store of posting descriptions below `folder`; when it cannot be trusted, an in-memory
    one with `remember` (serve's next builds use it), else one that keeps nothing.

    Each kind of build (build, preview, serve) has its own, since each prunes what it no longer uses.
    With `remember`, what the store reads or writes is kept in memory as well.
    """
    key = signing_key()
    texts = folder / f"descriptions-{kind}"
    if key is None or not private_folder(folder, create=True) or not private_folder(texts, create=True):
        return {} if remember else Discarded()
    return Remembered(SignedTexts(texts, key)) if remember else SignedTexts(texts, key)
