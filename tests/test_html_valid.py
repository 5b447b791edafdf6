"""Every built page is valid HTML, according to the Nu Html Checker (vnu.jar, run with Java)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.browser_support import VNU
from tests.conftest import REPO, MakeProject, build_ok


def vnu_errors(folder: Path) -> list[str]:
    java = shutil.which("java")
    assert java, "Java is needed for the Nu Html Checker: run .ci/run, which installs it"
    assert VNU.is_file(), "vnu.jar is missing: run .ci/run (npm ci in tests/browser)"
    done = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html",
                           str(folder)], capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(done.stderr or done.stdout or '{"messages": []}')
    return [f"{m.get('url', '').split(str(folder))[-1]}:{m.get('lastLine')}: {m['message']}"
            for m in report["messages"] if m.get("type") == "error" or m.get("subType") == "fatal"]


def test_every_page_of_the_real_site_is_valid_html(tmp_path: Path) -> None:
    build_ok(REPO, tmp_path / "dist")
    assert len(list((tmp_path / "dist").rglob("*.html"))) == 14
    assert vnu_errors(tmp_path / "dist") == []


def test_fixture_sites_with_every_feature_are_valid_html(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"content/pages/team.fr.md": None})  # a fallback page too
    build_ok(root, tmp_path / "dist")
    assert vnu_errors(tmp_path / "dist") == []


def test_the_checker_does_find_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_text("<!doctype html><html lang=en><title>x</title><p><div></p></span>")
    assert vnu_errors(tmp_path)
