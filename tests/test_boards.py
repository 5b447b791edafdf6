"""Job-board distribution: `jobs.json` against its published schema, the Indeed feed against its XSD, both
checked against the pages."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from sitegen.pipeline import build
from tests.conftest import REPO, TEST_DAY, MakeProject, build_ok, soup

XSD = REPO / "sitegen" / "schemas" / "indeed-feed.xsd"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("boards") / "dist"
    build_ok(REPO, out)
    return out


def test_jobs_json_is_valid_and_matches_the_pages(dist: Path) -> None:
    data = json.loads((dist / "jobs.json").read_text())
    schema = json.loads((dist / "jobs.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    assert data["version"] == 1 and set(data["languages"]) == {"en", "fr"}
    for lang, (job,) in data["languages"].items():
        page = soup(dist / job["url"].removeprefix("https://careers.example.com/") / "index.html")
        assert page.h1.get_text() == job["title"] and page.html["lang"] == lang
        assert {a["href"] for a in page.select("a.button")} == {job["apply_url"]}
        assert page.find("meta", attrs={"name": "description"})["content"] == job["description"]
        assert job["requirement"] in page.select_one(".facts").get_text()
        assert job["id"] == "backend-intern" and job["closes_on"] == "2026-03-31"
        assert job["start"] == {"from": "2026-02", "to": "2026-03"} and "identifier" not in job


def test_indeed_feed_is_valid_french_for_a_job_in_france(dist: Path) -> None:
    xmlschema.XMLSchema(str(XSD)).validate(str(dist / "jobs-indeed.xml"))
    (job,) = ET.parse(dist / "jobs-indeed.xml").getroot().findall("job")
    fields = {child.tag: child.text for child in job}
    assert fields["title"] == "Stage de fin d’études en ingénierie backend"  # job ads in France are in French
    assert fields["url"] == "https://careers.example.com/fr/offres/stage-ingenierie-backend/"
    assert fields["referencenumber"] == fields["requisitionid"] == "backend-intern"
    assert fields["city"] == "Paris" and fields["country"] == "FR" and fields["company"] == "Back Market"
    assert fields["date"] == "Mon, 05 Jan 2026 00:00:00 GMT" and fields["expirationdate"] == "2026-03-31"
    assert fields["jobtype"] == "fulltime, internship"
    assert "Obligatoire\u00a0:" in fields["description"] and "convention de stage obligatoire" in fields["description"]
    assert "salary" not in fields and "state" not in fields  # the posting gives neither


def test_boards_list_open_postings_only_and_carry_pay(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    build_ok(root, tmp_path / "open")
    (job,) = ET.parse(tmp_path / "open/jobs-indeed.xml").getroot().findall("job")
    assert job.findtext("salary") == "700-900 EUR per month" and job.findtext("city") == "Lyon"
    xmlschema.XMLSchema(str(XSD)).validate(str(tmp_path / "open/jobs-indeed.xml"))
    assert build(root, tmp_path / "closed", today=TEST_DAY.replace(month=5)).ok
    assert ET.parse(tmp_path / "closed/jobs-indeed.xml").getroot().findall("job") == []
    assert json.loads((tmp_path / "closed/jobs.json").read_text())["languages"] == {"en": [], "fr": []}


def test_a_cdata_end_inside_a_title_cannot_break_the_feed(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"content/jobs/data-intern.fr.md": "---\ntitle: 'a ]]> b <c>'\ndescription: d\n"
                                                            "slug: stagiaire-data\n---\nTexte.\n"})
    build_ok(root, tmp_path / "out")
    job = ET.parse(tmp_path / "out/jobs-indeed.xml").getroot().find("job")
    assert job is not None and job.findtext("title") == "a ]]> b <c>"


def test_feeds_and_boards_go_to_the_sink_one_at_a_time(make_project: MakeProject, monkeypatch) -> None:
    """Each repeats every posting's description: one is made only once the last one is written."""
    import sitegen.boards
    import sitegen.feeds
    from sitegen.pipeline import BuildCache, compile_site
    from sitegen.sources import read_project

    events: list[str] = []
    for module, name in ((sitegen.feeds, "_feed"), (sitegen.boards, "jobs_json"), (sitegen.boards, "indeed_feed")):
        real = getattr(module, name)

        def spied(*args, _real=real, _name=name, **named):  # type: ignore[no-untyped-def]
            events.append(f"make {_name}")
            return _real(*args, **named)

        monkeypatch.setattr(module, name, spied)

    def sink(file):  # type: ignore[no-untyped-def]
        if file.dest_path.endswith((".xml", ".json")) and "sitemap" not in file.dest_path:
            events.append(f"write {file.dest_path}")
        return file

    result = compile_site(read_project(make_project()), None, BuildCache(), today=TEST_DAY, sink=sink)
    assert result.ok
    makes = [index for index, event in enumerate(events) if event.startswith("make")]
    assert len(makes) == 4  # two feeds, jobs.json, the Indeed feed
    for first, second in itertools.pairwise(makes):
        assert any(event.startswith("write") for event in events[first:second]), events


def test_a_big_one_off_build_makes_its_job_boards_on_a_worker_the_same(make_project: MakeProject, tmp_path: Path,
                                                                         monkeypatch) -> None:
    """From a few hundred postings, a one-off build on two cores makes the job boards on a worker of their own
    while it makes the feeds and the sitemap: the same files as on one core."""
    import os

    import sitegen.boards
    import sitegen.render
    from build import main

    root = make_project()
    real, made_by = sitegen.boards.render_boards, tmp_path / "made-by"

    def spied(*args, **kwargs):  # type: ignore[no-untyped-def]
        made_by.write_text(str(os.getpid()))  # (from a worker, only a file tells)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(sitegen.render, "render_boards", spied)
    monkeypatch.setattr(sitegen.render, "BESIDE", 1)
    assert main(["--project", str(root), "build", "--no-cache", "--jobs", "1", "--out", str(tmp_path / "one")]) == 0
    assert made_by.read_text() == str(os.getpid())
    assert main(["--project", str(root), "build", "--no-cache", "--jobs", "2", "--out", str(tmp_path / "two")]) == 0
    assert made_by.read_text() != str(os.getpid())
    one, two = ({p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}
                for d in (tmp_path / "one", tmp_path / "two"))
    assert one == two and {"jobs.json", "jobs-indeed.xml", "sitemap.xml"} <= one.keys()
