"""Forked workers: the results in the items' order, whatever the number of workers, and the caller's own work."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sitegen.parallel import iter_chunks


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
