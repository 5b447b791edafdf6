"""Streaming: what a build needs again only at its end waits on disk, not in memory."""

from __future__ import annotations

import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from sitegen.pieces import joined, piece
from sitegen.spool import Spool, Spooled

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
        assert held < 500_000, f"the spool holds {held} bytes for 1.4 million characters"
        assert [spool["fr", str(number)] for number in range(20)] == texts
    finally:
        spool.close()



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


@given(st.lists(st.binary(max_size=300), max_size=40), st.sampled_from([b"\n", b""]))
def test_a_streamed_joined_file_is_the_joined_file_with_the_same_fingerprint(entries: list[bytes],
                                                                             separator: bytes) -> None:
    pieces = [piece(entry) for entry in entries]
    whole = joined("feed.xml", pieces, {}, separator)
    streamed = joined("feed.xml", iter(pieces), {}, separator, streamed=True)
    assert streamed.content == whole.content == separator.join(entries)
    assert streamed.size == whole.size and streamed.fingerprint == whole.fingerprint
    kept = joined("feed.xml", iter(pieces), {"feed.xml": whole.fingerprint}, separator, streamed=True)
    assert kept.kept and kept.data == b"" and not kept.parts


def test_a_streamed_joined_file_is_never_whole_in_memory(monkeypatch) -> None:
    monkeypatch.setattr(Spooled, "PART", 64 * 1024)
    made: list[int] = []

    def entries():  # type: ignore[no-untyped-def]
        for number in range(40):
            made.append(number)
            yield piece(bytes([65 + number % 26]) * 100_000)

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        file = joined("feed.xml", entries(), {}, streamed=True)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert made == list(range(40)) and file.size == 40 * 100_000 + 39
    assert held < 1_000_000, f"{held} bytes held for a 4 MB file"
    assert all(len(part) <= 64 * 1024 for part in file.parts)
    assert b"".join(file.parts) == b"\n".join(bytes([65 + n % 26]) * 100_000 for n in range(40))


def test_a_spooled_file_goes_on_in_memory_when_the_disk_is_full_or_no_file_can_be_made(monkeypatch) -> None:
    import os
    import tempfile

    spooled = Spooled()
    spooled.write(b"first ")

    def no_space(*args: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "pwrite", no_space)
    spooled.write(b"second")
    assert b"".join(spooled) == b"first second" and spooled.size == 12
    monkeypatch.undo()

    def refused() -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    spooled = Spooled()
    spooled.write(b"only ")
    spooled.write(b"")
    spooled.write(b"in memory")
    assert list(spooled) == [b"only in memory"] and spooled.size == 14 and spooled.read(5, 2) == b"in"


def test_a_spooled_file_is_written_out_a_few_megabytes_at_a_time(monkeypatch, tmp_path) -> None:
    from sitegen.model import OutputFile
    from sitegen.write import WRITE_BYTES, write_file

    monkeypatch.setattr(Spooled, "PART", 64 * 1024)
    spooled = Spooled()
    for number in range(12):
        spooled.write(bytes([65 + number]) * (1 << 20))
    file = OutputFile("feed.xml", b"", "joined:x", parts=spooled)
    tracemalloc.start()
    try:
        write_file(tmp_path / "feed.xml", file)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (tmp_path / "feed.xml").read_bytes() == b"".join(bytes([65 + n]) * (1 << 20) for n in range(12))
    assert peak < WRITE_BYTES + 2 * Spooled.PART + 1_000_000, f"{peak} bytes at once for a 12 MB file"
    spooled.close()


def test_where_the_system_has_no_positioned_writes_a_spool_holds_its_bytes_in_memory(monkeypatch) -> None:
    import os

    monkeypatch.delattr(os, "pwrite")
    spooled = Spooled()
    spooled.write(b"ab")
    spooled.write(b"cd")
    assert list(spooled) == [b"abcd"] and spooled.read(1, 2) == b"bc"
    spool: Spool[str] = Spool()
    spool["x"] = "été"
    assert spool["x"] == "été"


def test_bytes_appended_to_a_shared_file_by_forked_processes_are_read_back_where_each_was_told() -> None:
    """Each addition takes the file's end under a lock: two processes appending at once never overlap."""
    import ast
    import itertools
    import os

    from sitegen.spool import Shared

    shared = Shared()
    reading, writing = os.pipe()
    children = []
    for name in (b"a", b"b"):
        pid = os.fork()
        if pid == 0:  # a child: 200 additions of different lengths, where each went written to the pipe
            try:
                places = [(shared.append(name * (n % 50 + 1)), n % 50 + 1) for n in range(200)]
                os.write(writing, repr((name, places)).encode() + b"\n")
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    os.close(writing)
    with os.fdopen(reading) as told:
        reports = [ast.literal_eval(line) for line in told]
    assert len(reports) == 2
    seen = []
    for name, places in reports:
        for offset, length in places:
            assert shared.read(offset, length) == name * length
            seen.append((offset, offset + length))
    seen.sort()
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(seen))  # no overlap
    assert shared.append(b"here") == seen[-1][1] and shared.read(seen[-1][1], 4) == b"here"
    shared.close()


