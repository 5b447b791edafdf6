"""Incremental builds: after any edit, keeping unchanged pages gives the same bytes as a clean build."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.site import make_site as make_big_site
from sitegen.pipeline import BuildCache, build
from tests.conftest import served_site, tree


def replace_in(path: Path, pattern: str, new: str) -> None:
    text = path.read_text("utf-8")
    changed = re.sub(pattern, new, text, count=1, flags=re.M)
    assert changed != text, (path, pattern)
    path.write_text(changed, "utf-8")


Edit = Callable[[Path, random.Random], None]
EDITS: dict[str, Edit] = {
    "posting text": lambda root, rng: replace_in(root / f"content/jobs/posting-{rng.randrange(6):05d}.en.md",
                                                 r"^## (.*)$", rf"## \1 {rng.randrange(1000)}"),
    "posting title": lambda root, rng: replace_in(root / f"content/jobs/posting-{rng.randrange(6):05d}.fr.md",
                                                  r"^title: (.*)$", rf"title: \1 {rng.randrange(1000)}"),
    "posting facts": lambda root, rng: replace_in(root / f"content/jobs/posting-{rng.randrange(6):05d}.yaml",
                                                  r"^duration_months: \d+$", f"duration_months: {rng.randrange(1, 7)}"),
    "posting date": lambda root, rng: replace_in(root / f"content/jobs/posting-{rng.randrange(6):05d}.yaml",
                                                 r"^date_posted: .*$",
                                                 f"date_posted: 2026-0{rng.randrange(1, 9)}-1{rng.randrange(10)}"),
    "person role": lambda root, rng: replace_in(root / "content/people/dawn.en.md", r"^role: (.*)$",
                                                rf"role: \1 {rng.randrange(1000)}"),
    "step title": lambda root, rng: replace_in(root / "content/process/team-interview.fr.md", r"^title: (.*)$",
                                               rf"title: \1 {rng.randrange(1000)}"),
    "ui string": lambda root, rng: replace_in(root / "content/_strings.en.yaml", r"^apply_now: (.*)$",
                                              f"apply_now: Apply {rng.randrange(1000)}"),
    "template": lambda root, rng: replace_in(root / "templates/posting.html", r"<article",
                                             f'<article data-edit="{rng.randrange(1000)}"'),
    "site name": lambda root, rng: replace_in(root / "content/_site.yaml", r"^name: (.*)$",
                                              f"name: Careers {rng.randrange(1000)}"),
    "stylesheet": lambda root, rng: (root / "assets/style.css").write_text(
        (root / "assets/style.css").read_text() + f"\n/* {rng.randrange(1000)} */\n"),
    "page text": lambda root, rng: replace_in(root / "content/pages/team.fr.md", r"^title: (.*)$",
                                              rf"title: \1 {rng.randrange(1000)}"),
}


def test_incremental_builds_equal_clean_builds_after_random_edits(tmp_path: Path) -> None:
    root, out = tmp_path / "site", tmp_path / "out"
    root.mkdir()
    make_big_site(root, 6)
    cache = BuildCache()
    assert build(root, out, cache=cache).ok
    rng = random.Random(20261129)
    for round_ in range(14):
        name = rng.choice(sorted(EDITS))
        EDITS[name](root, rng)
        incremental = build(root, out, cache=cache)
        assert incremental.ok, name
        clean = build(root, tmp_path / f"clean-{round_}", cache=BuildCache())
        assert tree(out) == tree(tmp_path / f"clean-{round_}"), f"after editing the {name}"
        assert incremental.rendered <= clean.rendered


@pytest.mark.parametrize(("edit", "expected"), [
    ("posting text", {"en/jobs/posting-00001/index.html"}),
    ("person role", None),  # every English page that shows Dawn: postings and the team page
])
def test_an_edit_renders_only_the_pages_that_depend_on_it(tmp_path: Path, edit: str,
                                                          expected: set[str] | None) -> None:
    root, out = tmp_path / "site", tmp_path / "out"
    root.mkdir()
    make_big_site(root, 6)
    assert build(root, out).ok
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
    rng = random.Random(3)  # picks posting 1 for the text edit
    EDITS[edit](root, rng)
    result = build(root, out)
    changed = {p.relative_to(out).as_posix() for p in out.rglob("*.html") if p.stat().st_mtime_ns != before.get(p)}
    if expected is not None:
        # rendered: the posting, the home page that lists it (same bytes), and the two root pages (always)
        assert changed == expected and result.rendered == 4
    else:
        assert "en/team/index.html" in changed and not any(c.startswith("fr/") for c in changed)
        assert len(changed) <= result.rendered - 2 < result.page_count / 2  # the home page lists postings too


def test_a_one_off_build_makes_what_a_language_gives_a_template_once_a_page_needs_it(tmp_path: Path,
                                                                                     monkeypatch) -> None:
    """A one-off build makes each language's digest for a template when a page first needs it (on a worker), once:
    its pages' fingerprints are those made from the digests made all at once (as serve makes them)."""
    import sitegen.render
    from sitegen.reuse import Reuse

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 3)
    made: list[tuple[str, str]] = []

    class Counted(sitegen.render.Lazily):
        def __init__(self, keys: list[tuple[str, str]], make: Callable[[str, str], str]) -> None:
            super().__init__(keys, lambda lang, template: made.append((lang, template)) or make(lang, template))

    monkeypatch.setattr(sitegen.render, "Lazily", Counted)
    lazily = build(root, tmp_path / "lazily", cache=BuildCache(jobs=1, reuse=Reuse(remember=False)))
    assert lazily.ok and len(made) == len(set(made)) and {("en", "home.html"), ("fr", "posting.html")} <= set(made)
    eager = sitegen.render._language_digests
    monkeypatch.setattr(sitegen.render, "_language_digests", lambda *args, lazily: eager(*args))
    at_once = build(root, tmp_path / "at-once", cache=BuildCache(jobs=1, reuse=Reuse(remember=False)))
    fingerprints = [{o.dest_path: o.fingerprint for o in result.outputs} for result in (lazily, at_once)]
    assert fingerprints[0] == fingerprints[1] and sum(map(bool, fingerprints[0].values())) >= lazily.page_count


