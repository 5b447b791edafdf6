"""Parse and render stages: a pure task over many items on every core, its results in the items' order.

Workers are forked, so they start with the parent's memory (parsed content, compiled templates, the
items themselves). Worker i runs chunks i, i + n, i + 2n, … and writes each result, pickled, to its
own pipe; the parent reads the chunks back in order. There is no shared lock and no helper thread
(`multiprocessing.Pool` has both, and can hang when stopped by Ctrl+C mid-build): stopping kills the
workers and closes their pipes. The output is the same with one worker or many.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, BinaryIO, Generic, TypeVar, cast

Item = TypeVar("Item")
Result = TypeVar("Result")
Context = TypeVar("Context")

def default_jobs() -> int:
    """Return how many workers to use by default: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


Progress = Callable[[int, int], None]  # (items done, items in all)
# a chunk's results are in the parent's memory twice while it reads them (pickled, then loaded): 1,250
# pages of a 10,000-page site were 60 MB at once; a few hundred keep that small, and cost nothing more
MAX_CHUNK = 200


def map_chunks(task: Callable[[Context, Sequence[Item]], list[Result]], context: Context,
               items: Sequence[Item], jobs: int, min_chunk: int = 40,
               progress: Progress | None = None, meanwhile: Callable[[], None] | None = None) -> list[Result]:
    """Return `task(context, items)`, computed in chunks by `jobs` forked workers when worth it.

    `progress`, if given, is told after each chunk how many items are done; `meanwhile` is as for
    `iter_chunks`.
    """
    return [result for part in iter_chunks(task, context, items, jobs, min_chunk, progress, meanwhile)
            for result in part]


def iter_chunks(task: Callable[[Context, Sequence[Item]], list[Result]], context: Context,
                items: Sequence[Item], jobs: int, min_chunk: int = 40,
                progress: Progress | None = None,
                meanwhile: Callable[[], None] | None = None) -> Iterator[list[Result]]:
    """Yield the results of `task` chunk by chunk, in the items' order, as soon as each chunk is done.

    A caller that handles each chunk and lets it go (the render stage writes pages out) never holds
    more than a few chunks' results; a chunk has at most `MAX_CHUNK` items (or `min_chunk`, if more).
    `meanwhile` is other work of the caller's: it runs while the workers work, or (on one process) after
    the last chunk (a single chunk is not worth a worker).
    """
    size = max(min_chunk, min(MAX_CHUNK, math.ceil(len(items) / (max(jobs, 1) * 4))))
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    chunks = [items[start:stop] for start, stop in bounds]
    parallel = jobs > 1 and len(chunks) > 1 and _can_fork()
    if not parallel:
        yield from _reported((task(context, chunk) for chunk in chunks), len(items), progress)
        if meanwhile is not None:
            meanwhile()
        return
    workers = [_fork_worker(task, context, items, bounds[index::jobs]) for index in range(min(jobs, len(bounds)))]
    try:
        if meanwhile is not None:
            meanwhile()
        yield from _reported((_receive(workers[index % len(workers)]) for index in range(len(bounds))),
                             len(items), progress)
    finally:
        _stop(workers)


class Started(Generic[Context, Result]):
    """`task(context)` started in a forked worker while the caller works (a cold build parses its content
    while a worker compiles the templates); `result()` waits for it, `stop()` kills it if still running.

    Where no worker can be forked, or it stopped without a result (killed, out of memory), the task
    runs in this process when its result is asked for: the same result, later.
    """

    def __init__(self, task: Callable[[Context], Result], context: Context) -> None:
        self.task, self.context = task, context
        self.worker = _fork_worker(lambda whole, _: [task(whole)], context, [None], [(0, 1)]) if _can_fork() else None

    def result(self) -> Result:
        """Return the task's result."""
        try:
            if self.worker is not None:
                return cast(Result, _receive(self.worker)[0])
        except RuntimeError:
            pass
        finally:
            self.stop()
        return self.task(self.context)

    def stop(self) -> None:
        """Stop the worker, if it is still running, and collect it."""
        if self.worker is not None:
            _stop([self.worker])
            self.worker = None


Worker = tuple[int, BinaryIO]  # process id, the read end of its results pipe


def _fork_worker(task: Callable[[Any, Sequence[Any]], list[Any]], context: Any, items: Sequence[Any],
                 bounds: list[tuple[int, int]]) -> Worker:
    """Fork a worker that runs `task` over its chunks and writes each result to a pipe; return it."""
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, os.fdopen(read, "rb")
    code = 1
    try:  # the child: never returns
        gc.freeze()  # what it inherits is never walked by its collections (which would copy every page of it)
        os.close(read)
        # the parent stops its workers itself; a worker whose parent is gone dies at its next write
        for name in ("SIGTERM", "SIGHUP", "SIGINT", "SIGPIPE"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        with os.fdopen(write, "wb") as out:
            for start, stop in bounds:
                data = pickle.dumps(list(task(context, items[start:stop])), pickle.HIGHEST_PROTOCOL)
                out.write(len(data).to_bytes(8, "big") + data)
        code = 0
    except BaseException:  # a bug in a task: say where, then the parent reports the worker stopped
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _receive(worker: Worker) -> list[Any]:
    """Return the next chunk's results from a worker's pipe."""
    pid, pipe = worker
    head = pipe.read(8)
    data = pipe.read(int.from_bytes(head, "big")) if len(head) == 8 else b""
    if len(head) != 8 or len(data) != int.from_bytes(head, "big"):
        raise RuntimeError(f"a worker process ({pid}) stopped before finishing its work")
    return list(pickle.loads(data))


def _stop(workers: list[Worker]) -> None:
    """Kill the workers that are still running and collect them all."""
    for pid, pipe in workers:
        pipe.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid, _ in workers:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _can_fork() -> bool:
    """Return True where worker processes can be forked (Linux, macOS; not Windows)."""
    return hasattr(os, "fork") and os.name == "posix"


def _reported(parts: Iterable[list[Result]], total: int, progress: Progress | None) -> Iterator[list[Result]]:
    """Yield the parts, telling `progress` how many items are done after each."""
    done = 0
    for part in parts:
        done += len(part)
        if progress is not None:
            progress(done, total)
        yield part
