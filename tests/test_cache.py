"""The build cache: parsed files by content hash and compiled templates, kept outside the project."""

from __future__ import annotations

import base64
import json
import os
import tempfile
import zlib
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from build import main
from sitegen.cache import cache_folder
from sitegen.model import MAX_UNPACKED, BuildResult, Html
from sitegen.packs import Packs, PackWriter
from sitegen.parsestore import _entry_name
from sitegen.pipeline import BuildCache, build
from tests.conftest import MakeProject, tree


def test_cached_builds_give_the_same_bytes(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "cold")]) == 0
    folder = cache_folder(root)
    names = sorted(p.name for p in folder.iterdir())
    assert names[0].startswith("build-") and names[1] == "descriptions-build" and names[2].startswith("parsed-")
    assert names[3].startswith("templates-") and names[4:] == ["templates.json"]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert not (root / ".cache").exists()  # never inside the project
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "warm")]) == 0
    assert main(["--project", str(root), "build", "--no-cache", "--out", str(tmp_path / "none")]) == 0
    assert tree(tmp_path / "cold") == tree(tmp_path / "warm") == tree(tmp_path / "none")


def test_a_build_without_a_cache_keeps_no_description_and_gives_the_same_feeds(
        make_project: MakeProject, tmp_path: Path, monkeypatch) -> None:
    """With --no-cache there is no next build to keep postings' descriptions for: none stays in memory, and a
    build that keeps the previous output's pages makes their descriptions again for the feeds."""
    import sitegen.pipeline
    from sitegen.signed import Discarded

    caches: list[BuildCache] = []
    real = sitegen.pipeline.build
    monkeypatch.setattr(sitegen.pipeline, "build", lambda *a, **k: caches.append(a[3]) or real(*a, **k))
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "cached")]) == 0
    for _ in range(2):  # the second keeps every page of the first
        assert main(["--project", str(root), "build", "--no-cache", "--out", str(tmp_path / "none")]) == 0
    assert tree(tmp_path / "cached") == tree(tmp_path / "none")
    assert isinstance(caches[-1].descriptions, Discarded) and not caches[-1].descriptions
    assert caches[-1].descriptions.get("anything") is None
    caches[-1].descriptions["x"] = "<p>text</p>"
    assert "x" not in caches[-1].descriptions and len(caches[-1].descriptions) == 0


def test_an_edit_is_seen_through_the_cache(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    page = root / "content/pages/home.en.md"
    page.write_text(page.read_text().replace("Welcome", "Hello"))
    template = root / "templates/home.html"
    template.write_text(template.read_text().replace("<h1{{", '<h1 class="edited"{{'))
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    html = (tmp_path / "a/en/index.html").read_text()
    assert "Hello to Tiny Co." in html and 'class="edited"' in html


def entries(folder: Path) -> dict[str, bytes]:
    """Return the entries of a folder's packs by name (the newest of each name)."""
    packs = Packs(folder)
    found = {name: packs.get(name) for name in sorted(packs.names())}
    packs.close()
    assert all(body is not None for body in found.values())
    return found  # type: ignore[return-value]


def parse_files(root: Path) -> dict[str, bytes]:
    """Return the parse cache's entries (one per parsed file), by name."""
    (folder,) = cache_folder(root).glob("parsed-*")
    return entries(folder)


def replace_entry(folder: Path, name: str, body: bytes) -> None:
    """Make the folder's packs one pack with the entry called `name` replaced by `body`."""
    kept = entries(folder)
    for pack in folder.glob("*.pack"):
        pack.unlink()
    Packs(folder).write([(each, body if each == name else data) for each, data in kept.items()])


def test_a_broken_cache_is_ignored(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    whole = parse_files(root)
    assert len(whole) > 10
    (folder,) = cache_folder(root).glob("parsed-*")
    name = next(n for n, data in whole.items() if b"home.en.md" in data)
    entry = json.loads(whole[name])

    def with_html(packed: bytes | str) -> bytes:  # the entry, its text's compressed HTML replaced
        html = packed if isinstance(packed, str) else base64.b64encode(packed).decode()
        return json.dumps({**entry, "html": html}).encode()

    bomb = zlib.compress(b"<p>" + b"a" * (MAX_UNPACKED + 1) + b"</p>", 9)
    for number, broken in enumerate((b"not json", whole[name][: len(whole[name]) // 2], b'{"key": 1}',
                   whole[name].replace(b'"html"', b'"htm"'), whole[next(n for n in whole if n != name)],
                   with_html("<p>not base64</p>"), with_html(b"not compressed"), with_html(bomb),
                   with_html(zlib.compress(b"\xff\xfe not UTF-8")), with_html(zlib.compress(b"<p>x</p>") + b"more"))):
        replace_entry(folder, name, broken)
        fresh = tmp_path / f"b-{number}"  # a new output: a build, not a replay of the last one
        assert main(["--project", str(root), "build", "--out", str(fresh)]) == 0
        assert tree(tmp_path / "a") == tree(fresh)
        assert parse_files(root) == whole  # ignored, then rewritten
    for pack in folder.glob("*.pack"):  # a pack cut short (a full disk, a crash): it has no index to read
        pack.write_bytes(pack.read_bytes()[:-5])
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "c")]) == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "c")
    assert parse_files(root) == whole and len(list(folder.glob("*.pack"))) == 1  # made again; the cut one removed


