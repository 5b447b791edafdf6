"""Forked workers: the results in the items' order, whatever the number of workers, and the caller's own work."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sitegen.parallel
from sitegen.parallel import MAX_CHUNK, MAX_CHUNKS, Started, chunk_bounds, forked, iter_chunks, map_chunks
from tests.conftest import MakeProject


def doubled(context: int, items: Sequence[int]) -> list[int]:
    return [item * context for item in items]


@pytest.mark.parametrize("jobs", [1, 2])
def test_meanwhile_runs_once_while_workers_work_or_after_the_last_chunk(jobs: int) -> None:
    order: list[object] = []
    results: list[int] = []
    for part in iter_chunks(doubled, 2, list(range(200)), jobs, min_chunk=10,
                            meanwhile=lambda: order.append("meanwhile")):
        order.append(len(part))
        results.extend(part)
    assert results == [item * 2 for item in range(200)]
    assert order.count("meanwhile") == 1
    # on workers, the caller's work runs before the first result is read; on one process, after the last
    assert order.index("meanwhile") == (0 if jobs == 2 else len(order) - 1)


def sizes(context: object, items: Sequence[int]) -> list[int]:
    return [len(items)] * len(items)


@pytest.mark.parametrize("jobs", [1, 2])
def test_chunks_are_a_few_hundred_items_at_most_whatever_the_number_of_items(jobs: int) -> None:
    """A chunk's results pass through the parent's memory whole (pickled, then loaded): they stay small."""
    found = map_chunks(sizes, None, list(range(20 * MAX_CHUNK + 3)), jobs)
    assert max(found) == MAX_CHUNK
    assert len(found) == 20 * MAX_CHUNK + 3
    assert set(map_chunks(sizes, None, list(range(50)), jobs, min_chunk=40)) == {40, 10}  # few items: few chunks


@given(st.integers(min_value=0, max_value=30_000), st.integers(min_value=1, max_value=8),
       st.integers(min_value=1, max_value=80))
def test_chunks_cover_the_items_in_order_and_shrink_towards_the_end(count: int, jobs: int, min_chunk: int) -> None:
    """No worker is left alone with a big chunk at the end of a stage: each chunk is at most a (2 × jobs)th of
    what is left from its start (or `min_chunk`), and all but the last hold `min_chunk` items or more."""
    bounds = chunk_bounds(count, jobs, min_chunk)
    assert [start for start, _ in bounds] == [0, *(stop for _, stop in bounds[:-1])][:len(bounds)]
    assert (bounds[-1][1] if bounds else 0) == count and all(stop > start for start, stop in bounds)
    size = max(min_chunk, min(MAX_CHUNK, -(-count // (jobs * 4))), -(-count // MAX_CHUNKS))
    for start, stop in bounds:
        assert stop - start <= max(min_chunk, -(-(count - start) // (2 * jobs)), 1) and stop - start <= size
    assert all(stop - start >= min(min_chunk, size) for start, stop in bounds[:-1])
    assert len(bounds) <= MAX_CHUNKS


def test_a_big_stage_ends_with_small_chunks() -> None:
    sizes = [stop - start for start, stop in chunk_bounds(10_010, 2)]
    assert sizes[0] == MAX_CHUNK and sizes[-1] <= 40 and sorted(sizes, reverse=True) == sizes


def pid_of(context: object, items: Sequence[int]) -> list[int]:
    return [os.getpid() for _ in items]


def slow_first(context: float, items: Sequence[int]) -> list[int]:
    if items[0] == 0:
        time.sleep(context)
    return [os.getpid() for _ in items]


def test_a_worker_takes_the_next_chunk_when_it_is_done_with_its_last() -> None:
    """Chunks are not dealt out in advance: while one worker is slow on a chunk, the other takes the rest."""
    pids = map_chunks(slow_first, 1.0, list(range(40)), 2, min_chunk=1)
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert pids.count(pids[0]) == 5 and pids[-1] != pids[0]  # its one chunk of 5; dealt in turn, it would have had 20


def test_a_single_chunk_is_not_worth_a_worker() -> None:
    parent = os.getpid()
    assert map_chunks(pid_of, None, [1, 2, 3], 2, meanwhile=lambda: None) == [parent] * 3
    assert map_chunks(pid_of, None, [1, 2, 3], 2) == [parent] * 3


def pid_and_double(context: int) -> tuple[int, int]:
    return os.getpid(), context * 2


def test_a_started_task_runs_in_a_worker_while_the_caller_works() -> None:
    started = Started(pid_and_double, 21)
    assert started.worker is not None
    pid, value = started.result()
    assert value == 42 and pid not in (os.getpid(), None)
    assert started.worker is None  # collected
    started.stop()  # and stopping again does nothing


def test_a_started_task_sends_its_result_before_what_follows_it(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`then` (writing a cache) runs in the worker once the result is sent: the result is taken while it runs,
    and `stop` waits for it rather than kill it. Without a worker, it runs after the task; a worker whose
    result is never taken is killed before it."""
    go, done = tmp_path / "go", tmp_path / "done"

    def then() -> None:  # waits for the caller to have the result (a `then` that ran first would time out)
        for _ in range(3000):
            if go.exists():
                done.write_text(str(os.getpid()))
                return
            time.sleep(0.01)
        done.write_text("too late")

    started = Started(pid_and_double, 21, then=then)
    pid, value = started.result()
    assert value == 42 and not done.exists() and started.worker is not None
    go.touch()
    started.stop()  # waits for `then`
    assert done.read_text() == str(pid) and started.worker is None
    done.unlink()
    go.unlink()
    never = Started(pid_and_double, 1, then=then)
    never.stop()  # (its result not taken: killed, while `then` waits if it got there)
    assert not done.exists()
    go.touch()
    monkeypatch.setattr(sitegen.parallel, "_can_fork", lambda: False)
    assert Started(pid_and_double, 5, then=then).result() == (os.getpid(), 10)
    assert done.read_text() == str(os.getpid())


