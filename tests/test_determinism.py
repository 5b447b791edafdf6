"""Output is deterministic, and a cached (serve-mode) rebuild equals a clean build."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.pipeline import BuildCache, build
from tests.conftest import REPO, MakeProject, build_ok, copy_project, make_site, tree


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    build_ok(REPO, tmp_path / "a")
    build_ok(REPO, tmp_path / "b")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    texts = {k: v for k, v in tree(tmp_path / "a").items() if k.endswith((".html", ".xml", ".txt", ".css"))}
    assert texts and all(b"\r\n" not in data for data in texts.values())


def test_a_copied_project_builds_the_same_bytes(tmp_path: Path) -> None:
    build_ok(REPO, tmp_path / "a")
    copy = copy_project(REPO, tmp_path / "copy")
    build_ok(copy, tmp_path / "b")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_rebuild_with_cache_after_edit_equals_clean_build(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    cache = BuildCache()
    assert build(root, tmp_path / "served", cache=cache).ok
    page = root / "content/pages/home.en.md"
    page.write_text(page.read_text().replace("Welcome", "Hello"))
    assert build(root, tmp_path / "served", cache=cache).ok
    assert build(root, tmp_path / "clean").ok
    assert tree(tmp_path / "served") == tree(tmp_path / "clean")
    assert "Hello to Tiny Co." in (tmp_path / "clean/en/index.html").read_text()


EDITABLE = ["content/pages/home.en.md", "content/pages/team.fr.md", "content/jobs/data-intern.en.md",
            "content/people/ada.fr.md", "content/process/call.en.md"]


@settings(max_examples=15, deadline=None)
@given(edits=st.lists(st.tuples(st.sampled_from(EDITABLE),
                                st.text(alphabet="abcdéà «»:;!?*_-#\n", max_size=40)), min_size=1, max_size=4))
def test_incremental_after_random_edits_equals_clean(edits: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        root = make_site(base / "p")
        cache = BuildCache()
        build(root, base / "served", cache=cache)
        for rel, extra in edits:
            path = root / rel
            path.write_text(path.read_text() + "\n" + extra + "\n")
            build(root, base / "served", cache=cache)
        clean = build(root, base / "clean")
        served = build(root, base / "served", cache=cache)
        assert served.problems == clean.problems
        if clean.ok:
            assert tree(base / "served") == tree(base / "clean")


def test_a_one_off_build_streams_the_same_files_as_a_build_that_remembers(tmp_path) -> None:
    """A one-off build (the command line) makes the feeds, the sitemap and the job boards entry by entry as
    they are written; serve's builds keep their entries for the next: the same bytes."""
    from bench.site import make_site as make_big_site
    from sitegen.reuse import Reuse

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 8)
    outputs = {}
    for remember in (True, False):
        cache = BuildCache(reuse=Reuse(remember=remember))
        assert build(root, tmp_path / f"out-{remember}", cache=cache).ok
        outputs[remember] = tree(tmp_path / f"out-{remember}")
    joined = [path for path in outputs[True] if path.endswith((".xml", ".json")) and "schema" not in path]
    assert len(joined) == 5  # two feeds, the sitemap, jobs.json, the Indeed feed
    assert outputs[True] == outputs[False]