def test_feeds_sitemap_and_boards_an_edit_leaves_alone_are_kept(tmp_path: Path) -> None:
    """A joined file (feed, sitemap, jobs.json, Indeed feed) whose entries did not change is neither joined
    nor written again; the one whose entry changed is, and both are what a clean build writes."""
    root, out = tmp_path / "site", tmp_path / "out"
    root.mkdir()
    make_big_site(root, 6)
    assert build(root, out).ok
    before = {path: (out / path).stat().st_mtime_ns for path in ("en/jobs.xml", "fr/offres.xml", "sitemap.xml")}
    EDITS["posting text"](root, random.Random(3))  # the English text of posting 1: its description
    result = build(root, out)
    kept = {o.dest_path for o in result.outputs if o.kept}
    joined = {o.dest_path: o.fingerprint for o in result.outputs if o.fingerprint.startswith("joined:")}
    assert set(joined) == {"en/jobs.xml", "fr/offres.xml", "sitemap.xml", "jobs.json", "jobs-indeed.xml"}
    assert {"fr/offres.xml", "sitemap.xml", "jobs.json", "jobs-indeed.xml"} <= kept  # Indeed: French, in France
    assert "en/jobs.xml" not in kept
    assert (out / "fr/offres.xml").stat().st_mtime_ns == before["fr/offres.xml"]
    assert (out / "en/jobs.xml").stat().st_mtime_ns != before["en/jobs.xml"]
    assert build(root, tmp_path / "clean").ok
    assert tree(out) == tree(tmp_path / "clean")


def test_a_hand_edited_output_file_is_rebuilt(tmp_path: Path) -> None:
    root, out = tmp_path / "site", tmp_path / "out"
    root.mkdir()
    make_big_site(root, 2)
    assert build(root, out).ok
    page = out / "en/team/index.html"
    expected = page.read_bytes()
    page.write_bytes(expected + b"<!-- mine -->")
    assert build(root, out).ok
    assert page.read_bytes() == expected


def sources(root: Path) -> dict[str, bytes]:
    """Return the project's input files by path below `root`."""
    return {path: data for path, data in tree(root).items() if path.split("/")[0] in ("content", "templates", "assets")}