def test_parses_read_from_the_cache_share_their_parts_as_those_made_by_the_workers(
        make_project: MakeProject, tmp_path: Path) -> None:
    """Field names, paths and positions equal across files are one object, whether a file was parsed now or
    its parse read from the cache (each read as its own, 10,000 postings took four times the memory)."""
    from sitegen.parse import cache_key
    from sitegen.parsestore import ParseStore
    from sitegen.sources import classify, read_project

    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    store = ParseStore(cache_folder(root))
    texts = [parsed for source in read_project(root).content
             if not hasattr(file := classify(source.src_path, ("en", "fr")), "message") and file.kind == "text"
             and (parsed := store[cache_key(file, source)]).data is not None and "title" in parsed.data.value]
    assert len(texts) > 2
    keys = [next(key for key in parsed.data.value if key == "title") for parsed in texts]  # type: ignore[union-attr]
    assert all(key is keys[0] for key in keys)
    paths = [next(path for path in parsed.data.positions if path == ("title",)) for parsed in texts]  # type: ignore[union-attr]
    assert all(path is paths[0] for path in paths)


def test_a_cache_is_data_and_a_foreign_one_is_never_read(make_project: MakeProject, tmp_path: Path) -> None:
    import json

    from sitegen.cache import load_saved
    from sitegen.parse import cache_key
    from sitegen.parsestore import ParseStore
    from sitegen.sources import ContentFile, read_project

    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    folder = cache_folder(root)
    saved = parse_files(root)
    keys = {json.loads(data)["key"][0] for data in saved.values()}
    assert keys >= {"content/_site.yaml", "content/pages/home.en.md"}
    source = next(s for s in read_project(root).content if s.src_path == "content/pages/home.en.md")
    key = cache_key(ContentFile(source.src_path, "text", "pages", "home", "en"), source)
    assert key in ParseStore(folder) and load_saved(folder).template_names
    folder.chmod(0o777)  # writable by others: someone else may have planted it
    assert key not in ParseStore(folder) and not load_saved(folder).template_names
    page = root / "content/pages/home.en.md"
    page.write_text(page.read_text().replace("Welcome", "Hello"))
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    assert "Hello to Tiny Co." in (tmp_path / "a/en/index.html").read_text()
    folder.chmod(0o700)
    assert parse_files(root) == saved  # not written either


def test_a_build_reads_and_writes_only_the_parses_it_needs(make_project: MakeProject, tmp_path: Path) -> None:
    """One entry per parse: an edit writes a pack of one entry; the packs written before are untouched (the old
    entry stays in its pack, never asked for, until the pack holds more such bytes than wanted ones)."""
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    (folder,) = cache_folder(root).glob("parsed-*")
    packs = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    before = parse_files(root)
    page = root / "content/pages/home.en.md"
    page.write_text(page.read_text().replace("Welcome", "Hello"))
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    after = parse_files(root)
    assert set(before) < set(after) and len(set(after) - set(before)) == 1
    assert all(after[name] == before[name] for name in before)
    now = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert {name: now[name] for name in packs} == packs and len(now) == len(packs) + 1
    assert len(entries_of(folder / next(iter(set(now) - set(packs))))) == 1


def entries_of(pack: Path) -> list[tuple[str, int, int]]:
    from sitegen.packs import _read_index

    found = _read_index(pack)
    assert found is not None
    return found


def test_packs_give_the_newest_entry_and_prune_what_is_unwanted(tmp_path: Path) -> None:
    """A name is found in the newest pack that has it; pruning removes the packs with no wanted entry and packs
    the wanted ones anew when more bytes are unwanted than wanted; a half-written pack is never read."""

    packs = Packs(tmp_path)
    packs.write([("a", b"A1"), ("b", b"B1" * 10)])
    packs.write([("a", b"A2"), ("c", b"")])
    (tmp_path / "99999999999999999999-1-0.pack.tmp").write_bytes(b"half")
    assert {name: packs.get(name) for name in packs.names()} == {"a": b"A2", "b": b"B1" * 10, "c": b""}
    assert Packs(tmp_path).get("a") == b"A2" and Packs(tmp_path).get("x") is None
    packs.prune(lambda name: name != "b")  # the first pack has nothing wanted left
    assert sorted(packs.names()) == ["a", "c"] and len(list(tmp_path.glob("*.pack"))) == 1
    packs.write([("c", b"C" * 100)])
    packs.prune(lambda name: name == "a")  # 2 bytes wanted, 100 not: packed anew
    assert [(name, packs.get(name)) for name in packs.names()] == [("a", b"A2")]
    (pack,) = tmp_path.glob("*.pack")
    assert entries_of(pack) == [("a", 0, 2)]
    assert {p.name for p in tmp_path.iterdir()} == {pack.name, "99999999999999999999-1-0.pack.tmp"}  # (not stale)
    pack.write_bytes(pack.read_bytes().replace(b"careers-site pack", b"careers-site pick"))
    assert Packs(tmp_path).get("a") is None  # no mark: not a pack


@given(st.lists(st.text(min_size=1, max_size=6), max_size=40, unique=True), st.integers(min_value=1, max_value=7))
def test_a_packs_index_written_in_parts_reads_as_it_was_written(names: list[str], part: int) -> None:
    """The index is written `INDEX_PART` entries at a time: any number of them, any names, read back the same."""
    with tempfile.TemporaryDirectory() as scratch, mock.patch("sitegen.packs.INDEX_PART", part):
        packs = Packs(Path(scratch))
        packs.write([(name, name.encode("utf-8", "surrogatepass")) for name in names])
        (pack, *others) = Path(scratch).glob("*.pack") if names else (None,)
        assert not others
        if pack is not None:
            again = Packs(Path(scratch))
            assert [name for name, _, _ in entries_of(pack)] == names
            assert all(again.get(name) == name.encode("utf-8", "surrogatepass") for name in names)


