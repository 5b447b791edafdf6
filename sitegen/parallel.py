"""Parse and render stages: a pure task over many items on every core, its results in the items' order.

Workers are forked, so they start with the parent's memory (parsed content, compiled templates, the
items themselves): only chunk bounds go to them and only results come back. Small task messages also
keep the pool stoppable: a pool whose task pipe is full of big chunks can hang when terminated (a
Ctrl+C during a build). The output is the same with one
worker or many: chunks are made, run and merged in a fixed order.
"""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
Context = TypeVar("Context")

# Set once in each worker process by the pool's initializer (never in the parent): the task and its context.
_WORKER: dict[str, Any] = {}


def default_jobs() -> int:
    """Return how many workers to use by default: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


Progress = Callable[[int, int], None]  # (items done, items in all)


def map_chunks(task: Callable[[Context, Sequence[Item]], list[Result]], context: Context,
               items: Sequence[Item], jobs: int, min_chunk: int = 40,
               progress: Progress | None = None) -> list[Result]:
    """Return `task(context, items)`, computed in chunks by `jobs` forked workers when worth it.

    `progress`, if given, is told after each chunk how many items are done.
    """
    return [result for part in iter_chunks(task, context, items, jobs, min_chunk, progress) for result in part]


def iter_chunks(task: Callable[[Context, Sequence[Item]], list[Result]], context: Context,
                items: Sequence[Item], jobs: int, min_chunk: int = 40,
                progress: Progress | None = None) -> Iterator[list[Result]]:
    """Yield the results of `task` chunk by chunk, in the items' order, as soon as each chunk is done.

    A caller that handles each chunk and lets it go (the render stage writes pages out) never holds
    more than a few chunks' results.
    """
    size = max(min_chunk, math.ceil(len(items) / (max(jobs, 1) * 4)))
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    chunks = [items[start:stop] for start, stop in bounds]
    parallel = jobs > 1 and len(chunks) > 1 and _can_fork()
    if not parallel:
        yield from _reported((task(context, chunk) for chunk in chunks), len(items), progress)
        return
    import multiprocessing  # only when there is work for workers: a small build never imports it

    with multiprocessing.get_context("fork").Pool(jobs, _start_worker, (task, context, items)) as pool:
        yield from _reported(pool.imap(_run_chunk, bounds), len(items), progress)


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


def _start_worker(task: Callable[[Any, Sequence[Any]], list[Any]], context: Any, items: Sequence[Any]) -> None:
    """Keep the task, its context and the items in this worker (forking passes them without pickling).

    A forked worker would inherit the parent's handlers (`serve` turns SIGTERM and SIGHUP into a clean
    stop); the parent stops its workers itself, so they take the default action.
    """
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    _WORKER["task"], _WORKER["context"], _WORKER["items"] = task, context, items


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    """Run the worker's task over one chunk of its items, given by its bounds."""
    start, stop = bounds
    return list(_WORKER["task"](_WORKER["context"], _WORKER["items"][start:stop]))