def test_serve_rebuilds_in_place_equal_clean_builds_after_random_edits(tmp_path: Path) -> None:
    """serve reads only the files the watcher names and rewrites only what differs in its preview folder;
    after every edit (files added, removed, broken and mended too) the folder is byte for byte a clean build."""
    from sitegen.serve import Preview, make_rebuilder

    root, out = tmp_path / "site", tmp_path / "preview"
    root.mkdir()
    make_big_site(root, 6)
    preview, results = Preview(out), []
    rebuild = make_rebuilder(root, preview, "http://127.0.0.1:8000/", lambda result, _: results.append(result))
    assert rebuild(None).ok

    def add_posting(root: Path, rng: random.Random) -> None:
        number = rng.randrange(100, 200)
        for suffix in (".yaml", ".en.md", ".fr.md"):
            text = (root / f"content/jobs/posting-00002{suffix}").read_text("utf-8")
            text = text.replace("slug: stage-00002", f"slug: stage-{number:05d}")
            (root / f"content/jobs/posting-{number:05d}{suffix}").write_text(text, "utf-8")

    def remove_posting(root: Path, rng: random.Random) -> None:
        for path in sorted((root / "content/jobs").glob("posting-00[1-9]*.*")) or []:
            path.unlink()

    edits: dict[str, Edit] = {**EDITS, "new posting": add_posting, "removed posting": remove_posting}
    rng = random.Random(20261130)
    for round_ in range(16):
        name = {0: "new posting", 8: "removed posting"}.get(round_) or rng.choice(sorted(edits))
        before = sources(root)
        edits[name](root, rng)
        if round_ == 5:  # a mistake first: the preview shows it, and the folder is left as it was
            broken = root / "content/jobs/posting-00003.yaml"
            good = broken.read_text()
            broken.write_text(good.replace("contract: internship", "contract: [unclosed"))
            assert not rebuild({str(broken)}).ok and preview.failed
            broken.write_text(good)
        if round_ == 11:  # a link to no page: found once the changed pages are written, which are then redone
            text = root / "content/jobs/posting-00003.en.md"
            good = text.read_text()
            text.write_text(good + "\nSee [the team](/en/nowhere/).\n")
            failed = rebuild({str(text)})
            assert not failed.ok and preview.failed
            assert any("/en/nowhere/" in problem.message for problem in failed.errors), failed.errors
            text.write_text(good)
        now = sources(root)
        changed = {str(root / path) for path in set(before) | set(now) if before.get(path) != now.get(path)}
        changed.add(str(root / "content/jobs/posting-00003.yaml"))  # a save that changes nothing is harmless
        changed.add(str(root / "content/jobs/posting-00003.en.md"))  # (and the mistakes above were saves too)
        result = rebuild(changed)
        assert result.ok and not preview.failed, (name, result.errors)
        clean = build(root, tmp_path / f"clean-{round_}", "http://127.0.0.1:8000/", BuildCache(), live=True)
        assert tree(out) == tree(tmp_path / f"clean-{round_}"), f"after the edit '{name}'"
        assert result.rendered <= clean.rendered


@pytest.mark.parametrize("seed", [1, 2, 4, 5, 6, 8])
def test_serve_assembly_after_edits_equals_a_fresh_one(tmp_path: Path, seed: int) -> None:
    """serve regroups only the files a save changed, and finds unchanged pages by identity: the site and
    its problems are those a fresh assembly makes, whatever the edits (a moved key, a duplicate text)."""
    from sitegen.assemble import assemble_site
    from sitegen.loading import load_content
    from sitegen.reuse import Reuse
    from sitegen.sources import read_project
    from tests.conftest import TEST_DAY

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 6)
    edits: dict[str, Edit] = {
        **EDITS,
        "translation key": lambda root, rng: replace_in(
            root / f"content/jobs/posting-{rng.randrange(6):05d}.fr.md", r"^title:",
            f"translation_key: posting-{rng.randrange(6):05d}\ntitle:"),
    }
    cache, reuse, rng = BuildCache(), Reuse(), random.Random(seed)

    def assembled(reuse: Reuse) -> tuple[object, list[object]]:
        loaded = load_content(read_project(root), None, cache)
        assert not isinstance(loaded, list)
        return assemble_site(loaded.parsed, loaded.config, {}, TEST_DAY, reuse=reuse)

    assembled(reuse)
    for _ in range(12):
        name = rng.choice(sorted(edits))
        edits[name](root, rng)
        site, problems = assembled(reuse)
        reuse.turn()
        fresh_site, fresh_problems = assembled(Reuse(remember=False))
        assert site == fresh_site, name
        assert sorted(map(str, problems)) == sorted(map(str, fresh_problems)), name