def test_a_pack_taken_before_the_index_is_read_is_found_with_the_others(tmp_path: Path) -> None:
    """A pack put in place is added to the index only once that is read (a one-off build never reads it)."""
    Packs(tmp_path).write([("a", b"old"), ("b", b"B")])
    packs = Packs(tmp_path)
    writer = PackWriter(tmp_path)
    writer.add("a", b"new")
    packs.take(writer)
    assert packs.get("a") == b"new" and packs.get("b") == b"B"
    read = Packs(tmp_path)
    read.index()
    writer = PackWriter(tmp_path)
    writer.add("c", b"C")
    read.take(writer)
    assert read.get("c") == b"C" and read.get("a") == b"new"


def test_the_first_save_of_a_parse_store_in_an_empty_folder_looks_for_nothing_to_prune(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every parse on disk is then one that store wrote for the build's files; any later save prunes."""
    from sitegen.parsestore import ParseStore

    pruned: list[bool] = []
    prune = Packs.prune
    monkeypatch.setattr(Packs, "prune", lambda self, wanted: pruned.append(True) or prune(self, wanted))
    root = tmp_path / "project"
    store = ParseStore(root)
    store.save(set())
    assert pruned == []
    store.save(set())
    assert pruned == [True]
    assert store.packs is not None and store.folder is not None
    store.packs.write([("stale", b"{}")])  # a pack on disk: a store made now prunes at its first save
    ParseStore(root).save(set())
    assert pruned == [True, True] and Packs(store.folder).get("stale") is None


def test_only_current_files_stay_in_the_parse_cache(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    cache = BuildCache()
    build(root, tmp_path / "out", cache=cache)
    page = root / "content/pages/home.en.md"
    for word in ("one", "two", "three"):
        page.write_text(page.read_text() + word)
        build(root, tmp_path / "out", cache=cache)
    assert sum(1 for key in cache.parsed if key[0] == "content/pages/home.en.md") == 1


def test_compiled_templates_load_only_when_signed_with_the_users_key(make_project: MakeProject, tmp_path: Path,
                                                                     monkeypatch) -> None:
    from sitegen.signed import template_cache

    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    compiled = sorted(cache_folder(root).glob("templates-*/*.jbc"))
    assert len(compiled) == len(list((root / "templates").rglob("*.html")))  # each written (once sent to the build)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "another-job"))  # a cache restored from elsewhere
    cache = template_cache(cache_folder(root))
    assert cache is not None
    import jinja2

    env = jinja2.Environment(bytecode_cache=cache)
    bucket = cache.get_bucket(env, "base.html", None, (root / "templates/base.html").read_text())
    assert bucket.code is None  # signed with another key: not loaded
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "b")]) == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_compiled_templates_are_kept_for_one_version_of_the_generator(make_project: MakeProject, tmp_path: Path,
                                                                       monkeypatch) -> None:
    """A compiled template holds code of the generator's own `cached` tag: another version never loads it."""
    import sitegen.cache
    import sitegen.signed

    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    (old,) = cache_folder(root).glob("templates-*")
    assert list(old.glob("*.jbc"))
    (cache_folder(root) / "templates").mkdir()  # where versions before this one kept them
    monkeypatch.setattr(sitegen.cache, "stamp", lambda: "another version of careers-site")
    cache = sitegen.signed.template_cache(cache_folder(root))
    assert cache is not None
    import jinja2

    bucket = cache.get_bucket(jinja2.Environment(bytecode_cache=cache), "base.html", None,
                              (root / "templates/base.html").read_text())
    assert bucket.code is None  # compiled by another version: not loaded
    assert [p.name for p in cache_folder(root).glob("templates*") if p.is_dir()] == [cache.folder.name]  # type: ignore[attr-defined]


