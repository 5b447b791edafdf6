"""The dev server: livereload around `pipeline.build`, with a parse cache and an error page.

Each change in content/, templates/ or assets/ rebuilds the site (re-parsing only changed files) and
reloads the browser. While the build fails, every URL shows the problems instead of the site; fixing
them brings the site back.
"""

from __future__ import annotations

import html
import mimetypes
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .model import BuildResult, Problem
from .pipeline import BuildCache, build, build_date

WATCHED = ("content", "templates", "assets")

Report = Callable[[BuildResult, float], None]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(slots=True)
class Preview:
    """What the server shows: the output folder, and the problems of the last build if it failed."""

    out: Path
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    failed: bool = False


def make_rebuilder(root: Path, preview: Preview, base_url: str, report: Report,
                   today: str | None = None) -> Callable[[], BuildResult]:
    """Return a function that rebuilds into the preview folder, reusing parses of unchanged files."""
    cache = BuildCache()

    def rebuild() -> BuildResult:
        started = time.perf_counter()
        result = build(root, preview.out, base_url, cache, today=build_date(today))
        preview.failed, preview.problems = not result.ok, result.problems
        report(result, time.perf_counter() - started)
        return result

    return rebuild


def make_app(preview: Preview) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """Return a WSGI app serving the preview folder, or the error page while the build fails."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if preview.failed:
            body = error_page(preview.problems).encode("utf-8")
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


def find_file(out: Path, url_path: str) -> tuple[str, Path | None]:
    """Return the HTTP status and the file for a URL path, never outside `out`; 404.html when missing."""
    root = out.resolve()
    relative = unquote(url_path).lstrip("/")
    target = (root / relative).resolve()
    if target.is_dir():
        target = target / "index.html"
    if root in target.parents and target.is_file():
        return "200 OK", target
    missing = root / "404.html"
    return "404 Not Found", missing if missing.is_file() else None


def error_page(problems: Iterable[Problem]) -> str:
    """Return an accessible page listing the problems of the failed build, with file and line."""
    problems = tuple(problems)
    items = []
    for problem in problems:
        where = str(problem).split(": ", 1)[0] if problem.line is not None else problem.path
        text = problem.message + (f" ({problem.hint})" if problem.hint else "")
        label = {"error": "Error", "warning": "Warning", "notice": "Notice"}[problem.severity]
        items.append(f'<li class="{problem.severity}"><p><strong>{label}</strong> in '
                     f"<code>{html.escape(where)}</code></p><p>{html.escape(text)}</p></li>")
    count = sum(1 for p in problems if p.severity == "error")
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
{''.join(items)}
</ol>
</main>
</body>
</html>
"""


def serve(
    root: Path, host: str, port: int, out: Path | None, report: Report, today: str | None = None,
) -> None:
    """Build, serve on host:port, rebuild on every change and reload browsers."""
    from livereload import Server
    from livereload.handlers import LiveReloadHandler

    # livereload drops a reload that comes within 3 s of the previous one; every rebuild must show.
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0
    with tempfile.TemporaryDirectory(prefix="careers-site-") as scratch:
        preview = Preview(out or Path(scratch) / "site")
        rebuild = make_rebuilder(root, preview, f"http://{host}:{port}/", report, today)
        rebuild()
        server = Server(make_app(preview))
        for folder in WATCHED:
            server.watch(str(root / folder), rebuild)
        server.serve(host=host, port=port, restart_delay=0, debug=False)