def test_a_save_that_changes_one_text_assembles_only_its_page(tmp_path: Path, monkeypatch) -> None:
    """serve patches the last assembly when a save changed texts only: their pages are made again, no other,
    and the site is the one a fresh assembly makes. A change of address assembles everything again."""
    from sitegen import assemble
    from sitegen.loading import load_content
    from sitegen.reuse import Reuse
    from sitegen.sources import read_project
    from tests.conftest import TEST_DAY

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 6)
    cache, reuse = BuildCache(), Reuse()

    def assembled(reuse: Reuse) -> tuple[object, list[object]]:
        loaded = load_content(read_project(root), None, cache)
        assert not isinstance(loaded, list)
        return assemble.assemble_site(loaded.parsed, loaded.config, {}, TEST_DAY, reuse=reuse)

    assembled(reuse)
    reuse.turn()
    made: list[str] = []
    whole: list[bool] = []
    real, real_linking = assemble._make_page, assemble.with_alternates
    monkeypatch.setattr(assemble, "_make_page", lambda config, lang, key, *rest: made.append(f"{lang} {key}")
                        or real(config, lang, key, *rest))
    monkeypatch.setattr(assemble, "with_alternates", lambda *args: whole.append(True) or real_linking(*args))
    for edit, pattern, new, patched in (
        ("posting-00002.en.md", r"^## (.*)$", r"## \1 again", True),
        ("posting-00002.fr.md", r"^description: (.*)$", r"description: \1 Encore.", True),
        ("posting-00003.fr.md", r"^title:", "slug: autre-adresse\ntitle:", False),  # an address changed
        ("posting-00004.en.md", r"^## (.*)$", r"## \1 again", True),
    ):
        replace_in(root / "content/jobs" / edit, pattern, new)
        site, problems = assembled(reuse)
        reuse.turn()
        lang, key = edit.split(".")[1], "jobs/" + edit.split(".")[0]
        assert made == [f"{lang} {key}"] if patched else f"{lang} {key}" in made, edit
        assert whole == ([] if patched else [True]), edit
        made.clear()
        whole.clear()
        fresh_site, fresh_problems = assembled(Reuse(remember=False))
        made.clear()
        whole.clear()
        assert site == fresh_site and sorted(map(str, problems)) == sorted(map(str, fresh_problems)), edit


def test_serve_keeps_only_the_parses_and_descriptions_of_what_the_site_has_now(tmp_path: Path) -> None:
    """After each save, serve's cache holds the parse of every file the project has, and no other, and
    the description of every open posting's page as it is now, and no other."""
    from sitegen.parse import Parsed
    from sitegen.serve import Preview, make_rebuilder
    from sitegen.sources import read_project
    from sitegen.write import kept_fingerprints

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 6)
    cache = BuildCache()
    preview = Preview(tmp_path / "preview")
    rebuild = make_rebuilder(root, preview, "http://127.0.0.1:8000/", lambda result, _: None, cache=cache)
    assert rebuild(None).ok
    rng = random.Random(2)
    for name in ["posting text", "posting title", "posting text", "posting facts", "page text", "posting text"]:
        EDITS[name](root, rng)
        changed = {str(root / path) for path, data in sources(root).items()}
        assert rebuild(changed).ok, name
        project = read_project(root)
        pairs = {(s.src_path, s.digest) for s in project.content}
        assert {key[:2] for key in cache.parsed} == pairs and cache.current == pairs, name  # the saver prunes by it
        assert all(isinstance(item, Parsed) for item in cache.parsed.values())
        postings = {path: fingerprint for path, fingerprint in kept_fingerprints(preview.out).items()
                    if path.startswith(("en/jobs/", "fr/offres/")) and path.endswith("/index.html")}
        assert len(postings) == 12 and set(cache.descriptions) == set(postings.values()), name


def test_a_refreshed_project_is_the_project_read_again(tmp_path: Path) -> None:
    """serve reads again only the files a save names: whatever came, went or changed (a file saved where it
    was is put back in its place, found by bisection), the project is what reading it all again gives, in
    the same order, among names that sort differently whole and folder by folder ('a/b' before 'a-b')."""
    from sitegen.sources import read_project, refresh_project

    root = tmp_path / "site"
    names = ["content/a.md", "content/a-b.md", "content/a/b.md", "content/a/c/d.md", "content/a b.md",
             "content/B.md", "content/b.md", "content/z/a.md", "content/é.md", "templates/base.html",
             "templates/_partials/a.html", "templates/a-z.html", "assets/site.css", "assets/a/b.css"]
    for name in names[::2]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name, "utf-8")
    project, rng = read_project(root), random.Random(3)
    assert not project.problems
    for step in range(120):
        name = rng.choice(names)
        path = root / name
        if path.exists() and rng.random() < 0.25:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{name} {step}", "utf-8")
        changed = {str(path)} | ({str(root / rng.choice(names))} if rng.random() < 0.2 else set())
        project = refresh_project(root, project, changed)
        assert project == read_project(root), (step, name)


@given(st.integers(0, 300), st.sets(st.integers(0, 299)))
def test_the_places_of_the_files_a_save_changed_are_those_holding_other_objects(length: int, saved: set[int]) -> None:
    from sitegen.reuse import other_places

    old = [object() for _ in range(length)]
    new = [object() if index in saved else item for index, item in enumerate(old)]
    assert other_places(new, old) == sorted(index for index in saved if index < length)


