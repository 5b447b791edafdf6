"""The dev server: livereload around the build, with the site kept in memory and an error page.

The first build reads the whole project. After it, the file system's events name the files that changed:
only those are read and parsed again, only the pages whose inputs changed are rendered, and only files
that differ are written to the preview folder. Builds run on a thread of their own while the server
answers, and browsers reload as soon as the pages are written (the sitemap, feeds and job boards are
made meanwhile). While the build fails, every URL shows the problems instead of the site; fixing them
brings the site back.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import html
import mimetypes
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .characters import printable, unify_line_endings
from .inplace import InPlace
from .loading import BuildCache, warm_up
from .model import BuildResult, Problem, Project, SetupError
from .pipeline import build, build_date, build_in_place
from .sources import read_project, refresh_project
from .write import MANIFEST, unsafe_output

WATCHED = ("content", "templates", "assets")

Report = Callable[[BuildResult, float], None]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(slots=True)
class Preview:
    """What the server shows: the output folder, and the problems of the last build if it failed.

    `shown` (whether the last build failed, its problems, and the source lines they point at) is
    replaced whole by the build's thread while the server's reads it.
    """

    out: Path
    shown: tuple[bool, tuple[Problem, ...], dict[tuple[str, int], str]] = (False, (), {})

    @property
    def failed(self) -> bool:
        """Return True while the last build failed: every address shows its problems."""
        return self.shown[0]


@dataclass(slots=True)
class Resident:
    """What serve keeps between builds: the project as last read, and the preview folder's writer."""

    project: Project | None = None
    writer: InPlace | None = None
    builds: int = 0  # since the collector last looked at everything


# After this many rebuilds, the cycle collector looks at everything serve keeps once again.
FULL_COLLECTION_EVERY = 64
NEVER = 1 << 30  # full collections in a build: as good as never
# Objects made, less those freed, between two collections of the young ones while a build runs (Python's
# default: 700). Each such collection walks every container made since, the big lists and dictionaries of
# a build's passes over ten thousand pages included, and the middle generation walks them again: a sixth
# of a save's time at 5,000 postings. A save makes fewer than this; the first build, a collection every so often.
YOUNG = 20_000


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Keep Python's cycle collector from starting full collections while a build runs.

    A rebuild makes a few hundred thousand objects, enough to start several full collections, each of
    which walks every object the build made so far: a sixth of a rebuild's time on a big site. The
    young generations are still collected, which frees the short-lived cycles (Jinja's macros make
    some for every page), though less often (`YOUNG`); `settle` sets aside what survives.
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG), middle, NEVER)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)


def settle(state: Resident) -> None:
    """Set aside what a build leaves in memory, so that the cycle collector stops going over it.

    `serve` keeps the whole site between builds: millions of objects that Python's cycle collector
    would otherwise walk through again and again while the next build runs (a third of a rebuild's
    time on a big site). They are frozen instead (`gc.freeze`, which does not look at them); what is
    freed later is still freed when its last reference goes, and every so many builds a full
    collection clears the few cycles among them.
    """
    state.builds += 1
    if state.builds >= FULL_COLLECTION_EVERY:
        state.builds = 0
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def make_rebuilder(root: Path, preview: Preview, base_url: str, report: Report, today: str | None = None,
                   cache: BuildCache | None = None,
                   reload: Callable[[], None] = lambda: None) -> Callable[[set[str] | None], BuildResult]:
    """Return a function that rebuilds into the preview folder after the files at some paths changed.

    Called with None, it reads the whole project; called with the changed paths, it reads those files
    again. The first build into a new folder writes a complete preview (atomically, as `build` does);
    every other build, including the first one into the preview an earlier serve left, updates the
    folder in place. `reload` has browsers reload: as soon as every page and asset is written when
    nothing so far is an error (the sitemap, feeds and job boards are made meanwhile, as Hugo's fast
    render has a browser show a page before the rest), else once the build is done; and again when a
    build that had them reload failed after all.
    """
    cache = cache or BuildCache()
    state = Resident()
    one_at_a_time = threading.Lock()  # serve builds on one thread; a caller may use several

    def rebuild(changed: set[str] | None = None) -> BuildResult:
        with one_at_a_time, collector_paused():
            started = time.perf_counter()
            day = build_date(today)
            if changed is None or state.project is None:
                state.project = read_project(root)
            else:
                state.project = refresh_project(root, state.project, changed)
            if state.writer is None and earlier_preview(preview.out, root):
                state.writer = InPlace(preview.out)  # a preview an earlier serve left: update it in place
            shown: list[bool] = []

            def pages_written() -> None:  # the site is back, whatever the last build showed
                preview.shown = (False, (), {})
                shown.append(True)
                reload()

            if state.writer is None:
                result = build(root, preview.out, base_url, cache, today=day, live=True, project=state.project)
                state.writer = InPlace(preview.out) if result.ok else None
            else:
                result = build_in_place(state.project, state.writer, base_url, cache, today=day, shown=pages_written)
            settle(state)
            preview.shown = (not result.ok, result.problems, source_lines(root, result.errors))
            report(result, time.perf_counter() - started)
            if not shown or not result.ok:
                reload()
            return result

    return rebuild