def test_parallel_builds_give_the_same_bytes_as_one_worker(tmp_path, monkeypatch) -> None:
    """And the workers write the pages they render themselves: no page's bytes come back to the build's process."""
    import os

    import sitegen.write
    from bench.site import make_site as make_big_site
    from sitegen.pipeline import BuildCache, build
    from sitegen.write import MANIFEST

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 60)  # 120 posting pages and 180 files: enough for both stages to fork workers
    outputs = {}
    placed: list[str] = []  # files given with their bytes to the build's process
    real_place, real_write = sitegen.write.Staging.place, sitegen.write._write_into
    writers = tmp_path / "writers"  # (what a worker does stays in its memory)

    def place(self, file):
        if file.data or file.parts:
            placed.append(file.dest_path)
        return real_place(self, file)

    def write_into(out, tree, file):
        with writers.open("a") as note:
            note.write(f"{os.getpid()} {file.dest_path}\n")
        return real_write(out, tree, file)

    monkeypatch.setattr(sitegen.write.Staging, "place", place)
    monkeypatch.setattr(sitegen.write, "_write_into", write_into)
    for jobs in (1, 2):
        placed.clear()
        writers.unlink(missing_ok=True)
        cache = BuildCache(jobs=jobs)
        assert build(root, tmp_path / f"out-{jobs}", cache=cache).ok
        outputs[jobs] = {p.relative_to(tmp_path / f"out-{jobs}").as_posix(): p.read_bytes()
                         for p in sorted((tmp_path / f"out-{jobs}").rglob("*")) if p.is_file()}
    assert outputs[1] == outputs[2] and len(outputs[1]) > 130
    pages = {path for path in outputs[2] if path.endswith("/index.html") and path.count("/") == 3}  # postings'
    assert len(pages) == 120 and not pages & set(placed)
    written = [line.split(" ", 1) for line in writers.read_text().splitlines()]
    assert {path for pid, path in written if int(pid) != os.getpid()} >= pages
    # rendered again by the workers (no cache) to the same bytes: nothing is linked, the output is left as it was
    folder, links, real_link = (tmp_path / "out-2").stat().st_ino, tmp_path / "links", os.link

    def link(source, target):
        with links.open("a") as note:
            note.write(f"{target}\n")
        real_link(source, target)

    monkeypatch.setattr(os, "link", link)
    manifest = tmp_path / "out-2" / MANIFEST  # without the pages' fingerprints, no page is kept: all render
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join([lines[0], *(f"{line.split(chr(9))[0]}\t\t{line.split(chr(9))[2]}"
                                                for line in lines[1:])]) + "\n")
    rendered = build(root, tmp_path / "out-2", cache=BuildCache(jobs=2))
    assert rendered.ok and rendered.rendered > 130
    assert (tmp_path / "out-2").stat().st_ino == folder and not links.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out-2")) == [".out-2.lock"]



def test_a_one_off_parallel_build_stores_texts_and_descriptions_and_gives_the_same_bytes(tmp_path, monkeypatch) -> None:
    """Its parse workers write each text's compressed HTML to a temporary file, and send where it is: the build's
    process (and the render workers forked from it) never hold it; so do its render workers with the postings'
    descriptions. The files are those of a build on one process."""
    import sitegen.loading
    import sitegen.render
    from bench.site import make_site as make_big_site
    from sitegen.model import Html, Stored
    from sitegen.reuse import Reuse
    from sitegen.spool import Spool

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 60)  # 120 texts among 180 files: the parse forks its workers
    kept: list[Html] = []
    real = Html.kept_in

    def kept_in(*args):  # type: ignore[no-untyped-def]
        kept.append(real(*args))
        return kept[-1]

    placed: list[tuple[str, str]] = []  # the postings' descriptions the render workers wrote to a file
    real_place = Spool.place

    def place(self, key, *where):  # type: ignore[no-untyped-def]
        placed.append(key)
        return real_place(self, key, *where)

    monkeypatch.setattr(sitegen.loading, "STORED_FROM", 100)
    monkeypatch.setattr(Html, "kept_in", kept_in)
    monkeypatch.setattr(Spool, "place", place)
    outputs = {}
    for jobs in (1, 2):
        if jobs == 2:  # and every page encoded in parts, as a big site's home page is
            monkeypatch.setattr(sitegen.render, "BIG_PAGE", 100)
            monkeypatch.setattr(sitegen.render, "PART", 500)
        cache = BuildCache(jobs=jobs, reuse=Reuse(remember=False))
        assert build(root, tmp_path / f"out-{jobs}", cache=cache).ok
        outputs[jobs] = tree(tmp_path / f"out-{jobs}")
    assert outputs[1] == outputs[2]  # (the feeds and job boards, which repeat the descriptions, included)
    assert len(kept) >= 120 and all(isinstance(html._packed, Stored) and str(html) for html in kept)
    assert len(placed) >= 100 and len(set(placed)) == len(placed)
    kept.clear()
    placed.clear()
    cache = BuildCache(jobs=2)  # a build that remembers (serve) keeps its texts in memory
    assert build(root, tmp_path / "out-serve", cache=cache).ok and not kept and not placed
    assert tree(tmp_path / "out-serve") == outputs[1]


