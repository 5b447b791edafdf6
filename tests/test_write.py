"""Writing: atomic replacement, unchanged files kept, unsafe folders and paths refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitegen.model import OutputFile
from sitegen.write import unsafe_destinations, unsafe_output, write_output


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or retired folders left
    assert oct(out.stat().st_mode & 0o777) == "0o755"


def test_a_failure_while_writing_leaves_the_previous_output(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    write_output(out, [OutputFile("index.html", b"old"), OutputFile("en/index.html", b"old en")])
    before = tree(out)
    calls = []

    def failing_write(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return original(self, data)

    original = Path.write_bytes
    monkeypatch.setattr(Path, "write_bytes", failing_write)
    with pytest.raises(OSError):
        write_output(out, [OutputFile("index.html", b"new"), OutputFile("en/index.html", b"new en"),
                           OutputFile("fr/index.html", b"new fr")])
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


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
    assert "not empty" in (unsafe_output(tmp_path / "documents", root) or "")


@pytest.mark.parametrize("dest", ["../x.html", "/etc/x", "a/../../x", "a//b", "a\\..\\b", ""])
def test_unsafe_destinations(dest: str) -> None:
    assert unsafe_destinations([OutputFile(dest, b"")])


def test_safe_destinations() -> None:
    assert unsafe_destinations([OutputFile("fr/equipe/index.html", b""), OutputFile("assets/a.css", b"")]) == []