def test_a_parse_worker_that_cannot_write_the_texts_sends_them_back(monkeypatch) -> None:
    from sitegen.loading import _stored
    from sitegen.model import Html
    from sitegen.spool import Shared

    parses = [(None, Html("<p>un texte</p>"), (), "", ()), (None, Html(""), (), "", ())]
    shared = Shared()
    stored = _stored(parses, shared)
    assert stored[1] == parses[1]  # (nothing to store)
    offset, length, digest, ids = stored[0][1]
    assert Html.kept_in(shared, offset, length, digest, ids) == parses[0][1]

    def full(self, data):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Shared, "append", full)
    assert _stored(parses, shared) == parses
    shared.close()


def test_a_render_worker_that_cannot_write_the_descriptions_sends_them_back(monkeypatch) -> None:
    from sitegen.render import _stored_descriptions
    from sitegen.spool import Shared

    results = [([], [], ("fr", "poste", "<p>Un « poste » à Paris\u202f!</p>", "f1"), "f1"),
               ([], [], None, "f2"), ([], [], ("en", "kept", None, "f3"), "f3")]
    shared, spool = Shared(), Spool()
    stored = _stored_descriptions(results, shared)
    assert stored[1:] == results[1:]  # (no description, or a kept page's)
    lang, key, where, fingerprint = stored[0][2]
    spool.place((lang, key), shared, *where)
    assert spool[lang, key] == results[0][2][2] and fingerprint == "f1" and list(spool) == [("fr", "poste")]

    def full(self, data):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Shared, "append", full)
    assert _stored_descriptions(results, shared) == results
    shared.close()
    spool.close()


PAGE_PIECES = ['<img src="/assets/a.png" alt="a>b">', '<link rel="stylesheet" href="/assets/s.css">', "<p>", "</p>",
               '<a href="/assets/a.png">', '<img src="/assets/a.png" width="3">', '<p title=">">', "é’\u202f« x »",
               ">", "\n", '="/assets/a.png"', ' href="/assets/z.css"', '<img src="/assets/s.css">', "<img\nsrc=x>",
               ' src="/assets/a.png#x"', '<a href=">/assets/s.css">', "<", "=", '"', ' href="/assets/a.png', "\n\n"]


@given(st.lists(st.sampled_from(PAGE_PIECES), max_size=60).map("".join), st.integers(min_value=1, max_value=40))
def test_a_big_page_encoded_a_part_at_a_time_is_the_page_rewritten_and_encoded(html: str, part: int) -> None:
    """A big site's home page is encoded and has its asset links rewritten a part at a time, each ending after a
    tag: the same bytes as the whole page rewritten, ending with one newline, and encoded."""
    import sitegen.render
    from sitegen.context import Helpers

    helpers = Helpers("/", "https://jobs.example.org/", {"a.png": (10, 20), "s.css": None},
                      {"a.png": "a.0123abcd.png", "s.css": "s.4567ef01.css"}, {})
    whole = helpers.rewrite_assets(html).rstrip("\n") + "\n"
    default = sitegen.render.PART
    sitegen.render.PART = part
    try:
        parts = sitegen.render._encoded_parts(html, helpers)
    finally:
        sitegen.render.PART = default
    assert b"".join(parts) == whole.encode("utf-8")
    assert b"".join(sitegen.render._encoded_parts(html, None)) == (html.rstrip("\n") + "\n").encode("utf-8")


@given(st.lists(st.tuples(KEYS, st.text(), st.sampled_from([None, 0, 1])), max_size=30))
def test_a_spool_reads_back_texts_of_its_own_file_and_of_other_files_mixed(
        writes: list[tuple[tuple[str, str], str, int | None]]) -> None:
    """Where each text is is one number (its file, offset and length): texts written here and texts other
    processes wrote to two other files, mixed and written again under a key, read back as the last written."""
    from sitegen.spool import Shared

    others, spool, expected = [Shared(), Shared()], Spool(), {}
    try:
        for key, text, other in writes:
            if other is None:
                spool[key] = text
            else:
                data = text.encode("utf-8")
                spool.place(key, others[other], others[other].append(data), len(data))
            expected[key] = text
        assert dict(spool) == expected
    finally:
        spool.close()
        for shared in others:
            shared.close()
