"""`serve`: builds, serves, and rebuilds when content changes (polled, never timed)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.ports import free_port
from tests.conftest import REPO, MakeProject

TIMEOUT = 90.0


def fetch(url: str) -> str | None:
    return fetch_status(url)[1]


def fetch_status(url: str) -> tuple[int, str | None]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None


def wait_for(condition: Callable[[], bool], what: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        assert server.poll() is None, f"the server stopped while waiting for {what}"
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def start_serve(root: Path, port: int, log: Path) -> subprocess.Popen[str]:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "--project", str(root), "serve", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, text=True,
        )


@pytest.fixture
def served(make_project: MakeProject, tmp_path: Path) -> Iterator[tuple[Path, str, subprocess.Popen[str]]]:
    root = make_project()
    port = free_port()
    server = start_serve(root, port, tmp_path / "serve.log")
    try:
        yield root, f"http://127.0.0.1:{port}", server, tmp_path / "serve.log"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serves_and_rebuilds_on_change(served) -> None:
    root, base, server, _ = served
    wait_for(lambda: "Welcome to Tiny Co." in (fetch(base + "/en/") or ""), "the home page", server)
    html = fetch(base + "/en/") or ""
    assert "livereload.js" in html  # the browser is told to reload
    page = root / "content/pages/home.en.md"
    page.write_text(page.read_text().replace("Welcome to Tiny Co.", "Hello from a fresh edit."))
    wait_for(lambda: "Hello from a fresh edit." in (fetch(base + "/en/") or ""), "the edited page", server)


def test_a_browser_reloaded_after_a_save_gets_the_saved_page(served) -> None:
    """Builds run beside the server: a live-reload client (as livereload.js) is told to reload once the
    saved page is written, and the page it fetches then is the saved one, save after save."""
    from bench.reloads import Reloads

    root, base, server, log = served
    wait_for(lambda: "Welcome to Tiny Co." in (fetch(base + "/en/") or ""), "the home page", server)
    reloads = Reloads(base, "/en/")
    try:
        reloads.wait_connected(TIMEOUT)
        wait_for(lambda: "Browser Connected" in log.read_text(), "the live-reload client", server)
        page = root / "content/pages/home.en.md"
        original = page.read_text()
        for round_ in range(3):
            before = len(reloads.times)
            page.write_text(original.replace("Welcome to Tiny Co.", f"Saved {round_} times."))
            _, _, html = reloads.wait_reload(before + 1, TIMEOUT)
            assert f"Saved {round_} times." in html, round_
    finally:
        reloads.close()


def test_a_failed_build_shows_the_error_page_until_fixed(served) -> None:
    root, base, server, log = served
    wait_for(lambda: "Welcome to Tiny Co." in (fetch(base + "/en/") or ""), "the home page", server)
    facts = root / "content/jobs/data-intern.yaml"
    good = facts.read_text()
    facts.write_text(good.replace("duration_months: 4", "duration_months: [4"))
    wait_for(lambda: fetch_status(base + "/en/")[0] == 500, "the error page", server)
    status, page = fetch_status(base + "/fr/equipe/")  # every URL shows it
    assert status == 500 and page is not None
    assert "The site could not be built" in page
    assert "content/jobs/data-intern.yaml:5:18" in page and "never closed" in page
    assert "build failed; the preview shows the problems until they are fixed" in log.read_text()
    page_en = root / "content/pages/home.en.md"
    page_en.write_text(page_en.read_text().replace("Welcome", "Greetings"))
    facts.write_text(good)
    wait_for(lambda: "Greetings to Tiny Co." in (fetch(base + "/en/") or ""), "the fixed site", server)
    assert fetch_status(base + "/no/such/page/")[0] == 404


def test_serve_keeps_its_preview_and_parses_in_the_cache_folder(served) -> None:
    from sitegen.cache import cache_folder
    from sitegen.write import MANIFEST

    root, base, server, _ = served
    wait_for(lambda: "Welcome to Tiny Co." in (fetch(base + "/en/") or ""), "the home page", server)
    folder = cache_folder(root)
    wait_for(lambda: any(folder.glob("parsed-*/*.pack")), "the saved cache", server)
    assert (folder / "preview" / MANIFEST).is_file()  # the next serve updates it incrementally
    page = root / "content/pages/home.en.md"
    page.write_text(page.read_text().replace("Welcome to Tiny Co.", "Hello again."))
    wait_for(lambda: "Hello again." in (fetch(base + "/en/") or ""), "the edited page", server)
    wait_for(lambda: any("Hello again." in text for text in cached_texts(root)),
             "the edit's parse in the cache", server)  # every save's new parses are kept for the next run


def cached_texts(root: Path) -> list[str]:
    """Return the HTML of each parse the project's cache holds."""
    from tests.test_cache import entry_html, parse_files

    return [entry_html(entry) for entry in parse_files(root).values()]


