"""Write stage for `serve`: its preview folder updated in place, one changed file at a time."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from .model import OutputFile
from .pieces import PREFIX as CONTENT_DIGEST
from .write import (
    MANIFEST,
    MANIFEST_HEADER,
    kept_fingerprints,
    read_manifest,
    real_output,
    replace_text,
    unsafe_destinations,
    write_file,
)


class InPlace:
    """A preview folder (serve's) updated in place: only files that differ are written, each in one step.

    It remembers what the folder holds, so a rebuild neither reads the manifest nor looks at unchanged
    files. Before a file is written, its path goes into a journal beside the folder (`.<out>.journal`);
    the manifest is written, and the journal removed, when the build is done. A build that fails or is
    killed halfway leaves the journal: the next one forgets the fingerprints of the files it names (they
    are rendered again) and lists the new ones, so the folder is still recognised as ours.

    A file in parts (a feed: tens of megabytes on a big site) is written on a thread of its own while the
    build goes on (checking links, mostly): the system copies the bytes without Python's lock. `commit`,
    `abandon` and `settle` wait for it; until then the folder holds the file's previous version, whole.
    """

    def __init__(self, out: Path) -> None:
        self.out = real_output(out)
        self.journal = self.out.parent / f".{self.out.name}.journal"
        listed = read_manifest(self.out) or {}
        kept = kept_fingerprints(self.out) if listed else {}
        self.held: dict[str, tuple[str, int]] = {path: (kept.get(path, ""), size) for path, (_, size) in listed.items()}
        self.listed: dict[str, tuple[str, int]] = {}
        self.changed: set[str] = set()  # paths this build placed whose entry differs from what the folder holds
        self.lines: dict[str, str] = {}  # the manifest's line of each path, as last written
        self.order: list[str] = []  # the manifest's paths, in its order
        self.writing: list[tuple[threading.Thread, list[BaseException]]] = []  # files in parts being written
        self.kept: list[list[OutputFile]] = []  # files kept from the last build, listed when the build is done
        self._fingerprints: dict[str, str] | None = None  # made from `held` when first asked for
        self._recover()

    @property
    def fingerprints(self) -> dict[str, str]:
        """Return the fingerprints of the pages the folder holds, for the next build to keep them.

        Made once for what the folder holds: `commit` makes them for the next build once the browsers
        reloaded, rather than the next build before any page (10,000 pages: 2 ms).
        """
        if self._fingerprints is None:
            self._fingerprints = _fingerprints(self.held)
        return self._fingerprints

    def __call__(self, file: OutputFile) -> OutputFile:
        """Place one file (`place`): the folder is a sink."""
        return self.place(file)

    def place_kept(self, files: list[OutputFile]) -> None:
        """Take files the build kept from the last one (as `place` would, which writes none of them) once the
        build is done: a save's browsers then reload without waiting for the 10,000 a big site keeps."""
        self.kept.append(files)

    def place(self, file: OutputFile) -> OutputFile:
        """Put one file in the folder unless it is already there; return it without data."""
        held = self.held.get(file.dest_path)
        if file.kept and held is not None:  # nothing is written
            if held[0] == file.fingerprint:
                self.listed[file.dest_path] = held
            else:
                self.listed[file.dest_path] = (file.fingerprint, held[1])
                self.changed.add(file.dest_path)
            return file
        if unsafe_destinations([file]):
            return file
        target = self.out / file.dest_path
        differs = held is None or held[1] != file.size or file.fingerprint.startswith(CONTENT_DIGEST)
        if differs or _read(target) != file.content:  # a digest of the bytes that is not the one held: they differ
            with self.journal.open("a", encoding="utf-8") as journal:
                journal.write(file.dest_path + "\n")
            target.parent.mkdir(parents=True, exist_ok=True)
            if file.parts:
                self._behind(target, file)
            else:
                self._write(target, file, "file")
        self.listed[file.dest_path] = entry = (file.fingerprint, file.size)
        if held != entry:
            self.changed.add(file.dest_path)
        return file.bare()

    def _write(self, target: Path, file: OutputFile, name: str) -> None:
        """Replace the file at `target` in one step, through a file of the given name beside the folder."""
        tmp = self.out.parent / f".{self.out.name}.new-{os.getpid()}.{name}"
        write_file(tmp, file)
        tmp.replace(target)

    def _behind(self, target: Path, file: OutputFile) -> None:
        """Write a file in parts on a thread of its own; an error is raised again by `settle`."""
        errors: list[BaseException] = []
        name = f"{len(self.writing)}.file"  # one temporary file per thread

        def write() -> None:
            try:
                self._write(target, file, name)
            except BaseException as exc:  # handed to the build's thread, which raises it again
                errors.append(exc)

        thread = threading.Thread(target=write, name="careers-site-write", daemon=True)
        thread.start()
        self.writing.append((thread, errors))

    def settle(self) -> None:
        """Wait until the files written on threads of their own are in place; raise the first error."""
        writing, self.writing = self.writing, []
        for thread, _ in writing:
            thread.join()
        for _, errors in writing:
            if errors:
                raise errors[0]

    def commit(self) -> int:
        """Remove the files this build no longer has, write the manifest; return how many files were removed."""
        self.settle()
        kept, self.kept, held, listed = self.kept, [], self.held, self.listed
        for files in kept:
            for file in files:  # what `place` does with a kept file the folder holds as it is, written out
                entry = held.get(file.dest_path)
                if entry is not None and file.kept and entry[0] == file.fingerprint:
                    listed[file.dest_path] = entry
                else:
                    self.place(file)
        added = sum(1 for path in self.changed if path not in self.held)
        # every path placed that the folder held: none is gone unless fewer were placed than it held
        gone = [path for path in self.held if path not in self.listed] if len(self.listed) - added < len(
            self.held) else []
        for path in gone:
            (self.out / path).unlink(missing_ok=True)
        if gone or self.changed or self.journal.exists():
            self._write_manifest(self.listed, None if gone or added else self.changed)
        self.journal.unlink(missing_ok=True)
        self.held, self.listed, self.changed = self.listed, {}, set()
        self._fingerprints = _fingerprints(self.held)  # for the next build, now rather than before its first page
        return len(gone)

    def abandon(self) -> None:
        """Forget what a failed build placed: the files it wrote are rendered again next time."""
        with contextlib.suppress(OSError):  # the journal names the file: it is rendered again next time
            self.settle()
        self.listed, self.changed, self.kept = {}, set(), []
        self._recover()

    def _recover(self) -> None:
        """Forget the fingerprints of the files the journal names (a build wrote them and did not finish)."""
        try:
            written = self.journal.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            return
        for path in written:
            if not path or unsafe_destinations([OutputFile(path, b"")]):
                continue
            try:
                self.held[path] = ("", (self.out / path).stat().st_size)
            except OSError:
                self.held.pop(path, None)
        self._fingerprints = None
        self._write_manifest(self.held)
        self.journal.unlink(missing_ok=True)

    def _write_manifest(self, entries: dict[str, tuple[str, int]], changed: set[str] | None = None) -> None:
        """Write the manifest of `entries`; with `changed`, the paths are those last written, only these changed."""
        if changed is None or not self.order:
            self.lines = {path: f"{path}\t{fingerprint}\t{size}" for path, (fingerprint, size) in entries.items()}
            self.order = sorted(self.lines, key=lambda path: path + "\t")  # the lines' order: a tab sorts first
        else:
            self.lines.update((path, f"{path}\t{entries[path][0]}\t{entries[path][1]}") for path in changed)
        self.out.mkdir(parents=True, exist_ok=True)
        # written without reading the old one first: it is written only when a file changed (or a build failed)
        replace_text(self.out / MANIFEST, "\n".join([MANIFEST_HEADER, *map(self.lines.__getitem__, self.order)])
                     + "\n", self.out.parent / f".{self.out.name}.new-{os.getpid()}.manifest", compare=False)


def _fingerprints(held: dict[str, tuple[str, int]]) -> dict[str, str]:
    """Return the fingerprints of the files a folder holds (path → fingerprint), for those that have one."""
    return {path: fingerprint for path, (fingerprint, _) in held.items() if fingerprint}


def _read(path: Path) -> bytes | None:
    """Return a file's bytes, or None when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError:
        return None
