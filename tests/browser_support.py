"""Shared helpers for the browser tests: Debian's Chromium through Playwright, a static server."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TOOLS = Path(__file__).resolve().parent / "browser" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = Path(__file__).resolve().parent / "output" / "screenshots"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder without logging every request."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class HeadersHandler(QuietHandler):
    """Serves a folder and sends the headers its `_headers` file gives each path, as Netlify would."""

    def end_headers(self) -> None:
        from sitegen.hosting import headers_for, parse_headers

        rules_file = Path(self.directory) / "_headers"
        if rules_file.is_file():
            for name, value in headers_for(parse_headers(rules_file.read_text("utf-8")), self.path.split("?")[0]):
                self.send_header(name, value)
        super().end_headers()


@contextmanager
def static_server(folder: Path, with_headers: bool = False) -> Iterator[str]:
    """Serve `folder` on a free port of 127.0.0.1 until the block ends; yield the base URL.

    `with_headers` sends the headers of the folder's `_headers` file, as Netlify and Cloudflare do.
    """
    handler = functools.partial(HeadersHandler if with_headers else QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