def test_the_stamp_covers_every_module_and_json_file_of_the_generator_and_each_librarys_version(
        tmp_path: Path, monkeypatch) -> None:
    """The stamp names what a cache must have been written by: every .py and .json file of the package (at
    any depth, __pycache__ aside) and the installed version of each library that shapes the output."""
    import sys
    from importlib import metadata

    import sitegen.cache
    from sitegen.cache import LIBRARIES, _code_files, _versions

    package = Path(sitegen.cache.__file__).parent
    expected = {str(p) for pattern in ("*.py", "*.json") for p in package.rglob(pattern)
                if "__pycache__" not in p.parts}
    assert set(_code_files(package)) == expected and any(p.endswith(".json") for p in expected)
    assert _versions(LIBRARIES) == {name: metadata.version(name) for name in LIBRARIES}
    (tmp_path / "markdown").mkdir()  # a library earlier on the import path, with its own version
    (tmp_path / "markdown-0.1.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert _versions(LIBRARIES)["markdown"] == "0.1"
    fake = tmp_path / "pkg"
    (fake / "sub" / "__pycache__").mkdir(parents=True)
    for name in ("a.py", "sub/b.py", "sub/c.json", "sub/__pycache__/d.py", "e.txt"):
        (fake / name).write_text(name)
    assert [Path(p).relative_to(fake).as_posix() for p in _code_files(fake)] == ["a.py", "sub/b.py", "sub/c.json"]
    big = bytes(range(256)) * 12_289  # three reads of a MiB, and some
    (fake / "big.py").write_bytes(big)
    assert sitegen.cache._read(str(fake / "big.py")) == big and sitegen.cache._read(str(fake / "a.py")) == b"a.py"


def test_posting_descriptions_are_kept_signed_and_pruned(make_project: MakeProject, tmp_path: Path,
                                                         monkeypatch) -> None:
    """Each open posting's description is kept by page fingerprint, signed; an altered or foreign file is
    ignored, and a description no page has any more is removed."""
    from sitegen.signed import description_store

    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    folder = cache_folder(root) / "descriptions-build"
    kept = entries(folder)
    assert len(kept) == 2 and oct(folder.stat().st_mode & 0o777) == "0o700"
    store = description_store(cache_folder(root))
    first = next(name for name, body in kept.items() if b"Count things." in body)  # the other one is French
    french = next(name for name in kept if name != first)
    assert "Count things." in store[first]
    replace_entry(folder, first, kept[first].replace(b"Count things.", b"Evil things."))
    assert first not in description_store(cache_folder(root))  # altered: its signature no longer matches
    replace_entry(folder, first, kept[french])
    assert first not in description_store(cache_folder(root))  # another page's: signed for its own name
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "b")]) == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "another-job"))
    foreign = description_store(cache_folder(root))
    assert len(foreign) == 2 and all(foreign.get(name) is None for name in foreign)  # signed with another key
    monkeypatch.undo()
    posting = next((root / "content/jobs").glob("*.en.md"))
    posting.write_text(posting.read_text() + "\nOne more line.\n")
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    assert len(entries(folder)) == 2  # the old English description is dropped (its pack was mostly unwanted)


def test_a_build_with_nothing_changed_does_nothing(make_project: MakeProject, tmp_path: Path, monkeypatch,
                                                   capsys) -> None:
    """Same inputs, same options, same date, an output as the last build left it: the build reports the
    same result without compiling; anything else (an edit, an option, the date, a touched output file)
    builds again."""
    from sitegen import pipeline

    root, out = make_project(), tmp_path / "out"
    command = ["--project", str(root), "build", "--out", str(out)]
    assert main(command) == 0
    first = capsys.readouterr()
    expected = tree(out)
    compiled: list[str] = []
    real = pipeline.compile_site
    monkeypatch.setattr(pipeline, "compile_site", lambda *a, **k: compiled.append("x") or real(*a, **k))
    assert main(command) == 0
    again = capsys.readouterr()
    assert compiled == [] and tree(out) == expected
    assert again.err == first.err and again.out.split(" in ")[0] == first.out.split(" in ")[0]
    for changed in (["--today", "2026-01-21"], ["--preview"], ["--base-url", "https://jobs.careers-site.test/"],
                    ["--strict", "--base-url", "https://careers-site.test/careers/"]):
        assert main([*command, *changed]) == 0
        assert len(compiled) == 1, changed
        compiled.clear()
        assert main(command) == 0  # back to the first build's options: built again, then recorded
        assert compiled == ["x"] and tree(out) == expected
        compiled.clear()
    (out / "en/index.html").unlink()
    assert main(command) == 0 and compiled == ["x"] and tree(out) == expected
    compiled.clear()
    (out / "fr/index.html").write_text("mine, same size?")
    assert main(command) == 0 and compiled == ["x"] and tree(out) == expected
    compiled.clear()
    page = root / "content/pages/home.en.md"
    page.write_text(page.read_text().replace("Welcome", "Hello"))
    assert main(command) == 0 and compiled == ["x"]
    assert "Hello to Tiny Co." in (out / "en/index.html").read_text()


def test_a_build_with_nothing_to_do_imports_neither_jinja_nor_markdown(make_project: MakeProject,
                                                                        tmp_path: Path) -> None:
    """The command line compares the record before it imports the build: a build with nothing changed reads
    the project and stops (the real site's warm build is then quicker than importing the three libraries)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    root, out = make_project(), tmp_path / "out"
    command = [sys.executable, "-X", "importtime", str(REPO / "build.py"), "--project", str(root), "build",
               "--out", str(out)]
    def imported(run: subprocess.CompletedProcess[str]) -> set[str]:
        return {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}

    first = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "jinja2" in imported(first)
    again = subprocess.run(command, capture_output=True, text=True, check=True)
    assert not imported(again) & {"jinja2", "markdown", "yaml", "jsonschema", "babel", "sitegen.pipeline", "inspect"}
    assert again.stdout.split(" in ")[0] == first.stdout.split(" in ")[0]  # 'built 12 pages (en 5, fr 5)'


def test_a_cold_build_does_not_look_for_a_build_it_would_be_the_same_as(make_project: MakeProject,
                                                                          tmp_path: Path, monkeypatch) -> None:
    """Without a record of a build into its output, a build goes on at once: it computes no digest of its
    inputs to compare. With one, it compares, and does nothing when nothing changed."""
    import sitegen.cli as cli

    compared: list[BuildResult | None] = []
    real = cli.nothing_to_do
    monkeypatch.setattr(cli, "nothing_to_do", lambda *a: compared.append(real(*a)) or compared[-1])
    root = make_project()
    command = ["--project", str(root), "build", "--out", str(tmp_path / "out")]
    assert main(command) == 0 and compared == []
    assert main(command) == 0 and len(compared) == 1 and compared[0] is not None
    assert main([*command, "--no-cache"]) == 0 and len(compared) == 1
    assert main([*command[:-1], str(tmp_path / "elsewhere")]) == 0 and len(compared) == 1  # no record there


def test_a_cache_save_is_taken_at_once_and_written_later(make_project: MakeProject, tmp_path: Path) -> None:
    """serve writes its cache on a thread of its own: what a save writes is what the build had made when it
    was taken, whatever builds run before it is written; saves written in order leave every wanted parse."""
    from sitegen.cli import cache_saver, disk_cache
    from sitegen.pipeline import compile_site
    from sitegen.sources import read_project

    root = make_project()
    cache = disk_cache(root, "serve")
    assert compile_site(read_project(root), None, cache).ok
    cache.current = {(s.src_path, s.digest) for s in read_project(root).content}
    first = cache_saver(root, cache)  # taken: the first build's parses
    text = root / "content/jobs/data-intern.en.md"
    text.write_text(text.read_text("utf-8") + "\nA later line.\n", "utf-8")
    project = read_project(root)
    assert compile_site(project, None, cache).ok  # a build runs before the first save is written
    cache.current = {(s.src_path, s.digest) for s in project.content}
    second = cache_saver(root, cache)
    folder = next(cache_folder(root).glob("parsed-*"), None)
    assert folder is None or not list(folder.glob("*.pack"))  # nothing written yet
    first()
    second()
    saved = parse_files(root)
    current = [saved.get(_entry_name((s.src_path, s.digest, "", None))) for s in project.content]
    assert all(current)  # one parse per file of the project as it is now (and the text's before the edit)
    assert sum("A later line." in entry_html(entry) for entry in current if entry) == 1
    assert len(saved) == len(current) + 1


def entry_html(entry: bytes) -> str:
    """Return the HTML a parse cache's entry holds (compressed, in base64)."""
    return str(Html.from_packed(base64.b64decode(json.loads(entry)["html"])))