def earlier_preview(out: Path, root: Path) -> bool:
    """Return True when `out` holds a preview an earlier `serve` built (with its manifest), safe to update."""
    return (out / MANIFEST).is_file() and not unsafe_output(out, root)


def make_app(preview: Preview) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """Return a WSGI app serving the preview folder, or the error page while the build fails."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        failed, problems, excerpts = preview.shown
        if failed:
            body = error_page(problems, excerpts).encode("utf-8")
            start_response("500 Internal Server Error", [("Content-Type", "text/html; charset=utf-8"),
                                                         ("Cache-Control", "no-store")])
            return [body]
        status, path = find_file(preview.out, environ.get("PATH_INFO", "/"))
        if path is None:
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not found"]
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/xml", "application/atom+xml"):
            kind += "; charset=utf-8"
        start_response(status, [("Content-Type", kind), ("Cache-Control", "no-store")])
        return [path.read_bytes()]

    return app


MAX_URL_PATH = 2048


def find_file(out: Path, url_path: str) -> tuple[str, Path | None]:
    """Return the HTTP status and the file for a URL path, never outside `out`; 404.html when missing."""
    root = out.resolve()
    missing = root / "404.html"
    not_found = "404 Not Found", missing if missing.is_file() else None
    relative = unquote(url_path).lstrip("/")
    if len(relative) > MAX_URL_PATH or "\0" in relative or "\\" in relative:
        return not_found
    try:
        target = (root / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        found = root in target.parents and target.is_file()
    except (OSError, ValueError):  # a name too long for the file system, a loop, …
        return not_found
    return ("200 OK", target) if found else not_found


def source_lines(root: Path, problems: Iterable[Problem]) -> dict[tuple[str, int], str]:
    """Return the source line each located problem points at, read from the project."""
    lines: dict[tuple[str, int], str] = {}
    inside = root.resolve()
    for problem in problems:
        if problem.line is None:
            continue
        try:
            path = (root / problem.path).resolve()
            if inside in path.parents and path.is_file() and path.stat().st_size <= 1 << 20:
                rows = unify_line_endings(path.read_bytes().decode("utf-8", "replace")).split("\n")
                if 0 < problem.line <= len(rows):
                    lines[(problem.path, problem.line)] = printable(rows[problem.line - 1][:300])
        except (OSError, ValueError):
            continue
    return lines


def _item(problem: Problem, excerpts: Mapping[tuple[str, int], str]) -> str:
    """Return one problem as a list item, with the source line it points at when known."""
    where = str(problem).split(": ", 1)[0] if problem.line is not None else problem.path
    text = problem.message + (f" ({problem.hint})" if problem.hint else "")
    label = {"error": "Error", "warning": "Warning", "notice": "Notice"}[problem.severity]
    excerpt = excerpts.get((problem.path, problem.line or 0))
    shown = f"<pre><code>{html.escape(excerpt)}</code></pre>" if excerpt is not None else ""
    return (f'<li class="{problem.severity}"><p><strong>{label}</strong> in <code>{html.escape(where)}</code></p>'
            f"<p>{html.escape(text)}</p>{shown}</li>")


def error_page(problems: Iterable[Problem], excerpts: Mapping[tuple[str, int], str] | None = None) -> str:
    """Return an accessible page listing the errors of the failed build first, then the rest folded away."""
    problems = tuple(problems)
    errors = [_item(p, excerpts or {}) for p in problems if p.severity == "error"]
    others = [_item(p, excerpts or {}) for p in problems if p.severity != "error"]
    folded = (f"<details><summary>Warnings and notices ({len(others)})</summary>"
              f"<ol>{''.join(others)}</ol></details>") if others else ""
    count = len(errors)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed – careers-site preview</title>
<style>
body {{ margin: 0; font: 1.05rem/1.55 system-ui, sans-serif; background: #fff; color: #14171a; }}
main {{ max-width: 60rem; margin: 0 auto; padding: 2rem 1.25rem; }}
h1 {{ font-size: 1.8rem; margin: 0 0 0.5rem; color: #a4141b; }}
ol {{ padding: 0; list-style: none; }}
li {{ border-left: 6px solid #a4141b; background: #fdf1f1; border-radius: 6px;
      padding: 0.75rem 1rem; margin: 0 0 1rem; }}
li.warning, li.notice {{ border-color: #6b5300; background: #fbf6e6; }}
li p {{ margin: 0.2rem 0; }}
code {{ font: 0.95rem/1.4 ui-monospace, monospace; overflow-wrap: anywhere; }}
pre {{ margin: 0.4rem 0 0; padding: 0.4rem 0.6rem; background: rgba(0, 0, 0, 0.06); border-radius: 4px;
       white-space: pre-wrap; }}
summary {{ cursor: pointer; min-height: 24px; }}
@media (prefers-color-scheme: dark) {{
  body {{ background: #111416; color: #eef1f0; }}
  h1 {{ color: #ff9c9c; }}
  li {{ background: #2a1516; border-color: #ff9c9c; }}
  li.warning, li.notice {{ background: #2a2412; border-color: #e8c65a; }}
}}
</style>
</head>
<body>
<main>
<h1>The site could not be built</h1>
<p role="status">{count} problem{'s' * (count != 1)} to fix. This page updates by itself when you save a fix.</p>
<ol>
{''.join(errors)}
</ol>
{folded}
</main>
</body>
</html>
"""


