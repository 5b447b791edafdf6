"""The benchmark's own helpers (bench/bench.py): what it does to the folders it times builds into."""

from __future__ import annotations

from pathlib import Path

from bench.bench import set_aside


def test_a_folder_set_aside_is_moved_whole_into_the_trash_and_nothing_is_deleted(tmp_path: Path) -> None:
    trash = tmp_path / "trash"
    for round_ in range(2):  # the same name twice: each kept apart
        out = tmp_path / "dist"
        (out / "en/jobs/a").mkdir(parents=True)
        (out / "en/jobs/a/index.html").write_text(f"page {round_}", "utf-8")
        set_aside(out, trash)
        assert not out.exists()
    kept = sorted(path.read_text("utf-8") for path in trash.glob("*/dist/en/jobs/a/index.html"))
    assert kept == ["page 0", "page 1"]


def test_setting_aside_what_is_not_there_does_nothing(tmp_path: Path) -> None:
    set_aside(tmp_path / "missing", tmp_path / "trash")
    assert list(tmp_path.iterdir()) == []