@given(st.text())
def test_html_read_from_its_packed_bytes_is_the_same_html(text: str) -> None:
    """A parse read from the cache holds its text's compressed bytes as they were, not compressed again: the
    same HTML, digest and ids as the parse that wrote them."""
    html = Html(text)
    again = Html.from_packed(html.packed)
    assert again == html and again.digest == html.digest and again.ids == html.ids and str(again) == text


def test_a_remembered_store_reads_each_text_once_and_gives_the_default_for_a_missing_one() -> None:
    from sitegen.signed import Remembered

    class Counting(dict):  # type: ignore[type-arg]
        reads = 0

        def __getitem__(self, name: str) -> str:
            Counting.reads += 1
            return super().__getitem__(name)

    store = Remembered(Counting(a="A"))
    found = [store.get("a"), store.get("a"), store["a"], store.get("b"), store.get("b", "?")]
    assert found == ["A", "A", "A", None, "?"]
    assert Counting.reads == 3  # "a" once, "b" twice (a missing text is not remembered)
    store["b"] = "B"
    assert store.get("b") == "B" and Counting.reads == 3


@pytest.mark.parametrize(("many", "jobs", "forks", "aside"), [
    (False, "2", True, "thread"), (True, "2", True, "process"), (True, "1", True, "thread"),
    (True, "2", False, "thread")])
def test_a_build_writes_its_new_parses_while_the_site_is_made(make_project: MakeProject, tmp_path: Path, monkeypatch,
                                                             many: bool, jobs: str, forks: bool, aside: str) -> None:
    """The parse cache is written beside the build once the parse stage is over, not after the build: on a
    thread, or for many parses by a forked process (not with one worker, nor where no process can be forked:
    the thread then). Once the pages are rendered (and the writer is done), every file's parse is on disk,
    and the next build parses nothing. The build holds none of its parses while its pages render (with a
    process writing them) or once they are written (a thread): the site has what the pages need."""
    import gc
    import os
    import threading

    import sitegen.cli as command_line
    import sitegen.loading
    import sitegen.parallel
    import sitegen.pipeline
    from sitegen.parse import Parsed

    root = make_project()
    content = sum(1 for p in (root / "content").rglob("*") if p.is_file())
    monkeypatch.setattr(command_line, "ASIDE", content if many else content + 1)
    if not forks:
        monkeypatch.setattr(sitegen.parallel, "_can_fork", lambda: False)
    seen: list[list[str]] = []
    writers: list[str] = []
    render, load = sitegen.pipeline.render_site, sitegen.pipeline.load_content
    made: set[int] = set()  # the parses the build held (by identity: none is made once the site is)

    def loaded(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = load(*args, **kwargs)
        made.update(id(item) for item in result.parsed)
        return result

    def held() -> set[int]:
        gc.collect()
        return {id(o) for o in gc.get_objects() if isinstance(o, Parsed)} & made

    def spied(*args, **kwargs):  # type: ignore[no-untyped-def]
        if aside == "process":  # the build let go of its parses once the site was made: the writer has its own
            assert made and not held()
        result = render(*args, **kwargs)
        for thread in threading.enumerate():
            if thread.name == "careers-site-cache":
                writers.append("thread")
                thread.join()
        assert not held()  # (a thread lets go of them once they are written)
        if aside == "process":
            return result  # (its end is waited for by the build: the files are looked at below)
        seen.append(sorted(parse_files(root)))
        return result

    monkeypatch.setattr(sitegen.pipeline, "render_site", spied)
    monkeypatch.setattr(sitegen.pipeline, "load_content", loaded)
    from sitegen.parsestore import ParseStore

    parent, write = os.getpid(), ParseStore.write
    monkeypatch.setattr(ParseStore, "write", lambda self, pending: (  # (a forked process's list is its own)
        writers.append("here") if pending[0] and os.getpid() == parent else None, write(self, pending))[1])
    assert main(["--project", str(root), "build", "--jobs", jobs, "--out", str(tmp_path / "a")]) == 0
    if aside == "thread":
        (written,) = seen
        assert len(written) == content  # every file's parse, before the build ends
        assert "here" in writers
    else:
        assert writers == [] and len(parse_files(root)) == content  # written, and not by this process
    parsed: list[int] = []
    chunks = sitegen.loading.map_chunks
    monkeypatch.setattr(sitegen.loading, "map_chunks", lambda task, context, items, *rest, **named: (
        parsed.append(len(items)), chunks(task, context, items, *rest, **named))[1])

    def let_go(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert made and not held()  # the parses read from the cache, or made with none, alike
        return render(*args, **kwargs)

    made.clear()
    monkeypatch.setattr(sitegen.pipeline, "render_site", let_go)
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "c")]) == 0
    assert parsed == []  # every parse found in the cache
    assert main(["--project", str(root), "build", "--no-cache", "--out", str(tmp_path / "b")]) == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b") == tree(tmp_path / "c")