def test_a_later_serve_answers_from_its_earlier_preview_and_brings_it_up_to_date(served, tmp_path: Path) -> None:
    """The preview an earlier serve left is served at once; the first build runs behind it, and a save made
    meanwhile is built after it."""
    root, base, server, _ = served
    wait_for(lambda: "Welcome to Tiny Co." in (fetch(base + "/en/") or ""), "the home page", server)
    server.terminate()
    server.wait(timeout=30)
    home = root / "content/pages/home.en.md"
    home.write_text(home.read_text().replace("Welcome to Tiny Co.", "Edited while nobody served."))
    port = int(base.rsplit(":", 1)[1])
    second = start_serve(root, port, tmp_path / "second.log")
    try:
        wait_for(lambda: fetch(base + "/en/") is not None, "the second server", second)
        team = root / "content/pages/team.fr.md"
        team.write_text(team.read_text() + "\nUne phrase ajoutée pendant la première construction.\n")
        wait_for(lambda: "Edited while nobody served." in (fetch(base + "/en/") or ""), "the first build", second)
        wait_for(lambda: "ajoutée pendant la première" in (fetch(base + "/fr/equipe/") or ""), "the save", second)
    finally:
        second.terminate()
        second.wait(timeout=30)
    log = (tmp_path / "second.log").read_text()
    assert "Traceback" not in log and log.count("built ") >= 1


def test_a_build_no_save_started_has_browsers_reload() -> None:
    from sitegen.watch import ChangeWatcher

    seen: list[set[str]] = []
    watcher = ChangeWatcher([], seen.append)
    watcher.announce()  # not started: nothing to wake, but the next look reloads
    assert watcher.examine() == ("index.html", None)
    assert seen == []  # nothing is rebuilt for it


def test_the_watcher_sees_a_save_made_as_soon_as_it_listens(tmp_path: Path) -> None:
    """serve listens before its first build reads the project: once `listen` returns, no save is missed
    (one made during the first build is built after it)."""
    from sitegen.watch import ChangeWatcher

    watcher = ChangeWatcher([tmp_path], lambda paths: None)
    watcher.listen()
    try:
        saved = tmp_path / "saved.md"
        saved.write_text("saved at once")
        deadline = time.monotonic() + TIMEOUT
        while str(saved) not in watcher.pending:  # no build thread yet: the save waits for it
            assert time.monotonic() < deadline, "the save was missed"
            time.sleep(0.01)
    finally:
        watcher.stop()


