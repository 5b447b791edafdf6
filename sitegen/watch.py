"""Watching the project for `serve`: the operating system's file events (watchfiles), not polling.

livereload polls every watched file's modification time every 0.8 s, which at ten thousand files costs
more than the rebuild it triggers and delays every save. This watcher hands livereload the paths that
changed as soon as the file system reports them; livereload still reloads the browsers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from livereload.watcher import Watcher

STEP_MS = 10  # a save that writes several files (or a file twice) settles within this, and is one rebuild


def watched_name(folder: Path, path: str) -> bool:
    """Return True for a file below `folder` whose change matters: not a dot file, dot folder or editor leftover."""
    try:
        parts = Path(path).relative_to(folder).parts
    except ValueError:
        return False
    return not any(part.startswith(".") for part in parts) and not path.endswith(("~", ".swp"))


class ChangeWatcher(Watcher):  # type: ignore[misc]
    """A livereload watcher fed by file-system events: each batch of changed paths goes to `on_change`."""

    def __init__(self, folders: Iterable[Path], on_change: Callable[[set[str]], Any]) -> None:
        super().__init__()
        self.folders = [folder for folder in folders if folder.is_dir()]
        self.on_change = on_change
        self.pending: set[str] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.announced = False  # browsers are to reload, though no file changed
        self.loop: Any = None
        self.callback: Callable[[], None] | None = None

    def start(self, callback: Callable[[], None]) -> bool:
        """Start watching on a thread; `callback` runs on livereload's loop after each batch. True: no polling."""
        import watchfiles  # noqa: F401 - imported here, so that a missing install fails at start, not silently
        from tornado.ioloop import IOLoop

        if self.thread is not None or not self.folders:
            return self.thread is not None
        loop = self.loop = IOLoop.current()
        self.callback = callback
        self.thread = threading.Thread(target=self._run, args=(loop, callback), name="careers-site-watch",
                                       daemon=True)
        self.thread.start()
        return True

    def _run(self, loop: Any, callback: Callable[[], None]) -> None:
        import watchfiles

        def wanted(_: object, path: str) -> bool:
            return any(watched_name(folder, path) for folder in self.folders)

        for changes in watchfiles.watch(*self.folders, watch_filter=wanted,
                                        step=STEP_MS, stop_event=self.stopping, raise_interrupt=False,
                                        rust_timeout=1000):
            with self.lock:
                self.pending.update(path for _, path in changes)
            loop.add_callback(callback)

    def examine(self) -> tuple[str | None, float | None]:
        """Rebuild for the paths that changed since the last call; return one of them for the reload message."""
        with self.lock:
            paths, self.pending = self.pending, set()
            announced, self.announced = self.announced, False
        if not paths and announced:
            return "index.html", None  # any page: browsers reload
        if not paths:  # livereload's own first entry, once
            return self._changes.pop() if self._changes else (None, None)
        self.on_change(paths)
        self.filepath = min(paths)
        return self.filepath, None

    def announce(self) -> None:
        """Have browsers reload after a build that no change of a file started (from any thread)."""
        with self.lock:
            self.announced = True
        if self.loop is not None and self.callback is not None:
            self.loop.add_callback(self.callback)

    def stop(self) -> None:
        """Stop the watching thread (within a second)."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
