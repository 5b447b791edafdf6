"""Shared fixtures: project trees in tmp_path, builds, and parsed HTML."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import settings

from sitegen.model import BuildResult
from sitegen.pipeline import build

# No deadlines: tests must pass on a slow, busy machine. HYPOTHESIS_PROFILE=deep searches harder.
settings.register_profile("default", deadline=None)
settings.register_profile("deep", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parent.parent
# Builds in tests happen on a fixed day, so that which postings are open never depends on the clock.
TEST_DAY_EPOCH = "1768867200"  # 2026-01-20T00:00:00Z
TEST_DAY = dt.date(2026, 1, 20)
PUBLISHED = "https://careers-site.test/"  # a production address for --strict builds (not a placeholder)


@pytest.fixture(autouse=True)
def fixed_build_date(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Set SOURCE_DATE_EPOCH for every test (and the commands it starts); keep build caches in tmp."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TEST_DAY_EPOCH)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
SITES = Path(__file__).resolve().parent / "sites"

MakeProject = Callable[..., Path]


def copy_project(src: Path, dest: Path) -> Path:
    """Copy content/, templates/ and assets/ of a project into `dest`."""
    for folder in ("content", "templates", "assets"):
        if (src / folder).is_dir():
            shutil.copytree(src / folder, dest / folder)
    return dest


def write_files(root: Path, files: Mapping[str, str | None]) -> None:
    """Write (or, for None, delete) files below `root`."""
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def real_project(tmp_path: Path) -> Path:
    """Return a copy of the real site's project, safe to edit."""
    return copy_project(REPO, tmp_path / "project")


def make_site(root: Path, files: Mapping[str, str | None] | None = None, site: str = "tiny") -> Path:
    """Write a fixture site's content with the real templates, assets and strings, plus edits."""
    shutil.copytree(SITES / site / "content", root / "content")
    for name in ("_strings.en.yaml", "_strings.fr.yaml"):
        if not (root / "content" / name).exists():
            shutil.copy(REPO / "content" / name, root / "content" / name)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "assets", root / "assets")
    write_files(root, files or {})
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Return a factory: a fixture site (default 'tiny') in tmp_path/project, plus edits."""

    def make(files: Mapping[str, str | None] | None = None, site: str = "tiny") -> Path:
        return make_site(tmp_path / "project", files, site)

    return make


def build_ok(root: Path, out: Path) -> BuildResult:
    """Build and assert that it succeeded."""
    result = build(root, out, today=TEST_DAY)  # also in module-scoped fixtures, where the env is not set yet
    assert result.ok, "\n".join(str(p) for p in result.problems)
    return result


def tree(root: Path) -> dict[str, bytes]:
    """Return every file below `root` by its relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def soup(path: Path) -> BeautifulSoup:
    """Return the parsed HTML of a built file."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def messages(result: BuildResult) -> list[str]:
    """Return the problems of a build as printed."""
    return [str(p) for p in result.problems]


def served_site(tmp_path: Path, postings: int) -> tuple[Path, Callable[[set[str] | None], BuildResult]]:
    """Return a generated site (`bench.site`, `postings` per language) and serve's rebuilder over it, after
    its first build."""
    from bench.site import make_site as make_generated_site
    from sitegen.serve import Preview, make_rebuilder

    root = tmp_path / "site"
    root.mkdir()
    make_generated_site(root, postings)
    rebuild = make_rebuilder(root, Preview(tmp_path / "preview"), "http://127.0.0.1:8000/", lambda result, _: None)
    assert rebuild(None).ok
    return root, rebuild
