"""Streaming: what a build needs again only at its end waits on disk, not in memory."""

from __future__ import annotations

import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from sitegen.spool import Lazily, Spool

KEYS = st.tuples(st.sampled_from(["en", "fr"]), st.text(max_size=5))


@given(st.lists(st.tuples(KEYS, st.text()), max_size=30))
def test_a_spool_reads_back_what_was_written_last_under_each_key(writes: list[tuple[tuple[str, str], str]]) -> None:
    spool, expected = Spool(), {}
    try:
        for key, text in writes:
            spool[key] = text
            expected[key] = text
        assert dict(spool) == expected
        assert len(spool) == len(expected)
        assert all(key in spool for key in expected)
        assert ("de", "") not in spool and spool.get(("de", "")) is None
    finally:
        spool.close()
    assert len(spool) == 0


def test_a_spool_keeps_its_texts_out_of_memory() -> None:
    spool = Spool()
    texts = [f"<p>Poste n° {n} : à Paris\u202f!</p>" * 2_000 for n in range(20)]  # 20 × 70,000 characters
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number, text in enumerate(texts):
            spool["fr", str(number)] = text
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    try:
        assert held < 50_000, f"the spool holds {held} bytes for 1.4 million characters"
        assert [spool["fr", str(number)] for number in range(20)] == texts
    finally:
        spool.close()



def test_lazily_makes_each_value_when_it_is_read_and_keeps_none() -> None:
    made: list[int] = []

    def make(item: int) -> str:
        made.append(item)
        return str(item * 2)

    values = Lazily(make, [1, 2, 3])
    assert made == [] and len(values) == 3
    assert list(zip([10, 20, 30], values, strict=True)) == [(10, "2"), (20, "4"), (30, "6")]
    assert values[1] == "4" and values[1:] == ["4", "6"]
    assert made == [1, 2, 3, 2, 2, 3]  # read twice, made twice: nothing is held


def test_a_spool_keeps_its_texts_in_memory_when_no_temporary_file_can_be_made_or_written(monkeypatch) -> None:
    import os
    import tempfile

    def refused() -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    spool: Spool[str] = Spool()
    spool["a"] = "première"
    spool["b"] = "seconde"
    assert dict(spool) == {"a": "première", "b": "seconde"} and "a" in spool and len(spool) == 2
    monkeypatch.undo()

    full = Spool()
    full["a"] = "première"

    def no_space(*args: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "pwrite", no_space)
    full["b"] = "seconde"
    assert dict(full) == {"a": "première", "b": "seconde"}
    full.close()