def test_a_one_off_build_reads_content_bytes_again_and_gives_the_same_site(make_project: MakeProject,
                                                                           tmp_path: Path) -> None:
    """The command line lets content files' bytes go once hashed (a big site is not held twice)."""
    from sitegen.sources import SITE_FILE, read_project

    root = make_project()
    light = read_project(root, keep_content=False)
    whole = read_project(root)
    assert [(s.src_path, s.digest) for s in light.content] == [(s.src_path, s.digest) for s in whole.content]
    for source, kept in zip(light.content, whole.content, strict=True):
        assert (source.data == b"") == (source.src_path != SITE_FILE)
        assert source.read() == kept.data
    # the files' own paths are the project's folder, one string for all, and their relative paths
    origins = {id(s.origin) for s in light.content if s.src_path != SITE_FILE}
    assert len(origins) == 1 and light.content[-1].origin == f"{root.absolute()}{os.sep}"
    linked = root / "content/pages/linked.en.md"  # a link inside the project: read again where it leads
    linked.symlink_to(root / "content/pages/home.en.md")
    source = next(s for s in read_project(root, keep_content=False).content if s.src_path.endswith("linked.en.md"))
    assert source.origin == str((root / "content/pages/home.en.md").resolve())
    assert source.read() == (root / "content/pages/home.en.md").read_bytes()
    linked.unlink()
    assert light.templates == whole.templates and light.assets == whole.assets
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    build(root, tmp_path / "b")  # reads every byte once, and keeps them
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_a_file_changed_between_its_hash_and_its_parse_fails_the_build_and_is_not_cached(
        make_project: MakeProject, tmp_path: Path, monkeypatch, capsys) -> None:
    import sitegen.sources

    root = make_project()
    page = root / "content/pages/home.en.md"
    original = page.read_text()
    read = sitegen.sources.read_project

    def then_saved(*args, **kwargs):  # type: ignore[no-untyped-def]
        project = read(*args, **kwargs)
        page.write_text(page.read_text() + "\nA sentence saved meanwhile.\n")
        return project

    monkeypatch.setattr(sitegen.sources, "read_project", then_saved)
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 1
    assert "content/pages/home.en.md: the file changed while the build was reading it (build again" in \
        capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    monkeypatch.setattr(sitegen.sources, "read_project", read)
    page.write_text(original)  # the bytes the failed build hashed: their parse was not kept as a failure
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a/en/index.html").is_file()


def test_a_let_go_file_is_read_again_only_as_the_regular_file_it_was(tmp_path: Path) -> None:
    """Between the hash and the parse, a pipe or a link put in the file's place is not read (nor waited on)."""
    import hashlib
    import os

    from sitegen.model import Source

    path = tmp_path / "post.en.md"
    path.write_bytes(b"# Title\n")
    source = Source("content/pages/post.en.md", b"", hashlib.sha256(b"# Title\n").hexdigest(), str(path))
    assert source.read() == b"# Title\n"
    path.write_bytes(b"# Other\n")
    assert source.read() is None  # changed
    path.unlink()
    assert source.read() is None  # gone
    os.mkfifo(path)
    assert source.read() is None  # a pipe: never opened for a blocking read
    path.unlink()
    (tmp_path / "elsewhere").write_bytes(b"# Title\n")
    path.symlink_to(tmp_path / "elsewhere")
    assert source.read() is None  # a link, even to the same bytes


