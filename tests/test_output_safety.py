"""The output folder: never someone else's files, never missing, never half-written, never two writers."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.site import make_site as make_big_site
from sitegen.write import MANIFEST, read_manifest
from tests.conftest import REPO, MakeProject
from tests.test_hostile import run, snapshot


def test_a_folder_with_someone_elses_site_is_refused(make_project: MakeProject, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    www = tmp_path / "www"
    (www / "blog").mkdir(parents=True)
    (www / "index.html").write_text("<h1>My blog</h1>")
    (www / "blog/post.html").write_text("<p>a post</p>")
    before = snapshot(tmp_path)
    code, printed = run(["--project", str(make_project()), "build", "--out", str(www)], capsys)
    assert code == 1 and "holds files that careers-site did not build" in printed
    assert {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("project/")} == before


def test_an_output_that_is_a_file_is_refused(make_project: MakeProject, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    code, printed = run(["--project", str(make_project()), "build", "--out", str(tmp_path / "notes.txt")], capsys)
    assert code == 1 and "is a file, not a folder" in printed
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "project"]


def test_an_output_link_is_written_through(make_project: MakeProject, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "www").mkdir()
    (tmp_path / "dist").symlink_to(tmp_path / "www")
    assert run(["--project", str(make_project()), "build", "--out", str(tmp_path / "dist")], capsys)[0] == 0
    assert (tmp_path / "dist").is_symlink() and (tmp_path / "www/en/index.html").is_file()


def test_two_builds_at_once_both_succeed(make_project: MakeProject, tmp_path: Path) -> None:
    root, out = make_project(), tmp_path / "out"
    command = [sys.executable, str(REPO / "build.py"), "--project", str(root), "build", "--no-cache",
               "--out", str(out)]
    for _ in range(3):
        builds = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(2)]
        results = [b.communicate(timeout=300) for b in builds]
        assert [b.returncode for b in builds] == [0, 0], results
        assert whole(out)


def whole(out: Path) -> bool:
    """Return True when `out` holds exactly the files its manifest lists, and at least a home page."""
    listed = read_manifest(out)
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {MANIFEST}
    return listed is not None and present == set(listed) and "index.html" in listed


def test_a_killed_build_never_leaves_the_output_missing_or_partial(tmp_path: Path) -> None:
    """Kill builds of a large site at random moments while a reader watches the output folder."""
    root, out = tmp_path / "site", tmp_path / "out"
    root.mkdir()
    make_big_site(root, 150)
    command = [sys.executable, str(REPO / "build.py"), "--project", str(root), "build", "--no-cache",
               "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    duration = time.monotonic() - started
    seen_missing: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if not (out / "index.html").is_file():
                seen_missing.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    watcher.start()
    rng = random.Random(20261129)
    try:
        for round_ in range(6):
            home = root / "content/pages/home.en.md"
            home.write_text(home.read_text() + f"\nEdit {round_}.\n")
            build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.2, 1.0) * duration)
            build.kill()
            build.wait()
            assert whole(out)
    finally:
        stop.set()
        watcher.join()
    assert seen_missing == []
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    assert whole(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out", "site"]
