"""Parse and render stages: a pure task over many items on every core, its results in the items' order.

Workers are forked, so they start with the parent's memory (parsed content, compiled templates, the
items themselves). Each worker takes the next chunk not yet taken (its number, read from a pipe they
share, which the parent filled before forking them), and writes its result, pickled, to a pipe of its
own; the parent reads the results as they come and gives them back in order. A worker slowed down (a
shared machine, heavier pages) takes fewer chunks: chunks dealt out in turn in advance left one worker
rendering alone for a chunk or two at the end. There is no shared lock and no helper thread
(`multiprocessing.Pool` has both, and can hang when stopped by Ctrl+C mid-build): stopping kills the
workers and closes their pipes. The output is the same with one worker or many.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, cast

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
MAX_CHUNKS = 8192  # their numbers (4 bytes each) must fit in a pipe's buffer: it is filled before the workers start


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
    bounds = chunk_bounds(len(items), jobs, min_chunk)
    parallel = jobs > 1 and len(bounds) > 1 and _can_fork()
    if not parallel:
        yield from _reported((task(context, items[start:stop]) for start, stop in bounds), len(items), progress)
        if meanwhile is not None:
            meanwhile()
        return
    numbers, filled = os.pipe()  # each chunk's number, for the workers to take in turn
    try:
        os.write(filled, b"".join(index.to_bytes(4, "big") for index in range(len(bounds))))  # (a few hundred bytes)
    finally:
        os.close(filled)
    try:
        workers = [_fork_worker(task, context, items, bounds, numbers, collect=True)
                   for _ in range(min(jobs, len(bounds)))]
    finally:
        os.close(numbers)
    try:
        if meanwhile is not None:
            meanwhile()
        yield from _reported(_in_order(workers, len(bounds)), len(items), progress)
    finally:
        _stop(workers)


def chunk_bounds(count: int, jobs: int, min_chunk: int = 40) -> list[tuple[int, int]]:
    """Return the (start, stop) of each chunk of `count` items for `jobs` workers, in order.

    A chunk has at most `MAX_CHUNK` items (or `min_chunk`, if more), and at most a (2 × jobs)th of the items
    left from its start, down to `min_chunk`: the last chunks are small, so that no worker is left alone with
    a big one while the others are done (a big site's last chunk of 200 pages was a second of one core idle,
    at the end of each stage).
    """
    jobs = max(jobs, 1)
    size = max(min_chunk, min(MAX_CHUNK, math.ceil(count / (jobs * 4))), math.ceil(count / MAX_CHUNKS))
    bounds = []
    start = 0
    while start < count:
        step = min(size, max(min_chunk, math.ceil((count - start) / (2 * jobs))))
        bounds.append((start, min(start + step, count)))
        start += step
    if len(bounds) > MAX_CHUNKS:  # (millions of items: as many chunks as the pipe takes, all alike)
        bounds = [(start, min(start + size, count)) for start in range(0, count, size)]
    return bounds


class Started(Generic[Context, Result]):
    """`task(context)` started in a forked worker while the caller works (a cold build parses its content
    while a worker compiles the templates); `result()` waits for it, `stop()` kills it if still running.

    Where no worker can be forked, or it stopped without a result (killed, out of memory), the task
    runs in this process when its result is asked for: the same result, later.

    `then`, if given, is work only worth having that follows the task (writing the compiled templates to
    the cache): the worker does it once its result is sent, so that the caller has the result sooner;
    once the result is taken, `stop()` lets the worker finish it rather than kill it. Where the task runs
    in this process, `then` runs after it.
    """

    def __init__(self, task: Callable[[Context], Result], context: Context,
                 then: Callable[[], None] | None = None) -> None:
        self.task, self.context, self.then = task, context, then
        self.finishing = False  # True once the result is taken from a worker that goes on with `then`
        self.worker = _fork_one(lambda: task(context), then) if _can_fork() else None

    def result(self) -> Result:
        """Return the task's result."""
        try:
            if self.worker is not None and (message := _message(self.worker)) is not None:
                self.finishing = self.then is not None
                return cast(Result, pickle.loads(message[1])[0])
        finally:
            if not self.finishing:
                self.stop()
        result = self.task(self.context)
        if self.then is not None:
            self.then()
        return result

    def stop(self) -> None:
        """Stop the worker, if it is still running (once its result is taken: when it is done), and collect it."""
        if self.worker is not None:
            _stop([self.worker], kill=not self.finishing)
            self.worker = None


Worker = tuple[int, int]  # process id, the read end of its results pipe


def forked(task: Callable[[], None]) -> Callable[[], None] | None:
    """Start `task` in a forked worker; return what waits for its end, or None where no worker can be forked.

    This is for work only worth having, such as writing a cache, never for a result: a worker that stops
    without finishing (killed, out of memory) is not made up for. What waits holds nothing of the task,
    so that what the task reaches (10,000 parses to write) is this process's to let go at once: the
    worker has its own copy.
    """
    if not _can_fork():
        return None
    running = [_fork_one(task)]

    def wait() -> None:  # (once: a second call finds nothing to wait for)
        if running:
            worker = running.pop()
            try:
                _message(worker)
            finally:
                _stop([worker])

    return wait


