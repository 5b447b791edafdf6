"""Write stage, the only writer: the new output is built beside the old one and exchanged with it whole.

(Render workers write their pages into the staging tree with `Staging.writer`; the build's process lists
them, and alone decides the exchange.)

Guarantees (the README repeats them):
- the output folder is recognised positively by the manifest every build writes into it; a non-empty folder
  without one, or with files the manifest does not list, is refused, never cleaned;
- at every instant the output folder exists and holds either the whole previous site or the whole new one
  (on Linux the two folders are exchanged by one `renameat2(RENAME_EXCHANGE)`);
- builds into the same folder are serialized by a lock file beside it, and each build first removes the
  staging folders that killed builds left beside it;
- an output path that is a symbolic link to a folder is written through: the link stays, its target is updated;
- `serve`'s preview folder, after its first build, is updated in place instead (`inplace.py`).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from .model import OutputFile, Problem
from .records import record

MANIFEST = ".careers-site-manifest"
Sink = Callable[[OutputFile], OutputFile]  # writes a file out; returns it without its bytes
MANIFEST_HEADER = "# careers-site output: every file below was written by the build; the next build replaces them"


@runtime_checkable
class KeepingSink(Protocol):
    """A sink that also takes, all at once, the files a build kept from the last one (serve's `InPlace`)."""

    def __call__(self, file: OutputFile) -> OutputFile: ...

    def place_kept(self, files: list[OutputFile]) -> None: ...


def real_output(out: Path) -> Path:
    """Return the folder a build writes: `out`, or the folder a symbolic link `out` points to."""
    return out.resolve() if out.is_symlink() else out.absolute()


def unsafe_output(out: Path, root: Path) -> str | None:
    """Return why the build must not replace `out`, or None when it is safe."""
    if out.is_symlink() and not out.exists():
        return f"the output folder {out} is a symbolic link to nothing; point it at a folder, or remove it"
    out, root = real_output(out).resolve(), root.resolve()
    if out.exists() and not out.is_dir():
        return f"{out} is a file, not a folder; choose a folder for the output, e.g. dist/"
    if out == root or out in root.parents:
        return f"the output folder {out} contains the project; choose a folder inside it, e.g. dist/"
    for folder in ("content", "templates", "assets"):
        source = root / folder
        if out == source or source in out.parents or out in source.parents:
            return f"the output folder {out} overlaps {folder}/; choose another, e.g. dist/"
    if out.is_dir():
        return _foreign_files(out)
    return None


def _foreign_files(out: Path) -> str | None:
    """Return why a folder is not a previous output of this tool, or None when it is one (or empty)."""
    present = _files_below(out)
    if isinstance(present, OSError):
        return f"the output folder {out} cannot be read: {present.strerror}"
    if not present:
        return None
    listed = read_manifest(out)
    if listed is None:
        return (f"the output folder {out} holds files that careers-site did not build (it has no {MANIFEST}); "
                "choose an empty or new folder, or empty this one yourself")
    written = _journaled(out)  # files serve's last, unfinished rebuild wrote (inplace.py)
    unknown = sorted(rel for rel in present if rel not in listed and rel not in written and rel != MANIFEST)

    if unknown:
        return (f"{out / unknown[0]} was not written by careers-site (the output folder's {MANIFEST} does not "
                f"list it); move it out of the output folder, which each build replaces whole")
    return None


def _journaled(out: Path) -> set[str]:
    """Return the paths the journal beside `out` names: files a rebuild wrote in place and did not list yet."""
    try:
        return set((out.parent / f".{out.name}.journal").read_text(encoding="utf-8").split("\n"))
    except (OSError, UnicodeDecodeError):
        return set()


def _files_below(folder: Path) -> list[str] | OSError:
    """Return the paths of everything below `folder` that is not a folder, relative to it."""
    found: list[str] = []
    todo = [""]
    while todo:
        prefix = todo.pop()
        try:
            with os.scandir(folder / prefix if prefix else folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(prefix + entry.name + "/")
                    else:
                        found.append(prefix + entry.name)
        except OSError as exc:
            return exc
    return found


def read_manifest(out: Path) -> dict[str, tuple[str, int]] | None:
    """Return the files a previous build listed in its manifest, with fingerprint and size; None without one.

    A path that could lead outside the folder (a manifest someone edited) is left out: nothing is kept,
    read or removed by it, and a file kept by its fingerprint needs no other check of its path.
    """
    try:
        lines = (out / MANIFEST).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or lines[0] != MANIFEST_HEADER:
        return None
    entries = [[*line.split("\t"), "", "-1"][:3] for line in lines[1:] if line]
    return {path: (fingerprint, int(size) if size.lstrip("-").isdigit() else -1) for path, fingerprint, size in entries
            if not UNSAFE_PATH.search(path) and path != MANIFEST}


def kept_fingerprints(out: Path) -> dict[str, str]:
    """Return the fingerprints of the pages (and joined files) a previous build wrote into `out`, still as written.

    Paths come from `read_manifest`, so none leads outside the folder.
    """
    out = real_output(out)
    kept = {}
    for path, (fingerprint, size) in (read_manifest(out) or {}).items():
        try:
            found = (out / path).lstat()
            if fingerprint and found.st_size == size and stat.S_ISREG(found.st_mode):  # a file, not a link to one
                kept[path] = fingerprint
        except OSError:
            continue
    return kept


UNSAFE_PATH = re.compile(r"\\|^$|^/|/$|//|(?:^|/)\.\.?(?:/|$)")  # a backslash, an empty, '.' or '..' part


def unsafe_destinations(files: Sequence[OutputFile]) -> list[Problem]:
    """Return a problem for each output path that could land outside the output folder."""
    return [Problem(file.dest_path, None, "output path would leave the output folder",
                    "this is a bug in careers-site: please report it")
            for file in files if UNSAFE_PATH.search(file.dest_path) or file.dest_path == MANIFEST]


def write_output(out: Path, files: Sequence[OutputFile]) -> int:
    """Replace `out` with exactly these files and a manifest, atomically; return how many files changed."""
    with staged(out) as staging:
        for file in files:
            staging.place(file)
        return staging.commit()


class Staging:
    """A new output tree beside `out`, filled one file at a time and exchanged with `out` only when complete.

    A build streams its files here as they are rendered, so no page's text stays in memory; a failure or
    a kill before `commit` leaves the previous output untouched. Unchanged files are hard links to the
    old ones and keep their modification times. The tree is filled only once a file differs from the old
    output: a build that changes nothing touches no file but, if need be, the manifest.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.old = out if out.is_dir() else None  # the old output, if any: files may be the same as its
        self.folder: Path | None = None  # made on first need
        self.tree: Tree | None = None  # the folder, and the folders made in it
        self.whole = False  # True once the folder holds every file listed (the old ones as links)
        self.unlinked: list[str] = []  # files listed as the old ones, not linked into the folder yet
        self.listed: dict[str, tuple[str, int]] = {}  # dest path → (fingerprint, size)
        self.changed = 0
        self.retired = 0  # files of the previous output, which the folder holds once `commit` swapped it out

    def place(self, file: OutputFile) -> OutputFile:
        """Write one file into the tree (an unsafe path is skipped: the build reports it); return it without data."""
        if unsafe_destinations([file]):
            return file
        old = _as_old(self.old, file)  # (listed, and linked if the tree is being filled: no folder needed yet)
        return self.written(old if old is not None else _write_into(self.old, self._tree(), file))

    def writer(self) -> Callable[[OutputFile], Written]:
        """Return what writes files into the tree from any process (a render worker), the folder made now.

        The pages a worker renders go to disk from the worker, and only their paths, sizes and fingerprints
        come back: `written` lists each in the build's process. A worker writes only what differs from the
        old output; the old files are linked by `written` once one file differs, so that a build whose
        files all turn out to be the old ones touches nothing but, if need be, the manifest (`commit`).
        """
        return functools.partial(_write_new, self.old, self._tree())

    def written(self, written: Written) -> OutputFile:
        """List a file `writer` wrote (an unsafe path was skipped: the build reports it); return it without data.

        A failure to write it (a full disk) is raised here, in the build's process.
        """
        file = written.file
        if written.error is not None:
            raise OSError(*written.error)
        if unsafe_destinations([file]):
            return file
        self.listed[file.dest_path] = (file.fingerprint, written.size)
        self.changed += written.new
        if not written.linked:
            self.unlinked.append(file.dest_path)
        if written.new or (self.whole and not written.linked):
            self._make_whole()
        return file

    def _folder(self) -> Path:
        """Return the staging folder, made on first need."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
            self.folder.chmod(0o755)
        return self.folder

    def _tree(self) -> Tree:
        """Return the staging folder as a tree to write files into, made on first need."""
        if self.tree is None:
            self.tree = Tree(self._folder())
        return self.tree

    def _make_whole(self) -> Path:
        """Return the staging folder with links to the old files listed so far and not linked yet."""
        tree = self._tree()
        self.whole = True
        for path in self.unlinked:
            link_or_copy(self.out / path, tree.target(path))
        self.unlinked.clear()
        return tree.root

    def commit(self) -> int:
        """Write the manifest and put the tree at `out`; return how many files changed."""
        listed = sorted(f"{path}\t{fingerprint}\t{size}" for path, (fingerprint, size) in self.listed.items())
        manifest = "\n".join([MANIFEST_HEADER, *listed]) + "\n"
        old = read_manifest(self.out) or {}
        removed = len(set(old) - set(self.listed))
        if not self.changed and not removed:  # every file is the old one: only the manifest may change
            tmp = self.out.parent / f".{self.out.name}.new-{os.getpid()}.manifest"
            replace_text(self.out / MANIFEST, manifest, tmp)
            return 0
        folder = self._make_whole()
        (folder / MANIFEST).write_text(manifest, encoding="utf-8")
        _swap(folder, self.out)
        self.retired = len(old)
        return self.changed + removed


class Tree:
    """A staging folder that files are written into, and the folders this process made in it (each made once:
    a folder made by another process is found there when this one makes it)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made = {""}  # paths of folders below the root, the root's ""

    def target(self, path: str) -> Path:
        """Return where the file at `path` goes in the tree, its folder made."""
        self._make(path.rpartition("/")[0])
        return self.root / path

    def _make(self, folder: str) -> None:
        if folder in self.made:
            return
        self._make(folder.rpartition("/")[0])
        try:
            (self.root / folder).mkdir()
        except FileExistsError:
            if not (self.root / folder).is_dir():
                raise
        self.made.add(folder)


@record
class Written:
    """A file placed in a staging tree, perhaps by another process: without its bytes, with its size and
    whether it is new (1) or the old output's file (0: linked into the tree, or with `linked` False, to be
    linked once the tree is filled); or the failure to write it (a full disk)."""

    file: OutputFile
    size: int = 0
    new: int = 0
    linked: bool = True
    error: tuple[int, str, str | None] | None = None  # errno, message, file name


def _write_new(out: Path | None, tree: Tree, file: OutputFile) -> Written:
    """Write a file into the staging tree only when it is not the old output's file (`out`; None: none)."""
    old = _as_old(out, file)
    return old if old is not None else _write_into(out, tree, file)


def _as_old(out: Path | None, file: OutputFile) -> Written | None:
    """Return a file that is the old output's as listed, to be linked later (None: it differs, or is unsafe)."""
    size = None if out is None or unsafe_destinations([file]) else _same_as_old(out, file)
    return None if size is None else Written(file.bare(), size, linked=False)


def _write_into(out: Path | None, tree: Tree, file: OutputFile) -> Written:
    """Put one file into the staging tree, beside the old output `out`, if any (an unsafe path is skipped);
    say what was done."""
    bare = file.bare()
    if unsafe_destinations([file]):
        return Written(bare)
    try:
        size, new = _place(out, tree, file)
        return Written(bare, size if new else (tree.root / file.dest_path).stat().st_size, new)
    except OSError as exc:  # raised again by `Staging.written`, in the build's process
        return Written(bare, error=(exc.errno or 0, exc.strerror or str(exc), _name(exc.filename)))


def _name(filename: object) -> str | None:
    """Return an error's file name as text."""
    return os.fsdecode(filename) if isinstance(filename, (str, bytes, os.PathLike)) else None


def _same_as_old(out: Path, file: OutputFile) -> int | None:
    """Return the size of the old output's file when `file` is that file unchanged, else None."""
    old = out / file.dest_path
    try:
        if old.is_symlink() or not old.is_file():
            return None
        size = old.stat().st_size
        if file.kept or (size == file.size and _holds(old, file)):
            return size
    except OSError:
        return None
    return None


def replace_text(path: Path, text: str, tmp: Path, compare: bool = True) -> None:
    """Replace a file's text in one step, through `tmp` (unless, with `compare`, it already holds it)."""
    try:
        if compare and path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Staging]:
    """Hold the output's lock and yield a staging tree beside it; remove what is left of it at the end.

    The lock is held from the first file to the swap, so concurrent builds into one folder never mix.
    """
    out = real_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        _remove_leftovers(out)
        staging = Staging(out)
        try:
            yield staging
        finally:
            folder = staging.folder  # after a swap, it holds the previous output
            if folder is not None and (staging.retired < DETACHED or not removed_detached(folder)):
                shutil.rmtree(folder, ignore_errors=True)


