"""Hostile command lines, environments, folders and requests: exit 1 or 2 with one line, never a traceback."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import sitegen.write
from bench.ports import free_port
from sitegen.serve import Preview, find_file, make_app
from tests.conftest import REPO, MakeProject
from tests.test_hostile import run, snapshot
from tests.test_serve import wait_for


@pytest.mark.parametrize(("argv", "expected"), [
    (["serve", "--port", "99999"], "'99999' is not a port number from 1 to 65535"),
    (["serve", "--port", "0"], "'0' is not a port number from 1 to 65535"),
    (["build", "--today", "20260115"], "'20260115' is not a date in the form YYYY-MM-DD"),
    (["build", "--today", "2026-02-30"], "'2026-02-30' is not a date in the form YYYY-MM-DD"),
    (["build", "--base-url", "javascript:alert(1)"], "it must start with https:// (or http://)"),
    (["build", "--base-url", "example.org"], "it must start with https:// (or http://)"),
    (["build", "--base-url", 'https://example.org/x"onmouseover="alert(1)//'], "it contains a quote"),
    (["build", "--base-url", "https://example.org/#top"], "it may not have a query ('?') or a fragment ('#')"),
    (["build", "--base-url", "https://example.org/?a=1"], "it may not have a query ('?') or a fragment ('#')"),
    (["build", "--base-url", "https://exa mple.org/"], "it contains a space or a control character"),
    (["build", "--base-url", "https://example.org/a/../b/"], "its path may not contain '.' or '..'"),
    (["build", "--base-url", "https://user:pw@example.org/"], "it may not contain a user name or password"),
])
def test_wrong_usage_exits_2(argv: list[str], expected: str, make_project: MakeProject,
                             capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = run(["--project", str(make_project()), *argv], capsys)
    assert code == 2 and expected in printed and "Traceback" not in printed


def test_a_base_url_in_the_site_file_is_checked_the_same_way(make_project: MakeProject, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project()
    site = root / "content/_site.yaml"
    site.write_text(site.read_text().replace("base_url: https://tiny.example.org/careers/",
                                             'base_url: "https://tiny.example.org/x\\"onmouseover=\\"alert(1)//"'))
    code, printed = run(["--project", str(root), "build", "--out", str(tmp_path / "out")], capsys)
    assert code == 1 and "Traceback" not in printed
    assert "content/_site.yaml:2:11: base_url is not usable: it contains a quote" in printed, printed


@pytest.mark.parametrize("value", ["1.5", "-1", "soon", "1e9", "99999999999999999999", "١٢٣"])
def test_a_bad_source_date_epoch_exits_1_with_one_line(value: str, make_project: MakeProject, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    code, printed = run(["--project", str(make_project()), "build", "--out", str(tmp_path / "out")], capsys)
    assert code == 1 and printed.startswith("error: SOURCE_DATE_EPOCH ") and printed.count("\n") == 1, printed


def test_a_full_disk_leaves_the_previous_output(make_project: MakeProject, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    root, out = make_project(), tmp_path / "out"
    assert run(["--project", str(root), "build", "--out", str(out)], capsys)[0] == 0
    before = snapshot(out)
    home = root / "content/pages/home.en.md"
    home.write_text(home.read_text().replace("Welcome", "Hello"))
    original = sitegen.write.write_file

    def full(path: Path, file: Any) -> int:  # (a home page, which lists every posting, is written in parts)
        if ".out.new-" in str(path) and path.name == "index.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return original(path, file)

    monkeypatch.setattr(sitegen.write, "write_file", full)
    code, printed = run(["--project", str(root), "build", "--out", str(out)], capsys)
    assert code == 1 and printed.startswith("error: No space left on device: ") and "Traceback" not in printed
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.lock"]


def test_a_full_disk_in_a_render_worker_is_reported_by_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The workers that render pages write them: a failure there is the build's one line, and nothing changes."""
    from bench.site import make_site

    root, out = tmp_path / "site", tmp_path / "out"
    root.mkdir()
    make_site(root, 60)  # enough pages for the render stage to fork workers
    argv = ["--project", str(root), "build", "--out", str(out), "--jobs", "2", "--no-cache"]
    assert run(argv, capsys)[0] == 0
    before = snapshot(out)
    posting = root / "content/jobs/posting-00000.en.md"
    posting.write_text(posting.read_text() + "\nOne more line.\n")
    original = sitegen.write._write_bytes
    builder = os.getpid()

    def full(path: Path, data: Any) -> int:
        if ".out.new-" in str(path) and os.getpid() != builder:  # in a worker (forked: it has this function)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return original(path, data)

    monkeypatch.setattr(sitegen.write, "_write_bytes", full)
    code, printed = run(argv, capsys)
    assert code == 1 and printed.startswith("error: No space left on device: ") and "Traceback" not in printed
    assert "/jobs/" in printed or "/offres/" in printed  # a page a worker wrote
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.lock"]


def test_a_permission_error_exits_1(make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "out"))

    monkeypatch.setattr("tempfile.mkdtemp", denied)
    code, printed = run(["--project", str(make_project()), "build", "--out", str(tmp_path / "out")], capsys)
    assert code == 1 and printed.startswith("error: Permission denied: ") and "Traceback" not in printed