def _fork_one(task: Callable[[], Any], then: Callable[[], None] | None = None) -> Worker:
    """Fork a worker that runs `task` once and writes its result, as the only chunk, to its pipe, then runs `then`
    (if given); return it."""
    return _fork_worker(lambda _context, _items: [task()], None, [None], [(0, 1)], then=then)


def _fork_worker(task: Callable[[Any, Sequence[Any]], list[Any]], context: Any, items: Sequence[Any],
                 bounds: list[tuple[int, int]], numbers: int | None = None,
                 then: Callable[[], None] | None = None, collect: bool = False) -> Worker:
    """Fork a worker that runs `task` over chunks (those whose numbers it takes from the `numbers` pipe, or
    else all of them) and writes each result to a pipe, then runs `then` (if given); return it.

    With `collect`, the worker's cycle collector is on, even where the caller's is off (a one-off build's,
    while it makes the site: `cli.start_up`): a worker that parses or renders thousands of files makes cycles
    (Jinja's macros, on every page) that only a collection frees."""
    read, write = os.pipe()
    _widen(write)
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    code = 1
    try:  # the child: never returns
        gc.freeze()  # what it inherits is never walked by its collections (which would copy every page of it)
        if collect:
            gc.enable()
        os.close(read)
        # the parent stops its workers itself; a worker whose parent is gone dies at its next write
        import signal  # (here, and where a worker is killed: its enumerations are a millisecond of a small build)

        for name in ("SIGTERM", "SIGHUP", "SIGINT", "SIGPIPE"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        with os.fdopen(write, "wb") as out:
            for index in _taken(numbers, len(bounds)):
                start, stop = bounds[index]
                data = pickle.dumps(list(task(context, items[start:stop])), pickle.HIGHEST_PROTOCOL)
                out.write(index.to_bytes(4, "big") + len(data).to_bytes(8, "big") + data)
                out.flush()  # the parent may be waiting for this chunk alone
        if then is not None:  # (the pipe closed: what the parent reads is all there)
            then()
        code = 0
    except BaseException:  # a bug in a task: say where, then the parent reports the worker stopped
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


RESULTS_PIPE = 1 << 20  # bytes a results pipe holds (Linux's default for what a process may ask: pipe-max-size)


def _widen(pipe: int) -> None:
    """Make a results pipe hold a mebibyte (where the system allows it), not 64 KiB: a worker writes a result that
    size (the compiled templates of a project: 170 KB for the real site) at once and goes on (with its `then`,
    writing them to the cache), rather than wait for the parent to read each 64 KiB as it finishes its own work,
    then finish while the parent waits for it."""
    import fcntl  # (here: a worker is forked only where there is one, and the module imports anywhere)

    setting = getattr(fcntl, "F_SETPIPE_SZ", None)  # (Linux only)
    if setting is not None:
        with contextlib.suppress(OSError):  # (a system that allows less: the default size)
            fcntl.fcntl(pipe, setting, RESULTS_PIPE)


def _taken(numbers: int | None, count: int) -> Iterator[int]:
    """Yield the numbers of the chunks this worker takes: from the shared pipe (each read takes one number whole,
    as a pipe's reads of a few bytes are), or all of them."""
    if numbers is None:
        yield from range(count)
        return
    while len(raw := os.read(numbers, 4)) == 4:
        yield int.from_bytes(raw, "big")


def _in_order(workers: list[Worker], count: int) -> Iterator[list[Any]]:
    """Yield the results of chunks 0 to count - 1 in order, as the workers send them in any order."""
    import selectors  # (only where there are workers: a small site's build never imports it)

    waiting: dict[int, bytes] = {}  # results that came before their turn (a few chunks at most)
    with selectors.DefaultSelector() as selector:
        for worker in workers:
            selector.register(worker[1], selectors.EVENT_READ, worker)
        for index in range(count):
            while index not in waiting:
                if not selector.get_map():
                    raise RuntimeError(f"a worker process ({' '.join(str(w[0]) for w in workers)}) stopped before "
                                       "finishing its work")
                for key, _ in selector.select():
                    message = _message(key.data)
                    if message is None:  # done (or stopped: what it had not sent is missed above)
                        selector.unregister(key.fileobj)
                    else:
                        waiting[message[0]] = message[1]
            yield list(pickle.loads(waiting.pop(index)))


def _message(worker: Worker) -> tuple[int, bytes] | None:
    """Return the next chunk's number and pickled results from a worker's pipe; None when it has no more."""
    head = _read(worker[1], 12)
    if len(head) != 12:
        return None
    data = _read(worker[1], int.from_bytes(head[4:], "big"))
    return (int.from_bytes(head[:4], "big"), data) if len(data) == int.from_bytes(head[4:], "big") else None


def _read(descriptor: int, size: int) -> bytes:
    """Return `size` bytes from a pipe, or fewer when it is closed first."""
    parts, got = [], 0
    while got < size and (part := os.read(descriptor, min(size - got, 1 << 20))):
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _stop(workers: list[Worker], kill: bool = True) -> None:
    """Kill the workers that are still running (unless not `kill`: they end on their own) and collect them all."""
    for pid, pipe in workers:
        with contextlib.suppress(OSError):
            os.close(pipe)
        if kill:
            import signal

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