def test_serve_gathers_again_only_the_parses_a_save_made_and_equals_a_fresh_load(tmp_path: Path,
                                                                              monkeypatch) -> None:
    """serve patches the parses it gathered last time with those a save made; whatever the edits (a broken
    file, a fixed one, a UI string, a new file), what it loads is what a fresh load gives."""
    from sitegen import loading
    from sitegen.loading import load_content
    from sitegen.sources import read_project, refresh_project

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 6)
    broken = root / "content/jobs/posting-00003.fr.md"
    original = broken.read_text("utf-8")
    edits: dict[str, Edit] = {
        **EDITS,
        "break yaml": lambda root, rng: broken.write_text(original.replace("title:", "title: [", 1), "utf-8"),
        "fix yaml": lambda root, rng: broken.write_text(original + f"\n{rng.randrange(1000)}\n", "utf-8"),
        "new page": lambda root, rng: (root / f"content/pages/new-{rng.randrange(1000)}.en.md").write_text(
            "---\ntitle: New\ndescription: A new page.\n---\nText.\n", "utf-8"),
        "renamed page": lambda root, rng: next(root.glob("content/pages/*.en.md")).rename(
            root / f"content/pages/a-{rng.randrange(1000)}.en.md"),  # as many files, in other places
    }
    cache, rng = BuildCache(), random.Random(11)
    patched: list[bool] = []
    real = loading._regathered
    monkeypatch.setattr(loading, "_regathered", lambda *args: patched.append(bool(found := real(*args))) or found)
    project = read_project(root)
    load_content(project, None, cache)
    names = sorted(edits) * 2
    rng.shuffle(names)
    for name in names:
        before = sources(root)
        edits[name](root, rng)
        after = sources(root)
        project = refresh_project(root, project, {str(root / path) for path in set(before) | set(after)
                                                  if before.get(path) != after.get(path)})
        loaded, fresh = load_content(project, None, cache), load_content(project, None, BuildCache())
        assert not isinstance(loaded, list) and not isinstance(fresh, list), name
        assert loaded.parsed == fresh.parsed and loaded.catalogues == fresh.catalogues, name
        assert sorted(map(str, loaded.problems)) == sorted(map(str, fresh.problems)), name
    assert True in patched and False in patched  # both ways were taken


def test_a_text_save_patches_the_feeds_sitemap_and_job_boards(tmp_path: Path, monkeypatch) -> None:
    """serve patches the last feeds, sitemap, jobs.json and Indeed feed with the entries of the pages a text
    save changed, unless a page's date went back from the latest (a file whose head shows it is then made
    whole); after every save the preview folder is byte for byte a clean build."""
    from sitegen import boards, sitemap
    from sitegen.serve import Preview, make_rebuilder

    root, out = tmp_path / "site", tmp_path / "preview"
    root.mkdir()
    make_big_site(root, 6)
    rebuild = make_rebuilder(root, Preview(out), "http://127.0.0.1:8000/", lambda result, _: None)
    assert rebuild(None).ok
    paths: list[str] = []
    for name, module in (("sitemap", sitemap), ("boards", boards)):
        real = module._patched  # type: ignore[attr-defined]

        def spied(*args, _real=real, _name=name):  # type: ignore[no-untyped-def]
            patched = _real(*args)
            paths.append(f"{_name} {'patched' if patched is not None else 'whole'}")
            return patched

        monkeypatch.setattr(module, "_patched", spied)
    text = root / "content/jobs/posting-00002.en.md"
    patched, whole = "patched", "whole"
    # in the order they are made: the English and French feeds, the sitemap, jobs.json and Indeed's feed
    for round_, (pattern, new, expected) in enumerate([
        (r"^## (.*)$", r"## \1 again", [patched] * 5),
        (r"^title:", "updated: 2027-01-05\ntitle:", [patched] * 5),  # the latest date now: the heads change
        (r"^updated: .*\n", "", [whole, patched, patched, patched, whole]),  # back from the latest: made whole
        (r"^title: (.*)$", r"title: \1 renamed", [patched] * 5),  # a title that keeps its place in job lists
        (r"^## (.*)$", r"## \1 once more", [patched] * 5),
        ("template", "", [patched] * 5),  # every description made anew, the site the same: every entry again
    ]):
        if pattern == "template":
            text = root / "templates/_partials/job_description.html"
            pattern, new = r"^<h2>", "<h2 class=edited>"
        replace_in(text, pattern, new)
        assert rebuild({str(text)}).ok, round_
        names = ["boards", "boards", "sitemap", "boards", "boards"][:len(expected)]
        assert paths == [f"{name} {path}" for name, path in zip(names, expected, strict=True)], round_
        paths.clear()
        clean = build(root, tmp_path / f"clean-{round_}", "http://127.0.0.1:8000/", BuildCache(), live=True)
        assert clean.ok and tree(out) == tree(tmp_path / f"clean-{round_}"), round_