def check_address(host: str, port: int) -> None:
    """Raise SetupError, with what to do, when the server could not listen on host:port."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        raise SetupError(f"cannot serve on '{host}': the host name does not resolve; use --host 127.0.0.1") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise SetupError(_bind_failure(exc, host, port)) from None


def _bind_failure(exc: OSError, host: str, port: int) -> str:
    """Return what a failure to listen means, and what to do."""
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is busy (is another serve running?); stop it or use --port {port % 65535 + 1}"
    if exc.errno == errno.EACCES:
        return f"port {port} needs administrator rights; use a port above 1023, e.g. --port 8000"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"'{host}' is not an address of this machine; use --host 127.0.0.1"
    return f"cannot serve on {host}:{port}: {exc.strerror}"


def preview_url(host: str, port: int) -> str:
    """Return the address the preview is served at, with an IPv6 host in brackets."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serve(
    root: Path, host: str, port: int, out: Path | None, report: Report, today: str | None = None,
    started: Callable[[], None] = lambda: None, cache: BuildCache | None = None,
) -> None:
    """Build, serve on host:port, rebuild on every change and reload browsers, until stopped.

    `cache` carries parses and compiled templates in from earlier runs; a preview folder `out` that an
    earlier run built is updated incrementally. Ctrl+C, SIGTERM and SIGHUP all stop it the same way:
    the temporary folder is removed.
    """
    from livereload import Server
    from livereload.handlers import LiveReloadHandler
    from tornado.ioloop import IOLoop

    from .watch import ChangeWatcher

    check_address(host, port)
    # livereload drops a reload that comes within 3 s of the previous one; every rebuild must show.
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0
    switching = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with tempfile.TemporaryDirectory(prefix="careers-site-") as scratch:
            preview = Preview(out or Path(scratch) / "site")
            cache = cache or BuildCache()
            # saves are built on the watcher's thread, which has browsers reload as soon as the pages are written
            watcher = ChangeWatcher([root / folder for folder in WATCHED], lambda paths: rebuild(paths))
            rebuild = make_rebuilder(root, preview, preview_url(host, port), report, today, cache,
                                     reload=watcher.announce)
            # listening before the first build reads the project: a save made meanwhile is built after it
            if earlier_preview(preview.out, root):  # served at once, brought up to date on the build thread
                watcher.listen(wait=False)
                watcher.later(lambda: rebuild(None))
            else:
                watcher.listen()
                rebuild(None)
            watcher.later(lambda: warm_up(cache))  # between builds: the first save is then as quick as the others
            server = Server(make_app(preview), watcher=watcher)
            for folder in WATCHED:
                server.watch(str(root / folder))
            loop = IOLoop.current().asyncio_loop  # type: ignore[attr-defined]
            for sig in STOP_SIGNALS:  # the loop is woken whichever thread the signal reaches
                loop.add_signal_handler(sig, _interrupt, sig, None)
            started()
            try:
                server.serve(host=host, port=port, restart_delay=0, debug=False)
            except OSError as exc:
                raise SetupError(_bind_failure(exc, host, port)) from None
            finally:
                for sig in STOP_SIGNALS:
                    loop.remove_signal_handler(sig)
                watcher.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.setswitchinterval(switching)


# While a build runs, the server's thread waits up to this long for Python's lock each time it wakes (to
# send a reload message, to answer a request) and after each system call (5 ms by default): the page a
# browser fetches on reload came 6-9 ms after the message with this, 15 ms without (N=5000, 2 runs).
SWITCH_INTERVAL = 0.0005

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: object) -> None:
    """Stop the server as Ctrl+C does, so that everything is cleaned up.

    While it serves, the event loop runs this (`add_signal_handler`): a signal the kernel hands to
    another thread (the file watcher's, a build's) would otherwise leave the loop asleep, waiting for
    a request that never comes.
    """
    raise KeyboardInterrupt