DETACHED = 1000  # files of a replaced output from which a detached process removes it


def removed_detached(folder: Path) -> bool:
    """Remove `folder` in a detached process, which nothing waits for; return False where none could be made.

    A replaced output is removed after the build has put the new one in place, and the build has nothing
    to wait for it: a big one takes seconds (a page is a folder of its own, for its address: 10,000 pages
    took 2.3 s, a fifth of a rebuild after one edit). A removal stopped halfway leaves a staging folder,
    which the next build into the same folder removes first, as it does a killed build's. The process is a
    grandchild in a session of its own, its output to /dev/null: it is never a zombie of this one, and a
    terminal's Ctrl+C or a pipe waiting for this command's output never waits for it. Not while another
    thread runs: forked beside it, the remover could wait forever for a lock that thread held.
    """
    threads = sys.modules.get("threading")
    if not hasattr(os, "fork") or (threads is not None and threads.active_count() > 1):
        return False
    try:
        child = os.fork()
    except OSError:
        return False
    if child:
        _, status = os.waitpid(child, 0)  # at once: it forks the remover and leaves it to the system
        return os.waitstatus_to_exitcode(status) == 0
    code = 1
    try:
        if os.fork() == 0:  # the remover
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for descriptor in (0, 1, 2):
                os.dup2(null, descriptor)
            shutil.rmtree(folder, ignore_errors=True)
        code = 0
    finally:
        os._exit(code)


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the lock of an output folder (its real path): a second build into it waits until the first is done."""
    try:
        import fcntl
    except ImportError:  # not on a POSIX system: builds are not serialized
        yield
        return
    with (out.parent / f".{out.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(out: Path) -> None:
    """Remove the staging folders, manifests and retired folders that killed builds left beside `out`."""
    for pattern in (f".{out.name}.new-*", f".{out.name}.old-*"):
        for leftover in out.parent.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.is_file() and leftover.name.endswith((".manifest", ".file")):
                leftover.unlink(missing_ok=True)


def _place(out: Path | None, tree: Tree, file: OutputFile) -> tuple[int, int]:
    """Put one file that is not the old output's as listed (`_as_old`) into the staging tree: a link to the
    previous build's file for a kept one (in `out`, if any), else its bytes; return (the bytes written, 1)
    if new, else (0, 0)."""
    target = tree.target(file.dest_path)
    if file.kept:  # the previous build's file, whose inputs have not changed
        if out is None:
            raise FileNotFoundError(errno.ENOENT, "the previous output is gone", file.dest_path)
        link_or_copy(out / file.dest_path, target)
        return 0, 0
    return write_file(target, file), 1


def link_or_copy(source: Path, target: Path) -> None:
    """Put the old output's file `source` at `target`: a hard link (it keeps its modification time and takes no
    room), or a copy with its times on a file system without hard links. A symbolic link is never followed: a
    file that has become one since it was listed is put there as it is, not the file it points to.

    A `source` that is gone is an error, as is any other failure to copy it.
    """
    try:
        os.link(source, target, follow_symlinks=False)
    except FileNotFoundError:
        raise
    except OSError:  # hard links not supported (EPERM, ENOTSUP), or too many of them (EMLINK)
        shutil.copy2(source, target, follow_symlinks=False)


def _holds(path: Path, file: OutputFile) -> bool:
    """Return True when the file at `path` has `file`'s bytes (a file in parts is compared part by part)."""
    if not file.parts:
        return path.read_bytes() == file.data
    with path.open("rb") as handle:
        return all(handle.read(len(part)) == part for part in file.parts) and not handle.read(1)