def test_a_title_that_moves_its_posting_in_job_lists_has_the_site_assembled_whole(tmp_path: Path,
                                                                                   monkeypatch) -> None:
    """Job lists are in order of date, then title: a title edited where its posting keeps its place (most edits)
    patches the last assembly; one that moves it among postings of its date has the site assembled whole.
    After each save the preview folder is byte for byte a clean build."""
    from sitegen import assemble
    from sitegen.serve import Preview, make_rebuilder

    root, out = tmp_path / "site", tmp_path / "preview"
    root.mkdir()
    make_big_site(root, 4)
    date = re.search(r"^date_posted: (.*)$", (root / "content/jobs/posting-00001.yaml").read_text("utf-8"), re.M)
    assert date is not None
    replace_in(root / "content/jobs/posting-00002.yaml", r"^date_posted: .*$", f"date_posted: {date.group(1)}")
    rebuild = make_rebuilder(root, Preview(out), "http://127.0.0.1:8000/", lambda result, _: None)
    assert rebuild(None).ok
    made: list[bool] = []
    real = assemble._patched
    monkeypatch.setattr(assemble, "_patched", lambda *args: made.append((p := real(*args)) is not None) or p)
    text = root / "content/jobs/posting-00002.en.md"
    for round_, (title, patched) in enumerate([("Backend Engineering Intern 2b", True),  # after posting 1's still
                                              ("Aardvark", False),  # now before posting 1, of the same date
                                              ("Abacus", True),  # still before it
                                              ("Zebra", False)]):  # after it again
        replace_in(text, r"^title: .*$", f"title: {title}")
        assert rebuild({str(text)}).ok, round_
        assert made == [patched], round_
        made.clear()
        clean = build(root, tmp_path / f"clean-{round_}", "http://127.0.0.1:8000/", BuildCache(), live=True)
        assert clean.ok and tree(out) == tree(tmp_path / f"clean-{round_}"), round_


def test_a_text_save_patches_the_link_check(tmp_path: Path, monkeypatch) -> None:
    """serve checks again only the links of the texts a save changed (and of those not all fine before),
    and finds what a fresh check finds; a save of facts, or one that gives a text its first link, checks all."""
    from sitegen import linkcheck
    from sitegen.assemble import assemble_site
    from sitegen.loading import load_content
    from sitegen.reuse import Reuse
    from sitegen.sources import read_project
    from tests.conftest import TEST_DAY

    root = tmp_path / "site"
    root.mkdir()
    make_big_site(root, 6)
    cache, reuse = BuildCache(), Reuse()
    paths: list[str] = []
    checked: list[str] = []
    real, real_check = linkcheck._patched, linkcheck.site_link_problems
    monkeypatch.setattr(linkcheck, "_patched", lambda *args: paths.append(
        "whole" if (patched := real(*args)) is None else "patched") or patched)
    monkeypatch.setattr(linkcheck, "site_link_problems", lambda texts, *rest: checked.extend(
        text[0] for text in texts) or real_check(texts, *rest))

    def problems(reuse: Reuse) -> list[str]:
        project = read_project(root)
        loaded = load_content(project, None, cache)
        assert not isinstance(loaded, list)
        site, _ = assemble_site(loaded.parsed, loaded.config, {}, TEST_DAY, reuse=reuse)
        found = sorted(map(str, linkcheck.link_problems(site, loaded.parsed, project, reuse)))
        reuse.turn()
        return found

    problems(reuse)
    jobs = root / "content/jobs"
    two, three = "content/jobs/posting-00002.en.md", "content/jobs/posting-00003.en.md"
    for edit, name, pattern, new, checks, wrong in (
        ("a heading", "posting-00002.en.md", r"^## (.*)$", r"## \1 again", [two], False),
        ("a link to nowhere", "posting-00002.en.md", r"^## (.*)$", r"See [nothing](/en/nowhere/).\n\n## \1", [two],
         True),
        ("another text", "posting-00003.en.md", r"^## (.*)$", r"## \1 again", [two, three], True),  # still wrong
        ("the link mended", "posting-00002.en.md", r"/en/nowhere/", "/en/team/", [two], False),
        ("another text again", "posting-00003.en.md", r"^## (.*) again$", r"## \1", [three], False),
        ("facts", "posting-00004.yaml", r"^date_posted: .*$", "date_posted: 2026-01-02", None, False),
    ):
        replace_in(jobs / name, pattern, new)
        paths.clear()
        checked.clear()
        found = problems(reuse)
        assert paths == (["patched"] if checks is not None else []), edit  # facts: the site is assembled whole
        if checks is not None:
            assert checked == checks, edit
        assert any("/en/nowhere/" in problem for problem in found) == wrong, edit
        assert found == problems(Reuse(remember=False)), edit


