"""Watching the project for `serve`: the operating system's file events (watchfiles), not polling.

livereload polls every watched file's modification time every 0.8 s, which at ten thousand files costs
more than the rebuild it triggers and delays every save. This watcher hands the paths that changed,
as soon as the file system reports them, to a build thread of its own (the server's thread goes on
answering meanwhile); livereload still reloads the browsers, when a build says so.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from livereload.watcher import Watcher

STEP_MS = 5  # a save that writes several files (or a file twice) settles within this, and is one rebuild
READY_WITHIN = 5.0  # seconds a build waits at most for the watches to be in place
READY_MS = 50  # how long the watcher waits for an event before it says it is watching (and looks at `stopping`)


def watched_name(folder: Path, path: str) -> bool:
    """Return True for a file below `folder` whose change matters: not a dot file, dot folder or editor leftover."""
    try:
        parts = Path(path).relative_to(folder).parts
    except ValueError:
        return False
    return not any(part.startswith(".") for part in parts) and not path.endswith(("~", ".swp"))


class ChangeWatcher(Watcher):  # type: ignore[misc]
    """A livereload watcher fed by file-system events: each batch of changed paths goes to `on_change`.

    Builds run on a thread of their own, one at a time, so the server goes on answering while a save is
    built: `on_change` (with every path that changed since the last build began) and the tasks given to
    `later` run there, in turn. Browsers reload when `announce` is called, from any thread.
    """

    def __init__(self, folders: Iterable[Path], on_change: Callable[[set[str]], Any]) -> None:
        super().__init__()
        self.folders = [folder for folder in folders if folder.is_dir()]
        self.on_change = on_change
        self.pending: set[str] = set()
        self.tasks: list[Callable[[], Any]] = []
        self.ready = threading.Condition()  # guards `pending`, `tasks` and `announced`
        self.stopping = threading.Event()
        self.watching = threading.Event()  # the file system's events reach us from now on
        self.watcher: threading.Thread | None = None
        self.threads: list[threading.Thread] = []
        self.announced = False  # browsers are to reload
        self.loop: Any = None
        self.callback: Callable[[], None] | None = None

    def start(self, callback: Callable[[], None]) -> bool:
        """Start watching and building on threads; `callback` runs on livereload's loop to reload. True: no polling."""
        import watchfiles  # noqa: F401 - imported here, so that a missing install fails at start, not silently
        from tornado.ioloop import IOLoop

        if self.threads:
            return True
        self.listen(wait=False)  # the server answers meanwhile; the build thread waits for it
        self.loop, self.callback = IOLoop.current(), callback
        self.threads.append(threading.Thread(target=self._build, name="careers-site-build", daemon=True))
        self.threads[-1].start()
        return True

    def listen(self, wait: bool = True) -> None:
        """Start watching on a thread of its own, if not yet; with `wait`, return once events reach it:
        saves made from then on, during the first build too, are built. (The build thread waits too.)"""
        if self.watcher is None and self.folders:
            self.watcher = threading.Thread(target=self._watch, name="careers-site-watch", daemon=True)
            self.watcher.start()
        if wait:
            self._ready()

    def _ready(self) -> None:
        """Wait until the watches are in place (at most READY_WITHIN seconds)."""
        if self.watcher is not None:
            self.watching.wait(READY_WITHIN)

    def later(self, task: Callable[[], Any]) -> None:
        """Run `task` on the build thread, after the builds and tasks before it."""
        with self.ready:
            self.tasks.append(task)
            self.ready.notify()

    def _watch(self) -> None:
        import watchfiles

        def wanted(_: object, path: str) -> bool:
            return any(watched_name(folder, path) for folder in self.folders)

        # the first (empty) batch comes once the watches are in place: a time-out with nothing changed
        for changes in watchfiles.watch(*self.folders, watch_filter=wanted,
                                        step=STEP_MS, stop_event=self.stopping, raise_interrupt=False,
                                        rust_timeout=READY_MS, yield_on_timeout=True):
            self.watching.set()
            if not changes:
                continue
            with self.ready:
                self.pending.update(path for _, path in changes)
                self.ready.notify()

    def _build(self) -> None:
        """Run the tasks and the builds of the changed paths, in turn, until stopped."""
        self._ready()  # a first build reads the project once saves are seen
        while True:
            with self.ready:
                self.ready.wait_for(lambda: self.tasks or self.pending or self.stopping.is_set())
                if self.stopping.is_set():
                    return
                tasks, self.tasks = self.tasks, []
                paths, self.pending = self.pending, set()
            for task in tasks:
                _report_crash(task)
            if paths:
                _report_crash(self.on_change, paths)

    def examine(self) -> tuple[str | None, float | None]:
        """Return a page for livereload's reload message when browsers are to reload (livereload's look)."""
        with self.ready:
            announced, self.announced = self.announced, False
        if announced:
            self.filepath = "index.html"  # any page: browsers reload
            return self.filepath, None
        return self._changes.pop() if self._changes else (None, None)  # livereload's own first entry, once

    def announce(self) -> None:
        """Have browsers reload (from any thread)."""
        with self.ready:
            self.announced = True
        if self.loop is not None and self.callback is not None:
            self.loop.add_callback(self.callback)

    def stop(self) -> None:
        """Stop the watching and building threads (a build under way first ends)."""
        self.stopping.set()
        with self.ready:
            self.ready.notify_all()
        for thread in [*self.threads, *([self.watcher] if self.watcher is not None else [])]:
            thread.join(timeout=5)


def _report_crash(task: Callable[..., Any], *args: Any) -> None:
    """Run `task(*args)`; a bug of the generator prints its traceback, and serve goes on with the next save."""
    try:
        task(*args)
    except Exception:
        traceback.print_exc()
