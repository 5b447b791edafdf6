"""Page weight and caching: hashed asset names, rewritten references, sizes on images, a 50 KB budget."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO, MakeProject, build_ok, soup

BUDGET = 50 * 1024
HASHED = re.compile(r"^assets/(?:.+/)?[^/]+\.[0-9a-f]{8}\.[a-z0-9]+$")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("weight") / "dist"
    build_ok(REPO, out)
    return out


def loaded_resources(page_path: Path, dist: Path) -> list[Path]:
    """Every file a browser loads for the page: stylesheets, icons, images, scripts, fonts (no links)."""
    page = soup(page_path)
    refs = [link["href"] for link in page.find_all("link", href=True)
            if {"stylesheet", "icon", "preload"} & set(link.get("rel", []))]
    refs += [tag["src"] for tag in page.find_all(["img", "script", "source"], src=True)]
    files = []
    for ref in refs:
        assert not urlsplit(ref).scheme and not ref.startswith("//"), f"external request {ref} in {page_path}"
        files.append(dist / ref.lstrip("/"))
    css = [f for f in files if f.suffix == ".css"]
    for sheet in css:  # fonts and images a stylesheet pulls in
        for url in re.findall(r"url\(['\"]?([^'\")]+)", sheet.read_text()):
            if not url.startswith("data:"):
                files.append((sheet.parent / url).resolve())
    return files


def test_every_page_stays_under_50_kb(dist: Path) -> None:
    checked = 0
    for page in sorted(dist.rglob("*.html")):
        total = page.stat().st_size + sum(f.stat().st_size for f in loaded_resources(page, dist))
        assert total < BUDGET, f"{page.relative_to(dist)} weighs {total} bytes"
        checked += 1
    assert checked == 14


def test_assets_have_content_hashes_and_every_reference_uses_them(dist: Path) -> None:
    assets = sorted(p.relative_to(dist).as_posix() for p in (dist / "assets").rglob("*") if p.is_file())
    assert assets and all(HASHED.match(a) for a in assets), assets
    for path in dist.rglob("*"):
        if path.suffix in {".html", ".xml", ".txt"}:
            for ref in re.findall(r"/assets/[^\"'<>\s)]+", path.read_text(encoding="utf-8")):
                assert ref.lstrip("/") in assets, f"{path}: {ref}"


def test_images_carry_width_and_height(dist: Path) -> None:
    for path in dist.rglob("*.html"):
        for tag in soup(path).find_all(["img", "svg"]):
            assert tag.get("width") and tag.get("height"), f"{path}: {tag}"


def test_content_links_to_assets_are_rewritten(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"content/pages/home.en.md": "---\ntitle: Home\ndescription: d\n---\n"
                                                     "![Our mark](/assets/logo.png) [Logo](/assets/logo.png)\n"})
    build_ok(root, tmp_path / "out")
    page = soup(tmp_path / "out/en/index.html")
    src, href = page.select_one(".prose img")["src"], page.select_one(".prose a")["href"]
    assert re.fullmatch(r"/careers/assets/logo\.[0-9a-f]{8}\.png", src) and href == src
    assert (page.select_one(".prose img")["width"], page.select_one(".prose img")["height"]) == ("512", "512")
    assert (tmp_path / "out" / src.removeprefix("/careers/")).is_file()
