"""The dev server: livereload around `pipeline.build`, with a parse cache between builds."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .model import BuildResult
from .pipeline import BuildCache, build, build_date

WATCHED = ("content", "templates", "assets")

Report = Callable[[BuildResult, float], None]


def make_rebuilder(root: Path, out: Path, base_url: str, report: Report,
                   today: str | None = None) -> Callable[[], BuildResult]:
    """Return a function that rebuilds into `out`, reusing parses of unchanged files."""
    cache = BuildCache()

    def rebuild() -> BuildResult:
        started = time.perf_counter()
        result = build(root, out, base_url, cache, today=build_date(today))
        report(result, time.perf_counter() - started)
        return result

    return rebuild


def serve(root: Path, host: str, port: int, out: Path | None, report: Report, today: str | None = None) -> None:
    """Build, serve the output on host:port, rebuild on every change and reload browsers."""
    from livereload import Server

    with tempfile.TemporaryDirectory(prefix="careers-site-") as scratch:
        target = out or Path(scratch)
        rebuild = make_rebuilder(root, target, f"http://{host}:{port}/", report, today)
        rebuild()
        server = Server()
        for folder in WATCHED:
            server.watch(str(root / folder), rebuild)
        server.serve(host=host, port=port, root=str(target), restart_delay=0)
