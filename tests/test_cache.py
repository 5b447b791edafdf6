"""The build cache: parsed files by content hash and compiled templates, kept outside the project."""

from __future__ import annotations

from pathlib import Path

from build import main
from sitegen.cache import cache_folder
from sitegen.pipeline import BuildCache, build
from tests.conftest import MakeProject


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_cached_builds_give_the_same_bytes(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "cold")]) == 0
    folder = cache_folder(root)
    assert (folder / "parsed.pickle").is_file() and any((folder / "templates").iterdir())
    assert not (root / ".cache").exists()  # never inside the project
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "warm")]) == 0
    assert main(["--project", str(root), "build", "--no-cache", "--out", str(tmp_path / "none")]) == 0
    assert tree(tmp_path / "cold") == tree(tmp_path / "warm") == tree(tmp_path / "none")


def test_an_edit_is_seen_through_the_cache(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    page = root / "content/pages/home.en.md"
    page.write_text(page.read_text().replace("Welcome", "Hello"))
    template = root / "templates/home.html"
    template.write_text(template.read_text().replace("<h1{{", '<h1 class="edited"{{'))
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    html = (tmp_path / "a/en/index.html").read_text()
    assert "Hello to Tiny Co." in html and 'class="edited"' in html


def test_a_broken_cache_is_ignored(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    (cache_folder(root) / "parsed.pickle").write_bytes(b"not a pickle")
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "b")]) == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_only_current_files_stay_in_the_parse_cache(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    cache = BuildCache()
    build(root, tmp_path / "out", cache=cache)
    page = root / "content/pages/home.en.md"
    for word in ("one", "two", "three"):
        page.write_text(page.read_text() + word)
        build(root, tmp_path / "out", cache=cache)
    assert sum(1 for key in cache.parsed if key[0] == "content/pages/home.en.md") == 1