def test_a_worker_sends_a_large_result_and_goes_on_before_the_caller_reads_it(tmp_path: Path) -> None:
    """A results pipe holds a mebibyte: the templates' worker writes its result (170 KB for the real site) at once
    and goes on with `then` (writing them to the cache) while the build works. With a pipe of 64 KiB, it waited
    for the build to read each 64 KiB, once it needed the templates, and then finished while the build waited
    for it: here, `then` would never run before the result is read."""
    done = tmp_path / "done"
    size = 3 * sitegen.parallel.RESULTS_PIPE // 4
    started = Started(lambda length: b"x" * length, size, then=done.touch)
    for _ in range(6000):  # (up to a minute: a busy machine)
        if done.exists():
            break
        time.sleep(0.01)
    assert done.exists()  # before anything was read
    assert started.result() == b"x" * size
    started.stop()


def test_workers_that_parse_or_render_collect_cycles_even_where_the_caller_does_not() -> None:
    """A one-off build keeps its cycle collector off while it makes the site (`cli.start_up`); the workers it
    forks to parse or render turn theirs on (Jinja's macros make cycles on every page). A started task keeps
    the caller's (the templates' worker is forked before the collector is on, and compiles without it)."""
    assert gc.isenabled()
    gc.disable()
    try:
        assert map_chunks(collecting, None, list(range(4 * MAX_CHUNK)), jobs=2) == [(True, True)] * (4 * MAX_CHUNK)
        assert Started(lambda _context: gc.isenabled(), None).result() is False
    finally:
        gc.enable()


def collecting(_context: None, items: Sequence[int]) -> list[tuple[bool, bool]]:
    """Return, for each item, whether the cycle collector is on, and whether this is a worker."""
    return [(gc.isenabled(), os.getpid() != PARENT) for _ in items]


PARENT = os.getpid()


def test_a_started_task_runs_here_when_its_worker_dies_or_no_worker_can_be_forked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def dies_in_a_worker(context: int) -> tuple[int, int]:
        if os.getpid() != parent:
            os._exit(1)  # as if killed, out of memory
        return pid_and_double(context)

    assert Started(dies_in_a_worker, 5).result() == (parent, 10)
    monkeypatch.setattr(sitegen.parallel, "_can_fork", lambda: False)
    started = Started(pid_and_double, 5)
    assert started.worker is None
    assert started.result() == (parent, 10)


