"""Forked workers: the results in the items' order, whatever the number of workers, and the caller's own work."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from sitegen.parallel import MAX_CHUNK, iter_chunks, map_chunks
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


def pid_of(context: object, items: Sequence[int]) -> list[int]:
    return [os.getpid() for _ in items]


def test_a_single_chunk_goes_to_a_worker_when_the_caller_asks_and_has_work_meanwhile() -> None:
    parent = os.getpid()
    meanwhile: list[int] = []
    beside = map_chunks(pid_of, None, [1, 2, 3], 2, meanwhile=lambda: meanwhile.append(os.getpid()), single=True)
    assert meanwhile == [parent]
    assert len(set(beside)) == 1 and beside[0] != parent
    # unasked (serve renders one page beside its job lists), or alone, one chunk is not worth a worker
    assert map_chunks(pid_of, None, [1, 2, 3], 2, meanwhile=lambda: None) == [parent] * 3
    assert map_chunks(pid_of, None, [1, 2, 3], 2) == [parent] * 3


def test_new_templates_compile_in_the_build_while_a_worker_parses_the_content(make_project: MakeProject,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.loading
    from sitegen.pipeline import BuildCache, compile_site
    from sitegen.sources import read_project

    seen: list[tuple[int, bool]] = []
    real = sitegen.loading.map_chunks

    def spied(*args: Any, meanwhile: Callable[[], None] | None = None, **named: Any) -> Any:
        seen.append((len(args[2]), meanwhile is not None))
        return real(*args, meanwhile=meanwhile, **named)

    monkeypatch.setattr(sitegen.loading, "map_chunks", spied)
    root = make_project()
    cache = BuildCache(jobs=2)
    assert compile_site(read_project(root), None, cache).outputs
    (root / "content/jobs/data-intern.en.md").write_text(
        (root / "content/jobs/data-intern.en.md").read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert compile_site(read_project(root), None, cache).outputs
    # the first build had new templates to compile beside the parse; the second (serve's next) had none
    assert seen[0][1] and seen[0][0] > 1
    assert seen[1:] == [(1, False)]