def test_the_command_line_compiles_new_templates_in_a_worker_before_it_imports_the_build(
        make_project: MakeProject, tmp_path: Path) -> None:
    """A cold build forks a worker that compiles the templates while the build's own modules are imported
    and the content parsed; a warm one loads them from the cache, and forks none."""
    import subprocess
    import sys

    from tests.conftest import REPO

    root = make_project()
    watch_forks = (
        "import os, sys\n"
        "real = os.fork\n"
        "def fork():\n"
        "    heavy = {'sitegen.pipeline', 'markdown', 'yaml', 'babel', 'datetime', 'argparse'}\n"
        "    heavy = sorted(heavy & set(sys.modules))\n"
        "    characters = sys.modules.get('sitegen.characters')\n"
        "    heavy += ['forbidden'] if characters and characters.forbidden.cache_info().currsize else []\n"
        "    shared = sorted({'jinja2', 'sitegen.environment'} & set(sys.modules))\n"
        "    cache = sys.modules.get('sitegen.cache')\n"
        "    shared += ['stamp'] if cache and cache.stamp.cache_info().currsize else []\n"
        "    print('fork after', heavy, 'with', shared, file=sys.stderr, flush=True)\n"
        "    return real()\n"
        "os.fork = fork\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "sys.argv = ['build.py', *sys.argv[1:]]\n"
        "import build\n"
        "sys.exit(build.main())\n"
    )

    def forks(out: Path, *options: str) -> list[str]:
        run = subprocess.run([sys.executable, "-c", watch_forks, "--project", str(root), "build", "--out", str(out),
                              "--jobs", "2", *options], capture_output=True, text=True, check=True)
        return [line for line in run.stderr.splitlines() if line.startswith("fork after")]

    # the templates' worker, before anything heavy, but after what both processes need: imported once
    shared = "fork after [] with ['jinja2', 'sitegen.environment'"
    # a first build: nothing to load from the cache, which the worker opens once it has sent the templates
    assert forks(tmp_path / "cold") == [shared + "]"]
    assert forks(tmp_path / "warm") == []  # the templates come from the cache; a small site parses in-process
    assert forks(tmp_path / "uncached", "--no-cache") == [shared + "]"]  # (no cache: no digest)
    alone = tmp_path / "alone"
    subprocess.run([sys.executable, str(REPO / "build.py"), "--project", str(root), "build", "--out", str(alone),
                    "--jobs", "1", "--no-cache"], capture_output=True, check=True)
    assert tree(tmp_path / "cold") == tree(tmp_path / "warm") == tree(tmp_path / "uncached") == tree(alone)
    page = root / "templates/page.html"
    page.write_text(page.read_text() + "{# edited #}")
    # the others are in the cache: the worker loads them, from the folders the digest names
    assert forks(tmp_path / "edited") == [shared + ", 'stamp']"]


def test_a_first_builds_worker_opens_the_template_cache_only_to_write_what_it_sent() -> None:
    import jinja2

    from sitegen.environment import LaterWrites

    opened: list[object] = []

    class Cache(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.dumped: list[str] = []

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            raise AssertionError("nothing is loaded from a cache with nothing in it")

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.dumped.append(bucket.key)

    def opening() -> Cache:
        opened.append(Cache())
        return opened[-1]

    later = LaterWrites(opening, load=False)
    env = jinja2.Environment(loader=jinja2.DictLoader({"a.html": "{{ 1 }}", "b.html": "b"}),
                             bytecode_cache=later.opened())
    assert env.get_template("a.html").render() == "1" and env.get_template("b.html").render() == "b"
    assert opened == []  # compiled without opening the cache
    later.write()
    assert len(opened) == 1 and len(opened[0].dumped) == 2  # type: ignore[attr-defined]
    nothing = LaterWrites(opening, load=False)
    nothing.opened()
    nothing.write()
    assert len(opened) == 1  # nothing compiled, nothing to write: never opened


def test_the_build_takes_the_templates_the_command_line_started_compiling(
        make_project: MakeProject, tmp_path: Path, monkeypatch) -> None:
    import sitegen.cli as cli
    import sitegen.pipeline
    from sitegen.sources import read_project

    started: list[object] = []
    late: list[object] = []
    real_started, real_late = cli.templates_compiling, sitegen.pipeline.compiling
    monkeypatch.setattr(cli, "templates_compiling", lambda *a: started.append(real_started(*a)) or started[-1])
    monkeypatch.setattr(sitegen.pipeline, "compiling", lambda *a: late.append(a) or real_late(*a))
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "out"), "--jobs", "2"]) == 0
    assert len(started) == 1 and started[0] is not None and late == []
    assert started[0].worker is None  # its result taken, the worker collected
    # a project whose templates changed after the worker started: the build compiles the ones it reads
    page = root / "templates/page.html"
    stale = real_started(cli.make_parser().parse_args(["--project", str(root), "build", "--no-cache"]),
                         read_project(root))
    page.write_text(page.read_text() + "{# changed #}\n")
    cache = BuildCache(jobs=2, compiling=stale)
    assert build(root, tmp_path / "changed", cache=cache).ok
    assert len(late) == 1 and stale.worker is None and cache.compiling is None


def test_processes_that_make_the_signing_key_at_once_all_read_the_same_whole_key(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    """A cold build's template worker and the build itself may both make the key on first use: neither may
    read it half written, or lose its own to the other's (their signatures would never match)."""
    import os

    from sitegen.signed import signing_key

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    gate, opened = os.pipe()  # the processes start together when it closes
    pipes = []
    for _ in range(8):
        read, write = os.pipe()
        if os.fork() == 0:
            os.close(read)
            os.close(opened)
            os.read(gate, 1)
            os.write(write, signing_key() or b"none")
            os._exit(0)
        os.close(write)
        pipes.append(read)
    os.close(gate)
    os.close(opened)
    keys = {os.read(read, 64) for read in pipes}
    for read in pipes:
        os.close(read)
        os.wait()
    assert keys == {signing_key()} and len(signing_key() or b"") == 32
    assert sorted(p.name for p in (tmp_path / "state/careers-site").iterdir()) == ["cache-key"]  # no leftovers


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    | st.dictionaries(st.integers(), inner, max_size=2),
    max_leaves=20,
)


@given(json_values, st.integers(0, 3))
def test_json_in_pieces_is_the_json_of_the_whole(value: object, depth: int) -> None:
    from sitegen.cache import json_pieces

    assert json.loads("".join(json_pieces(value, depth))) == json.loads(json.dumps(value, ensure_ascii=False))