def test_a_forked_task_ends_in_its_worker_is_never_run_again_here_and_is_not_held_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `forked` returns waits for the task's end in its worker; a worker that dies is not made up
    for; what waits holds nothing the task reaches (this process lets it go at once); without fork, there
    is no worker (None: the caller runs the task some other way)."""
    import weakref

    parent = os.getpid()

    class Payload:  # what a task reaches: 10,000 parses to write, say
        pass

    for dies in (False, True):
        folder = tmp_path / str(dies)
        folder.mkdir()
        payload = Payload()

        def note(folder: Path = folder, dies: bool = dies, payload: Payload = payload) -> None:
            time.sleep(0.2)  # (still running when the caller lets go and waits)
            (folder / str(os.getpid())).write_text(type(payload).__name__)
            if dies and os.getpid() != parent:
                os._exit(1)  # as if killed, once its work is done

        wait = forked(note)
        assert wait is not None and not any(folder.iterdir())
        held = weakref.ref(payload)
        del note, payload
        gc.collect()
        assert held() is None  # let go here while the worker has its copy
        wait()
        assert [p.name for p in folder.iterdir()] not in ([], [str(parent)])
        assert len(list(folder.iterdir())) == 1
        wait()  # (waiting again does nothing)
    monkeypatch.setattr(sitegen.parallel, "_can_fork", lambda: False)
    assert forked(lambda: None) is None


def test_a_started_task_that_is_not_waited_for_is_stopped() -> None:
    started = Started(lambda seconds: time.sleep(seconds), 60)
    worker = started.worker
    assert worker is not None
    started.stop()
    assert started.worker is None
    with pytest.raises(ChildProcessError):  # killed and collected: no zombie is left
        os.waitpid(worker[0], os.WNOHANG)


def test_new_templates_compile_in_a_worker_while_the_build_parses_the_content(
        make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.environment
    import sitegen.loading
    import sitegen.pipeline
    from sitegen.pipeline import BuildCache, compile_site
    from sitegen.sources import read_project

    parsed_in: list[tuple[int, int]] = []  # (process, files)
    real_parse, real_compiled = sitegen.loading._parse_files, sitegen.environment.compiled_templates
    compiled_in = tmp_path / "compiled-in"  # a worker's note: its own memory does not come back

    def parse_spied(context: Any, files: Sequence[Any]) -> Any:
        parsed_in.append((os.getpid(), len(files)))
        return real_parse(context, files)

    def compiled_spied(*args: Any) -> Any:
        with compiled_in.open("a") as note:
            note.write(f"{os.getpid()}\n")
        return real_compiled(*args)

    monkeypatch.setattr(sitegen.loading, "_parse_files", parse_spied)
    monkeypatch.setattr(sitegen.environment, "compiled_templates", compiled_spied)
    events: list[str] = []  # what the build's process did, in order
    for name in ("assemble_site", "link_problems", "_received"):
        real = getattr(sitegen.pipeline, name)
        monkeypatch.setattr(sitegen.pipeline, name, lambda *a, real=real, name=name: (events.append(name), real(*a))[1])
    root = make_project()
    cache = BuildCache(jobs=2)
    first = compile_site(read_project(root), None, cache)
    assert first.outputs and not first.errors
    # the site is assembled and its links checked while the templates compile: taken when pages render
    assert events == ["assemble_site", "link_problems", "_received"]
    (root / "content/jobs/data-intern.en.md").write_text(
        (root / "content/jobs/data-intern.en.md").read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert compile_site(read_project(root), None, cache).outputs
    # the first build compiled its new templates in a worker, beside the parse (small: in the build's
    # process); the second (serve's next) had none to compile, and one file to parse
    workers = [int(line) for line in compiled_in.read_text().split()]
    assert len(workers) == 1 and workers[0] != os.getpid()
    assert parsed_in[0][0] == os.getpid() and parsed_in[0][1] > 1
    assert parsed_in[1:] == [(os.getpid(), 1)]
    # a template saved while serving compiles in the build's process: nothing would run beside a worker
    (root / "templates/page.html").write_text((root / "templates/page.html").read_text() + "{# saved #}\n")
    assert compile_site(read_project(root), None, cache).outputs
    assert len(compiled_in.read_text().split()) == 1
    # and the pages are those of a build on one process, which compiles its templates itself
    alone = compile_site(read_project(root), None, BuildCache(jobs=1))
    again = compile_site(read_project(root), None, BuildCache(jobs=2))
    assert [(o.dest_path, o.content) for o in again.outputs] == [(o.dest_path, o.content) for o in alone.outputs]
    assert again.problems == alone.problems
    # a template that does not compile is reported the same from the worker
    (root / "templates/team.html").write_text("{% if %}\n", "utf-8")
    broken = [compile_site(read_project(root), None, BuildCache(jobs=jobs)) for jobs in (1, 2)]
    assert broken[0].problems == broken[1].problems
    assert [p.message for p in broken[1].errors if p.path == "templates/team.html"] == [
        "template syntax error: Expected an expression, got 'end of statement block'"]
    # content that stops the build before anything renders: the templates' worker is stopped, not waited for
    (root / "content/_site.yaml").write_text("name: [unclosed\n", "utf-8")
    started: list[Any] = []
    real_compiling = sitegen.pipeline.compiling
    monkeypatch.setattr(sitegen.pipeline, "compiling", lambda *a: started.append(real_compiling(*a)) or started[-1])
    failed = compile_site(read_project(root), None, BuildCache(jobs=2))
    assert failed.errors and not failed.outputs
    assert len(started) == 1 and started[0].worker is None


def dies_on_seven(context: int, items: Sequence[int]) -> list[int]:
    if 7 in items:
        os._exit(1)  # as if killed, out of memory
    return list(items)


def test_a_worker_that_stops_mid_way_stops_the_stage_with_an_error_not_a_hang() -> None:
    parts = iter_chunks(dies_on_seven, 0, list(range(20)), 2, min_chunk=1)
    with pytest.raises(RuntimeError, match="stopped before finishing its work"):
        list(parts)
