"""Content loading on small fixture sites: the facts/text split, pairing, and naming rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sitegen.model import MonthRange, Problem, Site
from sitegen.pipeline import BuildCache, compile_site
from sitegen.sources import ContentFile, classify, read_project
from tests.conftest import PUBLISHED, MakeProject, build_ok, messages, soup


def compile_project(root):
    return compile_site(read_project(root), None, BuildCache())


def test_facts_come_from_yaml_once_and_text_from_each_language(make_project: MakeProject, tmp_path) -> None:
    root = make_project()
    build_ok(root, tmp_path / "out")
    en = soup(tmp_path / "out/en/jobs/data-intern/index.html")
    fr = soup(tmp_path / "out/fr/offres/stagiaire-data/index.html")
    assert en.h1.get_text() == "Data Intern" and fr.h1.get_text() == "Stagiaire data"
    assert en.select_one(".prose h2").get_text() == "The job"
    assert fr.select_one(".prose h2").get_text() == "Le poste"
    # One YAML value feeds both languages.
    assert [dd.get_text() for dd in en.select("dl dd")][1:3] == ["4 months", "April 2026"]
    assert [dd.get_text() for dd in fr.select("dl dd")][1:3] == ["4\u00a0mois", "avril 2026"]
    assert en.select_one("a.button")["href"] == fr.select_one("a.button")["href"] == "mailto:jobs@tiny.example.org"


def test_a_changed_fact_changes_every_language(make_project: MakeProject, tmp_path) -> None:
    root = make_project()
    path = root / "content/jobs/data-intern.yaml"
    path.write_text(path.read_text().replace("duration_months: 4", "duration_months: 5"))
    build_ok(root, tmp_path / "out")
    assert soup(tmp_path / "out/en/jobs/data-intern/index.html").select("dl dd")[1].get_text() == "5 months"
    assert soup(tmp_path / "out/fr/offres/stagiaire-data/index.html").select("dl dd")[1].get_text() == "5\u00a0mois"


def test_a_translation_cannot_set_facts(make_project: MakeProject) -> None:
    root = make_project({"content/jobs/data-intern.fr.md": "---\ntitle: Stagiaire\ndescription: x\n"
                         "duration_months: 9\n---\nTexte\n"})
    result = compile_project(root)
    assert "content/jobs/data-intern.fr.md:4:1: unknown field 'duration_months' (allowed fields: "\
           "description, requirement, slug, source_hash, title, updated)" in messages(result)


def test_typed_site_model(make_project: MakeProject) -> None:
    result = compile_project(make_project())
    assert result.ok
    assert result.pages_per_lang == {"en": 4, "fr": 4}  # home, team, a posting, the legal notice


def assembled(root: Path) -> tuple[Site, list[Problem]]:
    """Return the site assembled from a project's files (each parsed in this process) and its problems."""
    from sitegen.assemble import assemble_site
    from sitegen.config import make_config
    from sitegen.parse import LazyConverter, parse_file
    from sitegen.schema import Schemas

    project = read_project(root)
    schemas, convert = Schemas(), LazyConverter()
    by_path = {s.src_path: s for s in project.content}
    site_doc = parse_file(ContentFile("content/_site.yaml", "site"), by_path["content/_site.yaml"],
                          schemas, convert).data
    config, problems = make_config(site_doc)
    assert config and not problems
    parsed = tuple(
        parse_file(f, s, schemas, convert) for s in project.content
        if isinstance(f := classify(s.src_path, config.lang_codes), ContentFile) and f.kind != "site"
    )
    return assemble_site(parsed, config, {}, dt.date(2026, 1, 20))


def test_site_structure_from_assembly(make_project: MakeProject) -> None:
    site, problems = assembled(make_project())
    assert not problems
    posting = site.postings["fr"][0]
    assert posting.facts.start == MonthRange(dt.date(2026, 4, 1), dt.date(2026, 4, 1))
    assert posting.facts.date_posted == dt.date(2026, 1, 15)
    assert posting.url == "/careers/fr/offres/stagiaire-data/"
    assert [p.name for p in posting.people] == ["Ada Lovelace"]
    assert posting.people[0].initials == "AL" and posting.people[0].role == "Analyste"
    assert [s.title for s in posting.steps] == ["Appel"]
    team = site.page("fr", "pages/team")
    assert team and team.url == "/careers/fr/equipe/" and team.dest_path == "fr/equipe/index.html"
    assert [(a.lang, a.url) for a in team.alternates] == [("en", "/careers/en/team/"), ("fr", "/careers/fr/equipe/")]
    english = site.page("en", "pages/team")
    assert english and english.alternates is team.alternates  # one tuple for a page's versions


def test_postings_that_name_the_same_people_and_steps_share_them(make_project: MakeProject) -> None:
    """A big site's postings mostly name the same people and steps: each language's postings that do hold one
    tuple of them, not one each (10,000 postings' were a megabyte); one that names others has its own."""
    root = make_project()
    jobs = root / "content/jobs"
    for name in ("data-intern-2", "data-intern-3"):
        (jobs / f"{name}.yaml").write_text((jobs / "data-intern.yaml").read_text("utf-8").replace(
            "identifier: ", f"identifier: {name}-"), "utf-8")
        for lang, slug in (("en", "data-intern"), ("fr", "stagiaire-data")):
            text = (jobs / f"data-intern.{lang}.md").read_text("utf-8")
            (jobs / f"{name}.{lang}.md").write_text(text.replace(f"slug: {slug}", f"slug: {slug}-{name[-1]}"), "utf-8")
    path = jobs / "data-intern-3.yaml"
    path.write_text(path.read_text("utf-8").replace("process: [call]", "process: []"), "utf-8")
    site, problems = assembled(root)
    assert not [p for p in problems if p.severity == "error"]
    for lang in ("en", "fr"):
        first, second, third = sorted(site.postings[lang], key=lambda p: p.facts.key)
        assert first.people == second.people == third.people and first.people
        assert first.people is second.people is third.people
        assert first.steps is second.steps and first.steps and third.steps == ()
        # and the same dates: one object each (10,000 postings' were 20,000 dates and 10,000 windows)
        assert first.facts.start is second.facts.start is third.facts.start and first.facts.start is not None
        assert first.facts.date_posted is second.facts.date_posted
    assert site.postings["en"][0].people is not site.postings["fr"][0].people  # (each language's people)