def test_a_record_is_written_a_value_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """A build's record lists every notice (10,000 at N=5000): its text is never whole in memory."""
    import sitegen.cache
    from sitegen.cache import plain_problem, write_json
    from sitegen.model import Problem

    problems = [plain_problem(Problem(f"content/jobs/p{i}.yaml", 1, "no 'pay' ’", "add it", 1, "notice"))
                for i in range(1000)]
    pieces: list[int] = []
    real = sitegen.cache.json_pieces
    monkeypatch.setattr(sitegen.cache, "json_pieces", lambda data, depth: (pieces.append(len(piece)) or piece
                                                                           for piece in real(data, depth)))
    write_json(tmp_path / "record.json", {"key": "k", "problems": problems})
    assert json.loads((tmp_path / "record.json").read_text("utf-8")) == {"key": "k", "problems": problems}
    assert len(pieces) > 1000 and max(pieces) < 100
    # a parse (small, a file's) is written a top-level value at a time: each small value would cost a call
    encoded: list[object] = []
    dumps = json.dumps
    monkeypatch.setattr(json, "dumps", lambda value, **options: encoded.append(value) or dumps(value, **options))
    parse = {"key": "k", "data": {"a": [1, 2, {"b": 3}], "c": "d"}}
    write_json(tmp_path / "parse.json", parse, depth=1)
    assert json.loads((tmp_path / "parse.json").read_text("utf-8")) == parse
    assert encoded == ["key", "k", "data", parse["data"]]


def test_a_description_that_cannot_be_written_loses_only_this_builds_descriptions(tmp_path: Path, monkeypatch) -> None:
    """A full disk while descriptions are written: the pack being written is dropped whole (no entry of it can be
    found at a wrong place), the packs in place stay, and nothing half-written is left."""
    from sitegen.packs import PackWriter
    from sitegen.signed import SignedTexts

    store = SignedTexts(tmp_path, b"k" * 32)
    store["a1"] = "first"
    store.flush()
    real, calls = PackWriter.add, []

    def full(self: PackWriter, name: str, body: bytes) -> None:
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(self, name, body)

    monkeypatch.setattr(PackWriter, "add", full)
    store["b2"] = "second"
    store["c3"] = "third"  # the disk is full
    store["d4"] = "fourth"  # a new pack
    store.flush()
    fresh = SignedTexts(tmp_path, b"k" * 32)
    assert {name: fresh.get(name) for name in ("a1", "b2", "c3", "d4")} == {"a1": "first", "b2": None, "c3": None,
                                                                              "d4": "fourth"}
    assert not list(tmp_path.glob("*.tmp")) and len(list(tmp_path.glob("*.pack"))) == 2


def test_the_descriptions_of_earlier_versions_one_file_each_are_removed(make_project: MakeProject,
                                                                        tmp_path: Path) -> None:
    root = make_project()
    folder = cache_folder(root) / "descriptions-build"
    folder.mkdir(parents=True, mode=0o700)
    (folder / "0123abcd.html").write_bytes(b"x" * 40)  # a signed file, as earlier versions kept each description
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "a")]) == 0
    assert not list(folder.glob("*.html")) and len(entries(folder)) == 2


def test_a_repack_that_cannot_be_written_keeps_the_packs_it_was_made_from(tmp_path: Path, monkeypatch) -> None:
    from sitegen.packs import PackWriter

    packs = Packs(tmp_path)
    packs.write([("a", b"A"), ("b", b"B" * 100)])
    monkeypatch.setattr(PackWriter, "add", lambda self, name, body: (_ for _ in ()).throw(OSError(28, "full")))
    packs.prune(lambda name: name == "a")  # more unwanted bytes than wanted: packed anew, which fails
    assert Packs(tmp_path).get("a") == b"A" and len(list(tmp_path.glob("*.pack"))) == 1
    assert not list(tmp_path.glob("*.tmp"))


@given(st.lists(st.tuples(st.text(min_size=1, max_size=6), st.binary(max_size=20)), min_size=1, max_size=30,
                unique_by=lambda entry: entry[0]),
       st.integers(min_value=1, max_value=40))
def test_a_pack_written_to_be_found_only_in_place_is_the_same_pack(entries: list[tuple[str, bytes]], part: int) -> None:
    """A one-off build's parses go to a pack that keeps no index in memory (each entry's is written to a
    temporary file, copied into the pack when it closes, `LISTING_PART` bytes at a time): the same bytes as a
    pack that keeps one, found by an index read before it is put in place, and by one read after."""
    with tempfile.TemporaryDirectory() as scratch, mock.patch("sitegen.packs.LISTING_PART", part):
        folders = [Path(scratch) / way for way in ("found", "in place")]
        for folder in folders:
            folder.mkdir()
            packs = Packs(folder)
            packs.index()  # (read: the pack's entries join it once it is in place)
            writer = PackWriter(folder, found=folder.name == "found")
            for name, body in entries:
                writer.add(name, body)
            assert writer.read(entries[0][0]) == (entries[0][1] if folder.name == "found" else None)
            packs.take(writer)
            assert all(packs.get(name) == body for name, body in entries)
            packs.close()
        (found, *_), (in_place, *others) = (sorted(folder.glob("*.pack")) for folder in folders)
        assert not others and found.read_bytes() == in_place.read_bytes()
        again = Packs(folders[1])
        assert all(again.get(name) == body for name, body in entries)
        again.close()
        assert not [path for folder in folders for path in folder.iterdir() if path.suffix != ".pack"]