def test_browsers_reload_once_the_pages_are_written_before_the_feeds(tmp_path: Path, monkeypatch) -> None:
    """serve has browsers reload as soon as every page is written, before the feeds, sitemap and job boards
    are made (a build that fails reloads once it is done, on the error page); a save is reported after."""
    from sitegen import render
    from sitegen.serve import Preview, make_rebuilder

    root, out = tmp_path / "site", tmp_path / "preview"
    root.mkdir()
    make_big_site(root, 3)
    page, feed = out / "en/jobs/posting-00001/index.html", out / "en/jobs.xml"
    text = root / "content/jobs/posting-00001.en.md"
    preview, events = Preview(out), []
    real = render.render_feeds
    monkeypatch.setattr(render, "render_feeds", lambda *args: events.append(("feeds",)) or real(*args))

    def reloaded() -> None:  # what a browser reloading now would find
        events.append(("reload", marker in page.read_text("utf-8"), preview.failed))

    rebuild = make_rebuilder(root, preview, "http://127.0.0.1:8000/",
                             lambda result, _: events.append(("report", result.ok)), reload=reloaded)
    marker = "A sentence saved while the preview was open."
    assert rebuild(None).ok
    assert events == [("feeds",), ("report", True), ("reload", False, False)]  # the first build: once it is done
    for round_, (addition, expected) in enumerate([
        (f"\n{marker}\n", [("reload", True, False), ("feeds",), ("report", True)]),
        (f"\n{marker} See [a page](/en/nowhere/).\n", [("feeds",), ("report", False), ("reload", True, True)]),
        (f"\n{marker}\n", [("reload", True, False), ("feeds",), ("report", True)]),  # mended: the site at once
    ]):
        events.clear()
        text.write_text(text.read_text("utf-8").split(f"\n{marker}")[0] + addition, "utf-8")
        rebuild({str(text)})
        assert events == expected, round_
    assert marker in feed.read_text("utf-8")


