"""Writing: atomic replacement, unchanged files kept, unsafe folders and paths refused."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sitegen.write
from sitegen.model import OutputFile
from sitegen.write import (
    MANIFEST,
    Written,
    kept_fingerprints,
    staged,
    unsafe_destinations,
    unsafe_output,
    write_output,
)


def tree(root: Path) -> dict[str, bytes]:
    """Return the built files below `root`, without the manifest."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


def test_replaces_the_tree_and_keeps_unchanged_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, [OutputFile("a/index.html", b"A"), OutputFile("b.css", b"B"), OutputFile("old/x.txt", b"x")])
    os.utime(out / "a/index.html", (1, 1))
    inode = (out / "a/index.html").stat().st_ino
    changed = write_output(out, [OutputFile("a/index.html", b"A"), OutputFile("b.css", b"B2")])
    assert changed == 2  # b.css rewritten, old/x.txt removed
    assert tree(out) == {"a/index.html": b"A", "b.css": b"B2"}
    assert (out / "a/index.html").stat().st_mtime == 1  # the unchanged file is the same file
    assert (out / "a/index.html").stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]  # no staging or retired folders
    assert oct(out.stat().st_mode & 0o777) == "0o755"


def test_a_build_that_changes_nothing_makes_no_tree(tmp_path: Path, monkeypatch) -> None:
    """Identical files, and kept ones, need no staging tree: nothing is made, linked or swapped; a changed
    fingerprint is written to the manifest in one step, and a kill leaves no stray file in the output."""
    import tempfile

    out = tmp_path / "out"
    write_output(out, [OutputFile("a/index.html", b"A", "f1"), OutputFile("b.css", b"B")])
    made: list[str] = []
    real = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: made.append("tree") or real(*a, **k))
    inode = out.stat().st_ino
    changed = write_output(out, [OutputFile("a/index.html", b"", "f1", kept=True), OutputFile("b.css", b"B", "f2")])
    assert changed == 0 and made == [] and out.stat().st_ino == inode
    assert "b.css\tf2\t1" in (out / MANIFEST).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]
    (tmp_path / f".out.new-{os.getpid() + 1}.manifest").write_text("left by a killed build")
    assert write_output(out, [OutputFile("a/index.html", b"A2", "f3")]) == 2  # one changed, one removed
    assert made == ["tree"] and tree(out) == {"a/index.html": b"A2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def _write_each(write: Callable[[OutputFile], Written], files: Sequence[OutputFile]) -> list[tuple[int, Written]]:
    """A render worker's part: write each file, say which process did."""
    return [(os.getpid(), write(file)) for file in files]


def test_files_written_by_workers_are_listed_by_the_build(tmp_path: Path) -> None:
    """Render workers write their pages into the staging tree themselves; the build lists what they say."""
    from sitegen.parallel import iter_chunks

    out = tmp_path / "out"
    write_output(out, [OutputFile("a/index.html", b"A", "f1"), OutputFile("gone.css", b"G")])
    inode = (out / "a/index.html").stat().st_ino
    files = [OutputFile(f"p{i}/index.html", f"page {i}".encode(), f"f{i}") for i in range(2, 100)]
    files += [OutputFile("a/index.html", b"A", "f1"), OutputFile("../escape.html", b"no", "fx")]
    with staged(out) as staging:
        write = staging.writer()
        processes, placed = set(), []
        for part in iter_chunks(_write_each, write, files, jobs=2, min_chunk=10):
            processes.update(pid for pid, _ in part)
            placed += [staging.written(written) for _, written in part]
        assert staging.commit() == 99  # 98 new files, one removed; the unchanged one linked
    # workers wrote every file, this process none (on a busy machine one worker may take every chunk before
    # the other starts: a worker slowed down takes fewer)
    assert os.getpid() not in processes and 1 <= len(processes) <= 2
    assert [file.dest_path for file in placed] == [file.dest_path for file in files]
    assert all(file.data == b"" for file in placed)
    assert tree(out) == {"a/index.html": b"A", **{f"p{i}/index.html": f"page {i}".encode() for i in range(2, 100)}}
    assert (out / "a/index.html").stat().st_ino == inode and not (tmp_path / "escape.html").exists()
    listed = (out / MANIFEST).read_text()
    assert "p2/index.html\tf2\t6\n" in listed and "escape" not in listed and "gone.css" not in listed
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_a_staging_tree_makes_each_folder_once(tmp_path: Path, monkeypatch) -> None:
    """A folder holding many files is made once, each in one step (not tried again for each file, nor first tried
    and refused for want of its parent); one another process made is taken as it is; a file where a folder
    must go is the error it was."""
    made: list[str] = []
    real = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        made.append(self.name)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    files = [OutputFile(path, b"x") for path in ("a/b/c.html", "a/b/d.html", "a/e.html", "f.html", "g/h/i.html")]
    with staged(tmp_path / "out") as staging:
        write = staging.writer()
        assert staging.folder is not None
        (staging.folder / "g").mkdir()  # as another worker would have
        made.clear()
        for file in files:
            staging.written(write(file))
        assert sorted(made) == ["a", "b", "g", "h"]
        with pytest.raises(OSError):
            staging.written(write(OutputFile("f.html/j.html", b"x")))
        staging.commit()
    assert tree(tmp_path / "out") == {file.dest_path: b"x" for file in files}


def test_a_failure_in_a_worker_is_raised_by_the_build_and_leaves_the_previous_output(
        tmp_path: Path, monkeypatch) -> None:
    from sitegen.parallel import iter_chunks

    out = tmp_path / "out"
    write_output(out, [OutputFile("index.html", b"old")])
    before = tree(out)

    def full(path: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(sitegen.write, "_write_bytes", full)  # in the workers too: they are forked
    files = [OutputFile(f"p{i}/index.html", b"new", f"f{i}") for i in range(40)]
    with pytest.raises(OSError, match="No space left on device") as raised, staged(out) as staging:
        write = staging.writer()
        for part in iter_chunks(_write_each, write, files, jobs=2, min_chunk=10):
            for pid, written in part:
                assert pid != os.getpid()
                staging.written(written)
    assert raised.value.errno == 28 and str(raised.value.filename).endswith("p0/index.html")
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_files_all_unchanged_are_neither_linked_nor_swapped_in(tmp_path: Path, monkeypatch) -> None:
    """Pages rendered again (no cache) to the bytes the output holds: nothing is linked, the output folder is
    left as it was."""
    out = tmp_path / "out"
    write_output(out, [OutputFile("a/index.html", b"A", "f1"), OutputFile("b.css", b"B")])
    inode = out.stat().st_ino
    links: list[str] = []
    real_link = os.link
    monkeypatch.setattr(os, "link", lambda source, target: links.append(str(target)) or real_link(source, target))
    with staged(out) as staging:
        write = staging.writer()  # an empty folder is made
        staging.written(write(OutputFile("a/index.html", b"A", "f2")))
        staging.place(OutputFile("b.css", b"B"))
        assert staging.commit() == 0
    assert links == [] and out.stat().st_ino == inode and tree(out) == {"a/index.html": b"A", "b.css": b"B"}
    assert "a/index.html\tf2\t1" in (out / MANIFEST).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_the_old_files_are_linked_once_one_file_differs(tmp_path: Path) -> None:
    """A worker writes only what differs; the build links the old files it listed, then each one after."""
    out = tmp_path / "out"
    old = {f"p{i}/index.html": f"page {i}".encode() for i in range(4)}
    write_output(out, [OutputFile(path, data, "f") for path, data in old.items()])
    inodes = {path: (out / path).stat().st_ino for path in old}
    with staged(out) as staging:
        write = staging.writer()
        assert staging.folder is not None
        staging.written(write(OutputFile("p0/index.html", b"page 0", "f")))
        staging.place(OutputFile("p1/index.html", b"", "f", kept=True))
        assert not any(staging.folder.iterdir())  # nothing linked while every file is the old one
        staging.written(write(OutputFile("p2/index.html", b"page 2, new", "g")))
        assert (staging.folder / "p0/index.html").stat().st_ino == inodes["p0/index.html"]
        assert (staging.folder / "p1/index.html").stat().st_ino == inodes["p1/index.html"]
        staging.written(write(OutputFile("p3/index.html", b"page 3", "f")))  # linked at once now
        assert (staging.folder / "p3/index.html").stat().st_ino == inodes["p3/index.html"]
        assert staging.commit() == 1
    assert tree(out) == {**old, "p2/index.html": b"page 2, new"}
    assert all((out / path).stat().st_ino == inodes[path] for path in old if path != "p2/index.html")


def no_hard_links(*args: object, **kwargs: object) -> None:
    """`os.link` on a file system without hard links."""
    raise PermissionError(errno.EPERM, "Operation not permitted")


@pytest.mark.parametrize("links", [True, False], ids=["hard links", "no hard links"])
def test_the_old_files_are_in_the_new_output_with_or_without_hard_links(tmp_path: Path, monkeypatch,
                                                                       links: bool) -> None:
    """Unchanged files, kept by fingerprint or found the same, are the old ones: linked, or copied with their
    times where the file system has no hard links."""
    out = tmp_path / "out"
    write_output(out, [OutputFile("a/index.html", b"A", "f"), OutputFile("b/index.html", b"B", "g"),
                       OutputFile("c.css", b"C")])
    for name in ("a/index.html", "b/index.html"):
        os.utime(out / name, (1, 1))
    inodes = {name: (out / name).stat().st_ino for name in ("a/index.html", "b/index.html")}
    if not links:
        monkeypatch.setattr(os, "link", no_hard_links)
    with staged(out) as staging:
        staging.place(OutputFile("a/index.html", b"", "f", kept=True))
        staging.written(staging.writer()(OutputFile("b/index.html", b"B", "g")))
        staging.place(OutputFile("c.css", b"C2"))
        assert staging.commit() == 1
    assert tree(out) == {"a/index.html": b"A", "b/index.html": b"B", "c.css": b"C2"}
    assert all((out / name).stat().st_mtime == 1 for name in inodes)
    assert all(((out / name).stat().st_ino == inode) == links for name, inode in inodes.items())


def test_an_old_file_that_became_a_link_is_not_kept(tmp_path: Path) -> None:
    """A page the old output lists, replaced by a symbolic link of the listed size to a file (its target's name
    is one character long), is rendered again: never kept, and never linked through."""
    out = tmp_path / "out"
    write_output(out, [OutputFile("a/index.html", b"A", "f"), OutputFile("a/b.css", b"B", "g")])
    (out / "a/x").write_bytes(b"Z")  # (the manifest does not list it; the build does not look)
    (out / "a/index.html").unlink()
    (out / "a/index.html").symlink_to("x")
    assert (out / "a/index.html").lstat().st_size == 1 and (out / "a/index.html").is_file()
    assert kept_fingerprints(out) == {"a/b.css": "g"}


@pytest.mark.parametrize("links", [True, False], ids=["hard links", "no hard links"])
def test_a_kept_file_that_became_a_link_while_building_is_not_followed(tmp_path: Path, monkeypatch,
                                                                       links: bool) -> None:
    """A kept page whose old file became a symbolic link after it was listed is placed as it is: the new output
    never holds (a link to) the file it points to."""
    out, secret = tmp_path / "out", tmp_path / "secret.txt"
    write_output(out, [OutputFile("a/index.html", b"A", "f"), OutputFile("b.css", b"B")])
    secret.write_bytes(b"secret")
    (out / "a/index.html").unlink()
    (out / "a/index.html").symlink_to(secret)
    if not links:
        monkeypatch.setattr(os, "link", no_hard_links)
    with staged(out) as staging:
        staging.place(OutputFile("b.css", b"B2"))
        staging.place(OutputFile("a/index.html", b"", "f", kept=True))
        staging.commit()
    placed = out / "a/index.html"
    assert placed.is_symlink() and placed.lstat().st_ino != secret.stat().st_ino
    assert secret.stat().st_nlink == 1


def leftovers(folder: Path) -> list[str]:
    """Return the staging folders beside an output (a replaced output is in one until it is removed)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".out.new-"))


def test_a_big_replaced_output_is_removed_by_a_detached_process(tmp_path: Path, monkeypatch) -> None:
    """From `DETACHED` files, the previous output is removed by a process of its own once the new one is in
    place, not by the build, which does not wait for it; a smaller one, or while another thread runs, or
    where no process can be made, by the build before it returns."""
    import shutil
    import threading
    import time

    import sitegen.write

    out = tmp_path / "out"
    removed_here: list[str] = []
    real = shutil.rmtree
    monkeypatch.setattr(shutil, "rmtree", lambda path, *args, **kwargs: (  # (a forked process's list is its own)
        removed_here.append(Path(path).name), real(path, *args, **kwargs))[1])
    monkeypatch.setattr(sitegen.write, "DETACHED", 5)
    counted = threading.active_count
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # (whatever threads other tests left running)
    pages = [f"p{i}/index.html" for i in range(5)]
    write_output(out, [OutputFile(path, b"old") for path in pages])
    removed_here.clear()  # (the first build's staging folder became the output)
    write_output(out, [OutputFile(path, b"new") for path in pages])
    assert tree(out) == dict.fromkeys(pages, b"new")
    assert not any(name.startswith(".out.new-") for name in removed_here)
    deadline = time.monotonic() + 120
    while leftovers(tmp_path):  # removed by the detached process, soon
        assert time.monotonic() < deadline, "the replaced output was never removed"
        time.sleep(0.02)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]
    monkeypatch.setattr(sitegen.write, "DETACHED", 6)  # 5 files: removed here
    write_output(out, [OutputFile(path, b"newer") for path in pages])
    assert leftovers(tmp_path) == [] and any(name.startswith(".out.new-") for name in removed_here)
    monkeypatch.setattr(sitegen.write, "DETACHED", 5)
    removed_here.clear()

    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(threading, "active_count", counted)  # the real count: the thread below at least
    release = threading.Event()
    beside = threading.Thread(target=release.wait)
    beside.start()
    try:  # another thread runs: removed here
        write_output(out, [OutputFile(path, b"newest") for path in pages])
    finally:
        release.set()
        beside.join()
    assert leftovers(tmp_path) == [] and any(name.startswith(".out.new-") for name in removed_here)
    removed_here.clear()
    monkeypatch.setattr(os, "fork", no_fork)  # no process can be made: removed here
    write_output(out, [OutputFile(path, b"last") for path in pages])
    assert leftovers(tmp_path) == [] and any(name.startswith(".out.new-") for name in removed_here)
    assert tree(out) == dict.fromkeys(pages, b"last")


def test_a_failure_while_writing_leaves_the_previous_output(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    write_output(out, [OutputFile("index.html", b"old"), OutputFile("en/index.html", b"old en")])
    before = tree(out)
    calls = []

    def failing_write(path: Path, data: bytes) -> int:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return original(path, data)

    original = sitegen.write._write_bytes
    monkeypatch.setattr(sitegen.write, "_write_bytes", failing_write)
    with pytest.raises(OSError):
        write_output(out, [OutputFile("index.html", b"new"), OutputFile("en/index.html", b"new en"),
                           OutputFile("fr/index.html", b"new fr")])
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_unsafe_output_folders(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    assert unsafe_output(root, root)
    assert unsafe_output(tmp_path, root)
    assert unsafe_output(root / "content", root)
    assert unsafe_output(root / "content/x", root)
    assert unsafe_output(root / "dist", root) is None
    assert unsafe_output(tmp_path / "elsewhere", root) is None
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents/letter.txt").write_text("dear")
    assert "did not build" in (unsafe_output(tmp_path / "documents", root) or "")
    (tmp_path / "documents/index.html").write_text("<p>my blog</p>")  # an index.html is no proof of ours
    assert "did not build" in (unsafe_output(tmp_path / "documents", root) or "")


def test_only_a_folder_this_tool_built_is_replaced(tmp_path: Path) -> None:
    root, out = tmp_path / "project", tmp_path / "out"
    (root / "content").mkdir(parents=True)
    write_output(out, [OutputFile("index.html", b"site")])
    assert (out / MANIFEST).read_text().split("\n")[1:] == ["index.html\t\t4", ""]  # path, fingerprint, size
    assert unsafe_output(out, root) is None
    (out / "notes.txt").write_text("mine")
    assert "notes.txt was not written by careers-site" in (unsafe_output(out, root) or "")


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    assert "is a file, not a folder" in (unsafe_output(tmp_path / "report.pdf", root) or "")


def test_a_symbolic_link_output_is_written_through(tmp_path: Path) -> None:
    root, target, link = tmp_path / "project", tmp_path / "www", tmp_path / "dist"
    (root / "content").mkdir(parents=True)
    target.mkdir()
    link.symlink_to(target)
    assert unsafe_output(link, root) is None
    write_output(link, [OutputFile("index.html", b"new")])
    assert link.is_symlink() and (target / "index.html").read_bytes() == b"new"
    (tmp_path / "nowhere").symlink_to(tmp_path / "missing")
    assert "symbolic link to nothing" in (unsafe_output(tmp_path / "nowhere", root) or "")


def test_leftovers_of_killed_builds_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, [OutputFile("index.html", b"v1")])
    for name in (".out.new-abc", ".out.old-def"):
        (tmp_path / name / "big").mkdir(parents=True)
    write_output(out, [OutputFile("index.html", b"v2")])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


@pytest.mark.parametrize("dest", ["../x.html", "/etc/x", "a/../../x", "a//b", "a\\..\\b", ""])
def test_unsafe_destinations(dest: str) -> None:
    assert unsafe_destinations([OutputFile(dest, b"")])


def test_safe_destinations() -> None:
    assert unsafe_destinations([OutputFile("fr/equipe/index.html", b""), OutputFile("assets/a.css", b"")]) == []


def test_a_preview_rebuild_killed_halfway_is_recovered_precisely(tmp_path: Path) -> None:
    """serve's in-place writer journals each file before writing it: after a kill, only the files it
    wrote lose their fingerprints (they are rendered again), a new file is ours, the rest stays kept."""
    from sitegen.inplace import InPlace

    root, out = tmp_path / "project", tmp_path / "preview"
    (root / "content").mkdir(parents=True)
    write_output(out, [OutputFile("a/index.html", b"A", "fa"), OutputFile("b/index.html", b"B", "fb"),
                       OutputFile("feed.xml", b"F")])
    writer = InPlace(out)
    assert writer.fingerprints == {"a/index.html": "fa", "b/index.html": "fb"}
    writer.place(OutputFile("a/index.html", b"A2", "fa2"))  # then the process is killed: no commit
    writer.place(OutputFile("c/index.html", b"C", "fc"))
    assert unsafe_output(out, root) is None  # the new file is named by the journal: still our folder
    again = InPlace(out)
    assert again.fingerprints == {"b/index.html": "fb"}
    assert unsafe_output(out, root) is None and not (tmp_path / ".preview.journal").exists()
    for file in (OutputFile("a/index.html", b"A2", "fa2"), OutputFile("b/index.html", b"", "fb", kept=True),
                 OutputFile("feed.xml", b"F")):
        again.place(file)
    assert again.commit() == 1  # c/index.html is gone
    assert tree(out) == {"a/index.html": b"A2", "b/index.html": b"B", "feed.xml": b"F"}
    assert InPlace(out).fingerprints == {"a/index.html": "fa2", "b/index.html": "fb"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".preview.lock", "preview", "project"]


def test_serve_lists_the_files_a_build_kept_when_it_commits_and_forgets_them_when_it_fails(tmp_path: Path) -> None:
    """serve's writer takes the files a build kept all at once and lists them when the build is committed (a
    file it no longer has is removed then); a failed build's kept files are forgotten with it, and the
    fingerprints the next build is given are the folder's: made again after a commit and after a failure."""
    from sitegen.inplace import InPlace

    out = tmp_path / "preview"
    write_output(out, [OutputFile("a/index.html", b"A", "fa"), OutputFile("b/index.html", b"B", "fb")])
    writer = InPlace(out)
    assert writer.fingerprints == {"a/index.html": "fa", "b/index.html": "fb"}
    writer.place_kept([OutputFile("a/index.html", b"", "fa", kept=True)])
    writer.place(OutputFile("b/index.html", b"B2", "fb2"))
    assert "a/index.html" not in writer.listed  # not yet: once the browsers reloaded
    assert writer.commit() == 0
    assert tree(out) == {"a/index.html": b"A", "b/index.html": b"B2"}
    assert writer.fingerprints == {"a/index.html": "fa", "b/index.html": "fb2"}
    writer.place_kept([OutputFile("a/index.html", b"", "fa", kept=True)])
    writer.place(OutputFile("b/index.html", b"B3", "fb3"))
    writer.abandon()  # the build failed: b/index.html, which it wrote, is rendered again next time
    assert writer.fingerprints == {"a/index.html": "fa"}
    writer.place(OutputFile("b/index.html", b"B3", "fb3"))  # a build without a/index.html
    assert writer.commit() == 1
    assert tree(out) == {"b/index.html": b"B3"}
    assert InPlace(out).fingerprints == writer.fingerprints == {"b/index.html": "fb3"}


@given(st.text(alphabet="a./\\", max_size=12))
def test_an_output_path_is_unsafe_exactly_when_a_part_is_empty_dot_or_dot_dot(path: str) -> None:
    parts = path.split("/")
    expected = "\\" in path or any(part in ("", ".", "..") for part in parts)
    assert bool(unsafe_destinations([OutputFile(path, b"")])) == expected


def test_a_manifest_naming_paths_outside_the_folder_removes_and_keeps_nothing_there(tmp_path: Path) -> None:
    """A manifest someone edited cannot make serve delete, or a build keep, a file outside the output."""
    from sitegen.inplace import InPlace
    from sitegen.write import kept_fingerprints, read_manifest

    out = tmp_path / "preview"
    write_output(out, [OutputFile("a/index.html", b"A", "fa")])
    (tmp_path / "victim.txt").write_text("keep me")
    (out / "b").mkdir()
    (out / "b" / "victim.txt").write_text("keep me too")
    with (out / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write("../victim.txt\tfv\t7\nb/../b/victim.txt\tfw\t11\n/etc/hostname\tfh\t1\n")
    assert set(read_manifest(out) or ()) == {"a/index.html"}
    assert kept_fingerprints(out) == {"a/index.html": "fa"}
    writer = InPlace(out)
    assert writer.fingerprints == {"a/index.html": "fa"}
    writer.place(OutputFile("a/index.html", b"", "fa", kept=True))
    writer.commit()
    assert (tmp_path / "victim.txt").read_text() == "keep me"
    assert (out / "b" / "victim.txt").read_text() == "keep me too"


@given(st.lists(st.binary(max_size=40), max_size=1200), st.integers(1, 50))
def test_a_file_in_parts_is_written_whole_even_when_the_system_writes_a_little_at_a_time(
        parts: list[bytes], most: int) -> None:
    """Joined files (feeds) are written part after part; a `writev` that writes only some bytes is resumed."""
    import tempfile

    from sitegen import write

    real = os.writev

    def stingy(fd: int, buffers: list[memoryview]) -> int:
        return real(fd, [bytes(b"".join(buffers)[:most])])

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.xml"
        file = OutputFile("feed.xml", b"", "joined:x", parts=tuple(parts))
        assert write.write_file(path, file) == len(file.content)
        assert path.read_bytes() == b"".join(parts) == file.content and file.size == len(file.content)
        write.os.writev = stingy  # type: ignore[attr-defined]
        try:
            assert write.write_file(path, file) == len(file.content)
        finally:
            write.os.writev = real  # type: ignore[attr-defined]
        assert path.read_bytes() == b"".join(parts)


def test_serve_writes_a_file_in_parts_on_a_thread_and_waits_for_it_before_the_manifest(tmp_path: Path,
                                                                                       monkeypatch) -> None:
    """serve's writer writes a feed beside the build; commit waits for it, and a failed write is raised
    there, its file still named by the journal (so the next serve renders it again)."""
    from sitegen import inplace
    from sitegen.inplace import InPlace

    out = tmp_path / "preview"
    write_output(out, [OutputFile("a/index.html", b"A", "fa"), OutputFile("feed.xml", b"old", "joined:1")])
    writer = InPlace(out)
    writer.place(OutputFile("feed.xml", b"", "joined:2", parts=(b"<feed>", b"\n", b"</feed>")))
    writer.place(OutputFile("a/index.html", b"", "fa", kept=True))
    writer.commit()
    assert tree(out) == {"a/index.html": b"A", "feed.xml": b"<feed>\n</feed>"}
    assert "feed.xml\tjoined:2\t14" in (out / MANIFEST).read_text()
    assert not writer.writing and sorted(p.name for p in tmp_path.iterdir()) == [".preview.lock", "preview"]

    def full(path: Path, file: OutputFile) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(inplace, "write_file", full)
    writer.place(OutputFile("feed.xml", b"", "joined:3", parts=(b"<feed/>",)))
    writer.place(OutputFile("a/index.html", b"", "fa", kept=True))
    with pytest.raises(OSError, match="No space"):
        writer.commit()
    assert (tmp_path / ".preview.journal").read_text() == "feed.xml\n"
    assert InPlace(out).fingerprints == {"a/index.html": "fa"}  # the feed is made again next time


@given(st.lists(st.dictionaries(st.sampled_from(["a/index.html", "a/b.html", "b.css", "ab/index.html", "a-b/x.xml"]),
                                st.tuples(st.sampled_from(["", "f1", "f2"]), st.sampled_from([b"x", b"yy"])),
                                min_size=1), min_size=1, max_size=6))
def test_serve_manifest_lists_exactly_what_each_build_placed(builds: list[dict[str, tuple[str, bytes]]]) -> None:
    """serve's writer updates only the manifest lines of the files a build changed: the manifest is still the
    one a full listing gives, build after build (files added, removed, rewritten or kept)."""
    import tempfile

    from sitegen.inplace import InPlace
    from sitegen.write import MANIFEST_HEADER

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "preview"
        write_output(out, [OutputFile("index.html", b"i")])
        writer = InPlace(out)
        for files in builds:
            for path, (fingerprint, data) in files.items():
                held = writer.held.get(path)
                same = held is not None and fingerprint and held == (fingerprint, len(data))
                writer.place(OutputFile(path, b"" if same else data, fingerprint, kept=bool(same)))
            writer.commit()
            lines = sorted(f"{path}\t{fingerprint}\t{len(data)}" for path, (fingerprint, data) in files.items())
            assert (out / MANIFEST).read_text() == "\n".join([MANIFEST_HEADER, *lines]) + "\n"
            assert tree(out) == {path: data for path, (_, data) in files.items()}


def test_a_page_is_written_whole_when_the_system_takes_it_in_pieces(tmp_path: Path, monkeypatch) -> None:
    """A write may take less than it is given (a signal, a pipe): what is left is written after it."""
    from sitegen.write import write_file

    real_write, sizes = os.write, []

    def short(descriptor: int, data: bytes) -> int:
        sizes.append(len(data))
        return real_write(descriptor, bytes(data[:1000]))

    monkeypatch.setattr(os, "write", short)
    data = bytes(range(256)) * 40
    target = tmp_path / "index.html"
    target.write_bytes(b"an older, longer file " * 1000)
    assert write_file(target, OutputFile("index.html", data)) == len(data)
    monkeypatch.undo()
    assert target.read_bytes() == data and len(sizes) == 11
