"""Writing: only changed files are touched, stale files go, unsafe output folders are refused."""

from __future__ import annotations

import os
from pathlib import Path

from sitegen.model import OutputFile
from sitegen.write import remove_stale, unsafe_output, write_output


def test_write_if_changed_and_remove_stale(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(out, [OutputFile("a/index.html", b"A"), OutputFile("b.css", b"B"), OutputFile("old.txt", b"x")])
    os.utime(out / "a/index.html", (1, 1))
    changed = write_output(out, [OutputFile("a/index.html", b"A"), OutputFile("b.css", b"B2")])
    assert changed == 2  # b.css rewritten, old.txt removed
    assert (out / "a/index.html").stat().st_mtime == 1  # untouched
    assert (out / "b.css").read_bytes() == b"B2"
    assert not (out / "old.txt").exists()
    assert not list(out.rglob(".tmp-*"))


def test_empty_folders_are_removed(tmp_path: Path) -> None:
    (tmp_path / "gone/deeper").mkdir(parents=True)
    (tmp_path / "gone/deeper/x.html").write_text("x")
    assert remove_stale(tmp_path, set()) == 1
    assert list(tmp_path.iterdir()) == []


def test_unsafe_output_folders(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    assert unsafe_output(root, root)
    assert unsafe_output(tmp_path, root)
    assert unsafe_output(root / "content", root)
    assert unsafe_output(root / "content/x", root)
    assert unsafe_output(root / "dist", root) is None
    assert unsafe_output(tmp_path / "elsewhere", root) is None