def _built_both_ways(root: Path, out: Path, monkeypatch) -> tuple[list[Any], list[Any]]:  # type: ignore[no-untyped-def]
    """Build `root` on one process as a one-off build does, its pages that list every posting made in parts of
    97 characters, then whole; return both results and the pages made in parts."""
    import sitegen.render
    from sitegen.reuse import Reuse
    from tests.conftest import TEST_DAY

    made_in_parts: list[str] = []
    real = sitegen.render._finished_in_parts

    def in_parts(pieces, dest, *args):  # type: ignore[no-untyped-def]
        made_in_parts.append(dest)
        return real(pieces, dest, *args)

    results = []
    with monkeypatch.context() as patch:
        patch.setattr(sitegen.render, "PART", 97)
        patch.setattr(sitegen.render, "_finished_in_parts", in_parts)
        for way in ("parts", "whole"):
            if way == "whole":
                patch.setattr(sitegen.render, "LISTED", "(no variable)")
            cache = BuildCache(jobs=1, reuse=Reuse(remember=False))
            results.append(build(root, out / way, cache=cache, today=TEST_DAY))
    return results, made_in_parts


def test_pages_that_list_every_posting_made_in_parts_are_the_pages_made_whole(tmp_path: Path, monkeypatch) -> None:
    """A big site's home page is made, typeset, checked and encoded a part at a time (never whole, as a string or
    as Jinja's pieces): the real site and a generated one give the same files as when they are made whole."""
    from bench.site import make_site as make_big_site

    generated = tmp_path / "generated"
    generated.mkdir()
    make_big_site(generated, 12)
    for name, root in (("real", REPO), ("generated", generated)):
        (parts, whole), made = _built_both_ways(root, tmp_path / name, monkeypatch)
        assert parts.ok and whole.ok, [str(p) for p in (*parts.problems, *whole.problems)]
        assert {"en/index.html", "fr/index.html"} <= set(made), made
        assert tree(tmp_path / name / "parts") == tree(tmp_path / name / "whole")


def test_a_page_made_in_parts_has_the_problems_of_the_page_made_whole(make_project: MakeProject, tmp_path: Path,
                                                                      monkeypatch) -> None:
    """An id given twice, far apart, and a template that fails half-way are reported as for a page made whole."""
    root = make_project()
    home = root / "templates/home.html"
    text = home.read_text()
    last = text.rindex("{% endblock %}")
    home.write_text(text[:last] + '<p id="twice"></p>' + "{{ ' ' * 300 }}" + '<p id="twice"></p>' + text[last:])
    (parts, whole), made = _built_both_ways(root, tmp_path / "ids", monkeypatch)
    assert "en/index.html" in made
    assert [str(p) for p in parts.problems] == [str(p) for p in whole.problems]
    assert any("has the id 'twice' more than once" in str(p) for p in parts.problems)
    home.write_text(text[:last] + "{{ ' ' * 300 }}{{ 1 // 0 }}" + text[last:])
    (parts, whole), made = _built_both_ways(root, tmp_path / "fails", monkeypatch)
    assert "en/index.html" in made
    assert [str(p) for p in parts.problems] == [str(p) for p in whole.problems]
    assert any("home.html" in str(p) and "division" in str(p) for p in parts.problems), parts.problems