def test_a_one_off_build_keeps_no_answer_of_classify(make_project: MakeProject, tmp_path) -> None:
    """`classify` remembers each path's answer for serve, which classifies every file again after each save; a
    one-off build asks once per file (15,000 files' answers were 3 MB)."""
    from sitegen.pipeline import build
    from sitegen.reuse import Reuse

    root = make_project()
    classify.cache_clear()
    assert build(root, tmp_path / "once", cache=BuildCache(reuse=Reuse(remember=False))).ok
    assert classify.cache_info().currsize == 0
    assert build(root, tmp_path / "served", cache=BuildCache()).ok  # (remembers, as serve's)
    assert classify.cache_info().currsize > 5


def test_files_of_a_collection_or_a_language_share_its_name() -> None:
    """Thousands of files hold one string for their collection, and one for their language."""
    langs = ("en", "fr")
    files = [classify(f"content/jobs/{name}.{lang}.md", langs) for name in ("a", "b") for lang in langs]
    assert all(isinstance(f, ContentFile) for f in files)
    assert files[0].collection is files[3].collection and files[1].lang is files[3].lang


def test_classify_names() -> None:
    langs = ("en", "fr")
    assert classify("content/jobs/x.fr.md", langs) == ContentFile("content/jobs/x.fr.md", "text", "jobs", "x", "fr")
    assert classify("content/jobs/x.yaml", langs) == ContentFile("content/jobs/x.yaml", "facts", "jobs", "x")
    assert classify("content/_strings.fr.yaml", langs).kind == "strings"
    assert str(classify("content/jobs/x.de.md", langs)) == (
        "content/jobs/x.de.md: unknown language 'de' (use one of the site's languages: en, fr; "
        "or add 'de' to content/_site.yaml)")
    assert "does not say its language" in str(classify("content/pages/about.md", langs))
    assert "outside the content folders" in str(classify("content/blog/a.en.md", langs))


def test_missing_translation_is_an_error_naming_the_file_under_strict(make_project: MakeProject) -> None:
    root = make_project({"content/pages/team.fr.md": None})
    result = compile_site(read_project(root), PUBLISHED, BuildCache(), strict=True)
    assert not result.ok and not result.outputs
    assert messages(result) == [
        "content/pages/team.fr.md: missing translation (translate content/pages/team.en.md into this file)"]


def test_facts_without_text_and_text_without_facts(make_project: MakeProject) -> None:
    root = make_project({"content/jobs/orphan.yaml": "identifier: o\ndate_posted: 2026-01-01\n"
                         "contract: internship\nemployment_type: [INTERN]\n"
                         "location: {locality: Paris, country: FR}\napply_url: https://example.org/\n",
                         "content/people/ghost.en.md": "---\nrole: Ghost\n---\n",
                         "content/people/ghost.fr.md": "---\nrole: Fantôme\n---\n"})
    result = compile_project(root)
    assert "content/jobs/orphan.yaml: 'jobs/orphan' has no text in any language "\
           "(create content/jobs/orphan.en.md)" in messages(result)
    assert "content/people/ghost.en.md: no facts file for 'people/ghost' "\
           "(create content/people/ghost.yaml beside it)" in messages(result)


def test_unknown_person_and_step_are_located(make_project: MakeProject) -> None:
    root = make_project()
    path = root / "content/jobs/data-intern.yaml"
    path.write_text(path.read_text().replace("people: [ada]", "people: [ada, bob]")
                    .replace("process: [call]", "process:\n  - call\n  - lunch"))
    result = compile_project(root)
    assert messages(result) == [
        "content/jobs/data-intern.yaml:9:15: unknown person 'bob' "
        "(create content/people/bob.yaml, or fix the name)",
        "content/jobs/data-intern.yaml:12:5: unknown process step 'lunch' "
        "(create content/process/lunch.yaml, or fix the name)",
    ]


def test_translation_key_pairs_differently_named_files(make_project: MakeProject, tmp_path) -> None:
    root = make_project({
        "content/pages/team.fr.md": None,
        "content/pages/equipe.fr.md": "---\ntitle: Équipe\ndescription: d\nlayout: team\ntranslation_key: team\n---\n",
    })
    build_ok(root, tmp_path / "out")
    page = soup(tmp_path / "out/en/team/index.html")
    assert page.select_one("nav.switcher a")["href"] == "/careers/fr/equipe/"


def test_two_pages_writing_the_same_file(make_project: MakeProject) -> None:
    root = make_project({
        "content/pages/about.en.md": "---\ntitle: About\ndescription: d\nslug: team\n---\n",
        "content/pages/about.fr.md": "---\ntitle: À propos\ndescription: d\nslug: a-propos\n---\n",
    })
    result = compile_project(root)
    assert any("two pages write en/team/index.html" in m for m in messages(result))