def test_source_folders_that_lead_outside_the_project_are_refused(make_project: MakeProject, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root, out = make_project(), tmp_path / "out"
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "id_rsa").write_text("PRIVATE KEY")
    (secret / "credentials").write_text("password")
    for folder in ("assets", "templates"):
        (root / folder).rename(tmp_path / f"real-{folder}")
    (root / "assets").symlink_to(secret)
    (root / "templates").symlink_to(tmp_path / "real-templates")
    code, printed = run(["--project", str(root), "build", "--out", str(out)], capsys)
    assert code == 1, printed
    assert "assets/: symbolic link points outside the project" in printed
    assert "templates/: symbolic link points outside the project" in printed
    assert not out.exists()


def test_links_inside_the_project_are_followed_and_loops_are_located(make_project: MakeProject, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project()
    (root / "content/pages/loop-a.en.md").symlink_to(root / "content/pages/loop-b.en.md")
    (root / "content/pages/loop-b.en.md").symlink_to(root / "content/pages/loop-a.en.md")
    (root / "content/people/here").symlink_to(root / "content/people")
    os.mkfifo(root / "assets/pipe.css")
    code, printed = run(["--project", str(root), "check"], capsys)
    assert code == 1 and "Traceback" not in printed
    assert "content/pages/loop-a.en.md: symbolic link loop" in printed
    assert "content/people/here: symbolic links to folders are not followed" in printed
    assert "assets/pipe.css: not a regular file (a pipe, socket or device)" in printed


def test_asset_names_that_addresses_must_escape_are_refused(make_project: MakeProject,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project()
    (root / 'assets/a"b.png').write_bytes(b"x")
    code, printed = run(["--project", str(root), "check"], capsys)
    assert code == 1 and 'assets/a"b.png: asset name has characters that addresses must escape' in printed


@pytest.mark.parametrize("path", ["/%00", "/" + "a" * 5000, "/..%2f..%2fetc/passwd", "/%2e%2e/x", "/a\\b"])
def test_impossible_paths_are_404s(path: str, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("home")
    (tmp_path / "404.html").write_text("missing")
    assert find_file(tmp_path, path) == ("404 Not Found", tmp_path.resolve() / "404.html")
    statuses: list[str] = []
    body = make_app(Preview(tmp_path))({"PATH_INFO": path}, lambda status, headers: statuses.append(status))
    assert statuses == ["404 Not Found"] and b"".join(body) == b"missing"


def serve_process(root: Path, port: int, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, str(REPO / "build.py"), "--project", str(root), "serve",
                             "--port", str(port), *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)


def test_a_busy_port_says_what_to_do(make_project: MakeProject, tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        server = serve_process(make_project(), port, tmp_path)
        output, _ = server.communicate(timeout=120)
    assert server.returncode == 1
    assert output == f"error: port {port} is busy (is another serve running?); stop it or use --port {port + 1}\n"


def test_an_unknown_host_exits_1(make_project: MakeProject, tmp_path: Path) -> None:
    server = serve_process(make_project(), free_port(), tmp_path, "--host", "no-such-host.invalid")
    output, _ = server.communicate(timeout=120)
    assert server.returncode == 1 and output.startswith("error: cannot serve on 'no-such-host.invalid'"), output


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_serve_cleans_up_when_stopped(sig: signal.Signals, make_project: MakeProject, tmp_path: Path) -> None:
    from tests.test_serve import fetch

    port = free_port()
    server = serve_process(make_project(), port, tmp_path)
    try:
        wait_for(lambda: fetch(f"http://127.0.0.1:{port}/en/") is not None, "the preview", server)
        assert [p.name[:13] for p in (tmp_path / "tmp").iterdir()] == ["careers-site-"]
        server.send_signal(sig)
        server.communicate(timeout=60)
    finally:
        server.kill()
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_while_a_rebuild_runs_on_workers(sig: signal.Signals, tmp_path: Path) -> None:
    """Stopping serve in the middle of a rebuild (its workers busy) stops it at once, every time."""
    from bench.site import make_site as make_big_site
    from tests.test_serve import fetch

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 500)
    posting = root / "content/jobs/posting-00000.en.md"
    for attempt in range(2):
        port = free_port()
        server = serve_process(root, port, tmp_path, "--out", str(tmp_path / "preview"))
        try:
            address = f"http://127.0.0.1:{port}/en/"
            wait_for(lambda address=address: fetch(address) is not None, "the preview", server)
            marker = f"Edit number {attempt}."
            posting.write_text(posting.read_text() + f"\n{marker}\n")
            page = tmp_path / "preview/en/jobs/posting-00000/index.html"
            deadline = time.monotonic() + 120
            while marker not in page.read_text("utf-8", "replace") and time.monotonic() < deadline:
                time.sleep(0.002)  # stop as soon as the page is there: the workers are still busy with the rest
            server.send_signal(sig)
            server.communicate(timeout=60)
        finally:
            server.kill()