def test_the_server_loop_goes_on_while_a_save_is_built(tmp_path: Path) -> None:
    """Builds run on the watcher's own thread: while one is under way, the server's loop still runs (a
    reload it is told of is sent), and a save made meanwhile is built after it."""
    import asyncio
    import threading

    from sitegen.watch import ChangeWatcher

    first, second = tmp_path / "first.md", tmp_path / "second.md"
    building, release = threading.Event(), threading.Event()
    built: list[set[str]] = []
    server: threading.Thread | None = None

    def on_change(paths: set[str]) -> None:
        assert threading.current_thread() is not server, "a build ran on the server's thread"
        building.set()
        release.wait(TIMEOUT)
        built.append(paths)

    async def until(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.01)

    async def scenario() -> list[tuple[str | None, float | None]]:
        watcher = ChangeWatcher([tmp_path], on_change)
        looked: list[tuple[str | None, float | None]] = []
        watcher.start(lambda: looked.append(watcher.examine()))
        try:
            for attempt in range(int(TIMEOUT / 0.5)):  # saved again until the watcher, just started, sees it
                first.write_text(f"saved {attempt}")
                await asyncio.sleep(0.5)
                if building.is_set():
                    break
            await until(building.is_set, "the build of the first save")
            watcher.announce()  # as a build does once its pages are written
            await until(lambda: bool(looked), "the loop, while the build runs")
            second.write_text("saved meanwhile")
            await asyncio.sleep(0.2)
            release.set()
            await until(lambda: any(str(second) in paths for paths in built), "the build of the second save")
            return looked
        finally:
            release.set()
            watcher.stop()

    server = threading.current_thread()  # the loop's, as in serve
    looked = asyncio.run(scenario())
    assert looked[0] == ("index.html", None)
    assert str(first) in built[0] and str(second) not in built[0]  # the second save: a build of its own, after


def test_serve_builds_start_no_full_collection_and_leave_the_collector_as_it_was(make_project: MakeProject,
                                                                                   tmp_path: Path) -> None:
    """A full collection walks every object a build made so far; serve's builds leave that to `settle`, and
    collect the young generation every `YOUNG` objects, not every 700."""
    import gc

    from sitegen.serve import YOUNG, Preview, make_rebuilder

    started: list[int] = []
    during: list[tuple[int, int, int]] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    def report(*_: object) -> None:  # still within the build
        during.append(gc.get_threshold())
        made = [[] for _ in range(3 * YOUNG)]  # a big build's objects: the young generation is collected
        assert made

    rebuild = make_rebuilder(make_project(), Preview(tmp_path / "preview"), "http://127.0.0.1:8000/", report)
    before = gc.get_threshold()
    gc.set_threshold(50, 2, 2)  # full collections would start again and again
    gc.collect()  # from empty generations
    gc.callbacks.append(note)
    try:
        assert rebuild(None).ok
        assert gc.get_threshold() == (50, 2, 2)
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*before)
    assert during[0][:2] == (YOUNG, 2) and during[0][2] > 10**6
    assert started and 2 not in started  # the young generations were still collected


def test_servers_get_ports_no_client_is_given() -> None:
    """A port in the ephemeral range can be a polling client's own (TCP self-connect): never use one."""
    import socket

    port = free_port()
    assert 1024 < port < 32768
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # free


def test_serve_stops_when_the_signal_reaches_another_thread(make_project: MakeProject, tmp_path: Path) -> None:
    """The kernel may hand SIGTERM to any thread (the file watcher's, a build's): serve still stops."""
    script = tmp_path / "serve_then_signal.py"
    script.write_text(SIGNAL_FROM_ANOTHER_THREAD, "utf-8")
    done = subprocess.run([sys.executable, str(script), str(REPO), str(make_project()), str(free_port())],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0 and "stopped" in done.stdout, done.stderr


SIGNAL_FROM_ANOTHER_THREAD = """
import pathlib, signal, sys, threading, time, urllib.request
sys.path.insert(0, sys.argv[1])
from sitegen.serve import serve

root, port = pathlib.Path(sys.argv[2]), int(sys.argv[3])

def stop_from_another_thread():
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/en/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    signal.pthread_kill(threading.get_ident(), signal.SIGTERM)  # this thread, not the main one

threading.Thread(target=stop_from_another_thread, daemon=True).start()
serve(root, "127.0.0.1", port, None, lambda result, seconds: None)
print("stopped")
"""