def _write_bytes(path: Path, data: bytes) -> int:
    """Write `data` into the file at `path` (made, or emptied first), and return how many bytes: three system
    calls, where `Path.write_bytes` makes six (its buffered file asks for the file's block size, whether it is
    a terminal, and where it stands), for each of a big site's 10,000 pages."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)
    return len(data)


def write_file(path: Path, file: OutputFile) -> int:
    """Write a file's bytes at `path`, and return how many; a file in parts is written part after part, never
    joined in memory."""
    if not file.parts:
        return _write_bytes(path, file.data)
    written = 0
    with path.open("wb", buffering=0) as raw:
        if not hasattr(os, "writev"):  # not a POSIX system
            for part in file.parts:
                raw.write(part)
                written += len(part)
            return written
        batch: list[bytes] = []
        size = 0
        for part in file.parts:  # (a spooled file's parts are read from its temporary file one by one)
            batch.append(part)
            size += len(part)
            if len(batch) == WRITE_PARTS or size >= WRITE_BYTES:
                _write_all(raw.fileno(), batch)
                written, batch, size = written + size, [], 0
        if batch:
            _write_all(raw.fileno(), batch)
    return written + size


WRITE_PARTS = 512  # parts given to one `writev` (systems take at least 1,024)
WRITE_BYTES = 1 << 18  # and at most about this many bytes, read from a spooled file for it (4 MiB, then 1 MiB,
# were the peak of a big one-off build's process, which writes its feeds last)


def _write_all(fd: int, parts: Sequence[bytes]) -> None:
    """Write every byte of `parts` to `fd` (a `writev` may write only some of them)."""
    pending = [memoryview(part) for part in parts]
    index = 0
    while index < len(pending):
        written = os.writev(fd, pending[index:])
        while index < len(pending) and written >= len(pending[index]):
            written -= len(pending[index])
            index += 1
        if written:
            pending[index] = pending[index][written:]


def _swap(staging: Path, out: Path) -> None:
    """Put the finished staging tree at `out`; afterwards `staging` holds the previous output, if any."""
    if not out.exists():
        staging.rename(out)
        return
    if _exchange(staging, out):
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)  # without an atomic exchange, `out` is missing until the next line
    staging.rename(out)
    retired.rename(staging)


def _exchange(first: Path, second: Path) -> bool:
    """Exchange two folders in one atomic step; return False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # (only here: most builds replace no folder)

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))