def test_browsers_reload_before_serve_lists_the_pages_a_save_kept(tmp_path: Path, monkeypatch) -> None:
    """The pages a save did not change (all but a few of a big site's) are taken by the preview's writer at
    once, and listed once the browsers reloaded, not before; the folder still holds and lists them all,
    with their fingerprints, for the next save to keep them."""
    from sitegen.inplace import InPlace
    from sitegen.serve import Preview, make_rebuilder
    from sitegen.write import MANIFEST, read_manifest

    root, out = tmp_path / "site", tmp_path / "preview"
    root.mkdir()
    make_big_site(root, 3)
    writers: list[InPlace] = []
    real = InPlace.place_kept
    monkeypatch.setattr(InPlace, "place_kept", lambda writer, files: writers.append(writer) or real(writer, files))

    def waiting() -> int:  # how many kept files the writer has not listed yet
        return sum(map(len, writers[-1].kept)) if writers else -1

    events: list[tuple[str, int]] = []
    rebuild = make_rebuilder(root, Preview(out), "http://127.0.0.1:8000/",
                             lambda result, _: events.append(("report", waiting())),
                             reload=lambda: events.append(("reload", waiting())))
    assert rebuild(None).ok
    text = root / "content/jobs/posting-00001.en.md"
    for round_ in range(2):
        events.clear()
        text.write_text(text.read_text("utf-8") + f"\nA sentence saved in round {round_}.\n", "utf-8")
        assert rebuild({str(text)}).ok
        pages = sorted(str(p.relative_to(out)) for p in out.rglob("*.html"))
        # every page but those the save may have changed (the page, its other language's, its language's
        # job list) and the two made every time (404.html, index.html) waits while the browsers reload, and
        # is listed once the build is done
        assert events == [("reload", events[0][1]), ("report", 0)] and events[0][1] >= len(pages) - 5, round_
        listed = read_manifest(out) or {}
        assert set(listed) == {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {MANIFEST}
        assert set(InPlace(out).fingerprints) >= set(pages) - {"404.html", "index.html"}, round_


def test_saves_in_each_language_in_turn_render_only_the_cards_they_change(tmp_path: Path, monkeypatch) -> None:
    """A save renders its language's job list again with the one card it changed, though the last save
    was in the other language (whose list was kept, not rendered): the kept list keeps its cards."""
    from sitegen import fragments

    root, rebuild = served_site(tmp_path, 6)
    rendered: list[int] = []
    real = fragments.LoopPlan.join
    monkeypatch.setattr(fragments.LoopPlan, "join", lambda plan, one: rendered.append(plan.outputs.count(None))
                        or real(plan, one))
    for round_, lang in enumerate(["en", "fr", "en", "fr", "en"]):
        text = root / f"content/jobs/posting-00001.{lang}.md"
        replace_in(text, r"^## (.*)$", rf"## \1 {round_}")
        assert rebuild({str(text)}).ok
    assert rendered == [1] * 5


def spy_on_typesetting_again(monkeypatch, every: int) -> list[str]:
    """Have serve's big pages' marks noted `every` so many characters; return the list to which the canonical
    address of each page typeset again from its marks is added, as it is."""
    from sitegen import render, typography

    monkeypatch.setattr(render, "typeset_again", lambda html, last=None: typography.typeset_again(html, last, every))
    again: list[str] = []
    real = typography._again

    def spied(html: str, *args: object) -> typography.Typeset | None:
        made = real(html, *args)  # type: ignore[arg-type]
        if made is not None:
            again.append(re.findall(r'<link rel="canonical" href="([^"]*)"', html)[0])
        return made

    monkeypatch.setattr(typography, "_again", spied)
    return again


def test_serve_typesets_big_pages_again_where_a_save_changed_them(tmp_path: Path, monkeypatch) -> None:
    """A big page (a big site's job list; here any page over 3,000 characters, its pass noted every 200) is
    typeset where a save changed it, from its last typesetting: after edits to titles, texts, facts and dates
    in either language, the preview folder is byte for byte a clean build, and the French job list was
    typeset from its marks after each French title edit."""
    from sitegen import render

    monkeypatch.setattr(render, "BIG_PAGE", 3000)
    again = spy_on_typesetting_again(monkeypatch, 200)
    root, rebuild = served_site(tmp_path, 6)
    rng = random.Random(20261204)
    for round_ in range(10):
        name = ["posting title", "posting text", "posting facts", "posting title", "posting date"][round_ % 5]
        before = sources(root)
        EDITS[name](root, rng)
        now = sources(root)
        assert rebuild({str(root / path) for path in now if before.get(path) != now[path]}).ok, name
        clean = build(root, tmp_path / f"clean-{round_}", "http://127.0.0.1:8000/", BuildCache(), live=True)
        assert clean.ok and tree(tmp_path / "preview") == tree(tmp_path / f"clean-{round_}"), f"after '{name}'"
    assert again.count("http://127.0.0.1:8000/fr/") >= 4, again


def test_a_big_page_keeps_its_typesetting_through_saves_that_do_not_make_it(tmp_path: Path, monkeypatch) -> None:
    """The French job list, typeset after a French title edit, is typeset from those marks at the next one, though a
    save in between (of a file as it was) made no page."""
    from sitegen import render

    again = spy_on_typesetting_again(monkeypatch, 400)
    root, rebuild = served_site(tmp_path, 60)
    preview = tmp_path / "preview"
    home = (preview / "fr/index.html").stat().st_size
    postings = max(path.stat().st_size for path in preview.glob("*/*/*/index.html"))
    assert home > postings + 1000
    monkeypatch.setattr(render, "BIG_PAGE", postings + 500)  # the job lists only
    for round_ in range(2):
        replace_in(root / "content/jobs/posting-00001.fr.md", r"^title: (.*)$", rf"title: \1 {round_}")
        assert rebuild({str(root / "content/jobs/posting-00001.fr.md")}).ok
        assert rebuild({str(root / "content/jobs/posting-00002.en.md")}).ok  # (saved as it was)
    assert again == ["http://127.0.0.1:8000/fr/"]  # (the first French title edit typeset the list whole)
    assert build(root, tmp_path / "clean", "http://127.0.0.1:8000/", BuildCache(), live=True).ok
    assert tree(preview) == tree(tmp_path / "clean")


def test_a_job_list_made_again_to_the_same_html_is_not_finished_again(tmp_path: Path, monkeypatch) -> None:
    """A posting's text saved makes its language's job list again (the list's postings changed) to the same HTML:
    the list is not finished (checked, typeset, encoded) again, though the save before, in the other language,
    did not make it (big pages keep their finished file; here any page over 3,000 characters is big)."""
    from sitegen import render

    monkeypatch.setattr(render, "BIG_PAGE", 3000)
    finished: list[str] = []
    real = render._finished
    monkeypatch.setattr(render, "_finished", lambda rendered, dest, *args: finished.append(dest)
                        or real(rendered, dest, *args))
    root, rebuild = served_site(tmp_path, 6)
    for round_, lang in enumerate(["en", "fr", "en", "fr"]):
        text = root / f"content/jobs/posting-00001.{lang}.md"
        text.write_text(text.read_text("utf-8") + f"\nMore {round_}.\n", "utf-8")
        finished.clear()
        assert rebuild({str(text)}).ok
        assert [dest.split("/")[-2] for dest in finished] == [{"en": "posting-00001", "fr": "stage-00001"}[lang]]
    assert build(root, tmp_path / "clean", "http://127.0.0.1:8000/", BuildCache(), live=True).ok
    assert tree(tmp_path / "preview") == tree(tmp_path / "clean")
