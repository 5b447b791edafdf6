"""A big one-off build makes its site a few postings at a time, as their files are parsed (`load_in_parts`):
the same pages, problems and cache as a build that assembles every file at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.site import make_site as make_generated_site
from sitegen import assemble, loading
from sitegen.model import BuildResult
from sitegen.parse import cache_key, parse_file
from sitegen.parsestore import ParseStore
from sitegen.pipeline import BuildCache, build
from sitegen.reuse import Reuse
from sitegen.schema import Schemas
from sitegen.sources import ContentFile, classify, read_project
from tests.conftest import TEST_DAY, tree

FACTS = """identifier: extra
date_posted: 2026-01-05
contract: internship
employment_type: [INTERN]
duration_months: 3
hours_per_week: 35
location: {locality: Paris, country: FR}
apply_url: https://example.org/apply/extra
people: [theotime, nobody]
process: [recruiter-interview]
"""


def one_off(jobs: int = 2, parsed: ParseStore | None = None) -> BuildCache:
    """Return the cache of a one-off build, as the command line makes it."""
    return BuildCache(jobs=jobs, reuse=Reuse(remember=False), parsed=parsed)


def counted_parts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make a few postings' files enough for a build in parts of two postings; return the sizes of the parts."""
    sizes: list[int] = []
    add = assemble.SiteInParts.add

    def counted(self: assemble.SiteInParts, parsed: tuple[loading.Parsed, ...]) -> None:
        sizes.append(len({item.file.key for item in parsed}))
        add(self, parsed)

    monkeypatch.setattr(loading, "PARTS_FROM", 1)
    monkeypatch.setattr(loading, "PART", 2)
    monkeypatch.setattr(assemble.SiteInParts, "add", counted)
    return sizes


def whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every build assemble its site at once."""
    monkeypatch.setattr(loading, "PARTS_FROM", 10**9)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    make_generated_site(root, 7)
    return root


def test_a_site_made_in_parts_is_the_site_made_at_once(site: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # a posting whose French text is missing (its English one is shown) and one that is closed
    (site / "content/jobs/posting-00003.fr.md").unlink()
    facts = site / "content/jobs/posting-00000.yaml"  # (posted on 2026-01-01)
    facts.write_text(facts.read_text("utf-8") + "valid_through: 2026-01-10\n", "utf-8")
    sizes = counted_parts(monkeypatch)
    parts = build(site, tmp_path / "parts", cache=one_off(), today=TEST_DAY)
    assert parts.ok, parts.problems
    assert sizes == [2, 2, 2, 1]  # in parts, each of whole postings, the last what was left
    monkeypatch.undo()
    whole(monkeypatch)
    at_once = build(site, tmp_path / "whole", cache=one_off(), today=TEST_DAY)
    assert tree(tmp_path / "parts") == tree(tmp_path / "whole")
    assert parts.problems == at_once.problems and parts.page_count == at_once.page_count
    assert (tmp_path / "parts/fr/offres/posting-00003/index.html").is_file()  # (the fallback)


def broken(site: Path) -> None:
    """Give the site problems of every kind that assembly finds, in postings of different parts."""
    jobs = site / "content/jobs"
    (jobs / "posting-00001.yaml").unlink()  # texts without facts
    (jobs / "posting-00002.en.md").unlink()  # facts without text
    (jobs / "posting-00002.fr.md").unlink()
    (jobs / "extra.yaml").write_text(FACTS, "utf-8")  # an unknown person
    (jobs / "extra.en.md").write_text("---\ntitle: Extra\ndescription: Another posting.\n---\nText.\n", "utf-8")
    french = jobs / "posting-00006.fr.md"  # two postings, in different parts, write one page
    french.write_text(french.read_text("utf-8").replace("stage-00006", "stage-00000"), "utf-8")
    (jobs / "posting-00004.yaml").write_text("identifier: [broken\n", "utf-8")  # a file that does not parse
    (site / "assets/a photo.png").write_bytes(b"")  # and a problem of the project's files


def test_a_site_made_in_parts_has_the_problems_of_the_site_made_at_once(site: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    broken(site)
    sizes = counted_parts(monkeypatch)
    parts = build(site, tmp_path / "parts", cache=one_off(), today=TEST_DAY)
    assert len(sizes) > 2
    monkeypatch.undo()
    whole(monkeypatch)
    at_once = build(site, tmp_path / "whole", cache=one_off(), today=TEST_DAY)
    assert not at_once.ok and parts.problems == at_once.problems
    found = "\n".join(map(str, parts.problems))
    for expected in ("no facts file for 'jobs/posting-00001'", "'jobs/posting-00002' has no text in any language",
                     "unknown person 'nobody'", "two pages write fr/offres/stage-00000/index.html",
                     "asset name has characters"):
        assert expected in found


def test_a_build_in_parts_keeps_every_parse_for_the_next(site: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The postings' parses go to the disk cache as they come; the next build reads them there, parses the one
    file edited since, and makes the same bytes as a build from scratch."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from sitegen.cache import cache_folder

    sizes = counted_parts(monkeypatch)
    store = ParseStore(cache_folder(site))
    assert build(site, tmp_path / "out", cache=one_off(parsed=store), today=TEST_DAY).ok and sizes
    store.save()  # the other files' parses, as the command line saves them once they are parsed
    text = site / "content/jobs/posting-00002.en.md"
    text.write_text(text.read_text("utf-8") + "\nEdited.\n", "utf-8")
    parsed: list[str] = []
    parse_file = loading.parse_file
    monkeypatch.setattr(loading, "parse_file", lambda file, *rest: parsed.append(file.src_path) or parse_file(
        file, *rest))
    store = ParseStore(cache_folder(site))
    again = build(site, tmp_path / "out", cache=one_off(jobs=1, parsed=store), today=TEST_DAY)
    assert again.ok
    assert parsed == ["content/jobs/posting-00002.en.md"]
    assert len(sizes) == 4  # the second build knew the postings: it made its site at once
    monkeypatch.undo()
    whole(monkeypatch)
    clean = build(site, tmp_path / "clean", cache=one_off(jobs=1), today=TEST_DAY)
    assert clean.ok and tree(tmp_path / "out") == tree(tmp_path / "clean")


@pytest.mark.parametrize("cache", ["serve", "one job", "warm"])
def test_only_a_cold_one_off_build_on_workers_is_made_in_parts(cache: str, site: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = counted_parts(monkeypatch)
    made = {"serve": lambda: BuildCache(jobs=2), "one job": lambda: one_off(jobs=1), "warm": one_off}[cache]()
    if cache == "warm":  # the cache knows one posting's facts
        source = next(s for s in read_project(site).content if s.src_path.endswith("posting-00004.yaml"))
        file = classify(source.src_path, ("en", "fr"))
        assert isinstance(file, ContentFile)
        made.parsed[cache_key(file, source)] = parse_file(file, source, Schemas(), made.converter)
    result: BuildResult = build(site, tmp_path / "out", cache=made, today=TEST_DAY)
    assert result.ok and sizes == []
