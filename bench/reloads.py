"""A live-reload client, as a browser's livereload.js is: the moments `serve` tells browsers to reload.

Used by the benchmark (save → reload message → updated page) and by the tests of `serve`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

PROTOCOL = "http://livereload.com/protocols/official-7"


class Reloads:
    """A connection to the live-reload socket of the server at `base` (http://host:port), on a thread.

    `times` holds the `time.perf_counter()` of each reload message, in order; as a browser would, the
    client then fetches its page again: `pages` holds when each fetch ended and what it got.
    """

    def __init__(self, base: str, page: str = "/") -> None:
        self.base, self.page = base, page
        self.times: list[float] = []
        self.pages: list[tuple[float, str]] = []
        self.connected = threading.Event()
        self.failure: BaseException | None = None
        self.socket: Any = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="reload-client", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self._listen())
        except BaseException as exc:  # handed to the waiting thread
            self.failure = exc
            self.connected.set()

    async def _listen(self) -> None:
        from tornado.websocket import websocket_connect

        self.socket = await websocket_connect(self.base.replace("http", "ws", 1) + "/livereload")
        await self.socket.write_message(json.dumps({"command": "hello", "protocols": [PROTOCOL]}))
        await self.socket.read_message()  # the server's hello
        await self.socket.write_message(json.dumps({"command": "info", "url": self.base + self.page, "plugins": {}}))
        self.connected.set()
        while (message := await self.socket.read_message()) is not None:
            if json.loads(message).get("command") == "reload":
                self.times.append(time.perf_counter())
                body = await asyncio.to_thread(_get, self.base + self.page)
                self.pages.append((time.perf_counter(), body))

    def wait_connected(self, timeout: float = 60.0) -> None:
        """Wait until the socket is open and the page announced (the server then adds it soon after)."""
        if not self.connected.wait(timeout) or self.failure is not None:
            raise RuntimeError(f"no live-reload connection to {self.base}: {self.failure!r}")

    def wait_reload(self, count: int, timeout: float = 60.0) -> tuple[float, float, str]:
        """Wait for the `count`-th reload (from 1) and the page fetched after it; return when the message
        arrived, when the page did, and the page."""
        deadline = time.monotonic() + timeout
        while len(self.pages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.times)} reload messages, not {count}")
            time.sleep(0.002)
        return self.times[count - 1], *self.pages[count - 1]

    def close(self) -> None:
        """Close the socket and end the thread."""
        if self.socket is not None:
            self.loop.call_soon_threadsafe(self.socket.close)
        self.thread.join(timeout=10)


def _get(url: str) -> str:
    """Return the page at `url` (the error page too), or '' when the server does not answer."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return str(response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return str(error.read().decode("utf-8", "replace"))
    except OSError:
        return ""
