"""A build of the real site: pages, languages, titles, switcher targets, links that resolve."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitegen.pipeline import build
from tests.conftest import PUBLISHED, REPO, soup

EXPECTED = {
    # url: (lang, title text, counterpart url)
    "/en/": ("en", "Careers at Back Market", "/fr/"),
    "/fr/": ("fr", "Carrières chez Back Market", "/en/"),
    "/en/jobs/backend-intern/": ("en", "Backend Engineer Intern – Back Market Careers",
                                 "/fr/offres/stage-ingenierie-backend/"),
    "/fr/offres/stage-ingenierie-backend/": (
        "fr", "Stage de fin d’études en ingénierie backend – Carrières Back Market", "/en/jobs/backend-intern/"),
    "/en/mission/": ("en", "Our mission – Back Market Careers", "/fr/mission/"),
    "/fr/mission/": ("fr", "Notre mission – Carrières Back Market", "/en/mission/"),
    "/en/team/": ("en", "The team – Back Market Careers", "/fr/equipe/"),
    "/fr/equipe/": ("fr", "L’équipe – Carrières Back Market", "/en/team/"),
    "/en/process/": ("en", "Hiring process – Back Market Careers", "/fr/recrutement/"),
    "/fr/recrutement/": ("fr", "Processus de recrutement – Carrières Back Market", "/en/process/"),
    "/en/accessibility/": ("en", "Accessibility statement – Back Market Careers", "/fr/accessibilite/"),
    "/fr/accessibilite/": ("fr", "Déclaration d’accessibilité – Carrières Back Market", "/en/accessibility/"),
}


OPEN_DAY = dt.date(2026, 1, 20)  # while the posting was open (its start window ends on 31 March 2026)
CLOSED_DAY = dt.date(2026, 11, 29)  # the review's day: the start window has passed


def built_on(day: dt.date, out: Path) -> Path:
    result = build(REPO, out, today=day)
    assert result.ok, "\n".join(str(p) for p in result.problems)
    return out


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_on(OPEN_DAY, tmp_path_factory.mktemp("real") / "dist")


@pytest.fixture(scope="module")
def closed_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_on(CLOSED_DAY, tmp_path_factory.mktemp("closed") / "dist")


def html_file(dist: Path, url: str) -> Path:
    return dist / url.lstrip("/") / "index.html"


@pytest.mark.parametrize("url", sorted(EXPECTED))
def test_page_language_title_and_switcher(dist: Path, url: str) -> None:
    lang, title, counterpart = EXPECTED[url]
    page = soup(html_file(dist, url))
    assert page.html["lang"] == lang
    assert page.title.get_text() == title
    switcher = page.select_one("nav.switcher")
    links = switcher.find_all("a")
    assert [a["href"] for a in links] == [counterpart]
    other = "fr" if lang == "en" else "en"
    assert links[0]["hreflang"] == other and links[0]["lang"] == other
    assert switcher.select_one("[aria-current]")["lang"] == lang
    assert len(page.find_all("h1")) == 1
    assert page.find("header") and page.find("main") and page.find("footer")
    assert page.select_one("nav.site-nav")


def test_exactly_the_expected_pages(dist: Path) -> None:
    built = sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*.html"))
    expected = sorted([u.lstrip("/") + "index.html" for u in EXPECTED] + ["index.html", "404.html"])
    assert built == expected


def test_posting_shows_facts_people_process_and_apply(dist: Path) -> None:
    page = soup(html_file(dist, "/en/jobs/backend-intern/"))
    facts = {dt.get_text(): dd.get_text() for dt, dd in zip(page.select("dl dt"), page.select("dl dd"), strict=True)}
    assert facts == {
        "Contract": "Internship (full time)",
        "Duration": "6 months",
        "Working hours": "35\u00a0hours a week",
        "Start": "February or March 2026",
        "End": "August or September 2026",
        "Location": "Paris, France",
        "Requirement": "Currently enrolled final-year students only · internship agreement required",
        "Last day to apply": "31 March 2026",  # the end of the start window: the site closes it then
    }  # no "Reference": the company uses none that candidates could quote
    apply = page.select_one("a.button")
    assert apply["href"] == WTTJ.format("en")
    assert [h.get_text() for h in page.select(".person h3")] == ["Théotime", "Dawn"]
    steps = page.select("ol.timeline > li")
    assert [s.h3.get_text() for s in steps] == ["Recruiter interview", "Technical fit interview",
                                                 "Team fit interview"]
    assert [s.time["datetime"] for s in steps] == ["PT30M", "PT45M", "PT30M"]
    prose = " ".join(page.select_one(".prose").get_text().split())
    assert "Mandatory: you are currently enrolled in the final year" in prose
    assert page.select_one("#people-heading").get_text() == "Meet the team"


WTTJ = "https://www.welcometothejungle.com/{}/companies/back-market/jobs/backend-engineer-intern_paris"


def test_french_posting_facts(dist: Path) -> None:
    page = soup(html_file(dist, "/fr/offres/stage-ingenierie-backend/"))
    values = [dd.get_text() for dd in page.select("dl dd")]
    assert values == ["Stage à temps plein", "6\u00a0mois", "35\u00a0h par semaine", "février ou mars 2026",
                      "août ou septembre 2026", "Paris, France",
                      "31\u00a0mars 2026", "Actuellement en dernière année d’études · convention de stage obligatoire"]
    assert page.select_one("a.button")["href"] == WTTJ.format("fr")
    assert page.select_one("#people-heading").get_text() == "Découvrez l’équipe"


def test_team_page_lists_people_with_initials_avatars(dist: Path) -> None:
    page = soup(html_file(dist, "/fr/equipe/"))
    people = page.select("li.person")
    assert [p["id"] for p in people] == ["theotime", "dawn"]
    assert [p.select_one("svg.avatar text").get_text() for p in people] == ["T", "D"]
    assert [p.select_one(".role").get_text() for p in people] == ["Lead DevOps", "Chief Tech Officer (CTO)"]
    assert not page.select("li.person .prose")  # name and role only: the posting says nothing more
    assert all(p.select_one("svg")["aria-hidden"] == "true" for p in people)


def test_home_lists_open_postings(dist: Path) -> None:
    for url, target in (("/en/", "/en/jobs/backend-intern/"), ("/fr/", "/fr/offres/stage-ingenierie-backend/")):
        links = [a["href"] for a in soup(html_file(dist, url)).select(".job-list a")]
        assert links == [target]
    cards = {lang: soup(html_file(dist, f"/{lang}/")).select_one(".job-card") for lang in ("en", "fr")}
    assert cards["en"].select_one(".job-meta").get_text() == \
        "Internship · Paris · 6 months, starting February or March 2026"
    assert cards["fr"].select_one(".job-meta").get_text() == "Stage · Paris · 6\u00a0mois, début février ou mars 2026"
    assert cards["en"].select_one(".job-requirement").get_text().startswith("Currently enrolled final-year")
    assert cards["fr"].select_one(".job-requirement").get_text().startswith("Actuellement en dernière année")


def test_open_posting_has_job_posting_with_closing_day(dist: Path) -> None:
    page = soup(html_file(dist, "/fr/offres/stage-ingenierie-backend/"))
    data = next(json.loads(s.string) for s in page.find_all("script", type="application/ld+json")
                if json.loads(s.string).get("@type") == "JobPosting")
    assert data["validThrough"] == "2026-03-31T23:59:59"  # the end of the last start month
    assert data["datePosted"] == "2026-01-05" and "identifier" not in data
    assert data["qualifications"] == "Actuellement en dernière année d’études · convention de stage obligatoire"
    assert data["title"] == "Stage de fin d’études en ingénierie backend"


def test_closed_by_its_start_window(closed_dist: Path) -> None:
    """Built after March 2026, the posting is closed: its page stays, marked closed; the homes say so kindly."""
    for lang, url, notice in (
        ("en", "/en/jobs/backend-intern/",
         "Applications are closed: this position was to start in February or March 2026."),
        ("fr", "/fr/offres/stage-ingenierie-backend/",
         "Les candidatures sont closes\u00a0: ce poste était à pourvoir en février ou mars 2026."),
    ):
        page = soup(html_file(closed_dist, url))
        assert page.select_one("p.notice.closed").get_text().startswith(notice)
        assert not page.find("script", type="application/ld+json", string=lambda t: "JobPosting" in (t or ""))
        assert page.find("meta", attrs={"name": "robots"})["content"] == "noindex"
        assert not page.select("a.button")
        home = soup(html_file(closed_dist, f"/{lang}/"))
        assert not home.select(".job-list")
    assert soup(html_file(closed_dist, "/en/")).select_one(".no-openings").get_text() == \
        "There are no open positions right now. New openings will be listed here."
    assert soup(html_file(closed_dist, "/fr/")).select_one(".no-openings").get_text() == \
        "Aucun poste n’est à pourvoir pour le moment. Les nouvelles offres seront publiées ici."
    sitemap = (closed_dist / "sitemap.xml").read_text()
    assert "backend-intern" not in sitemap and "stage-ingenierie-backend" not in sitemap


INVENTED = ("raison d’être", "qui émet", "emits", "What we offer", "Ce que nous vous proposons",
            "People you will meet", "Les personnes que vous rencontrerez", "nationalité européenne",
            "permis de travail", "·e", "·es", "·se", "(F/H)", "welcometothejungle.com/en/companies/back-market/jobs\"",
            "backend-engineering-intern-paris-2026", "February–March", "février–mars", "sets the direction",
            "infrastructure and tooling")


def test_no_invented_or_distorted_wording_anywhere(dist: Path, closed_dist: Path) -> None:
    """The recruiter's review: bios, benefits, the carbon claim, work authorisation, mixed inclusive writing."""
    for folder in (dist, closed_dist):
        for path in [*folder.rglob("*.html"), *folder.rglob("*.xml")]:
            text = path.read_text(encoding="utf-8")
            found = [phrase for phrase in INVENTED if phrase in text]
            assert not found, (path, found)


def test_carbon_claim_keeps_the_postings_comparison(dist: Path) -> None:
    en = re.sub(r"[ \n\t]+", " ", soup(html_file(dist, "/en/mission/")).get_text())
    fr = re.sub(r"[ \n\t]+", " ", soup(html_file(dist, "/fr/mission/")).get_text())
    assert "92% less carbon emissions than new" in en
    assert "92\u00a0% d’émissions de carbone en moins que le neuf" in fr


def test_root_chooser_links_every_language_without_script(dist: Path) -> None:
    page = soup(dist / "index.html")
    assert [a["href"] for a in page.select("a.choice")] == ["/en/", "/fr/"]
    assert [a["lang"] for a in page.select("a.choice")] == ["en", "fr"]
    assert not page.find("script")
    assert not page.find("meta", attrs={"http-equiv": "refresh"})


def test_404_is_bilingual(dist: Path) -> None:
    page = soup(dist / "404.html")
    sections = page.select("section.not-found")
    assert [s["lang"] for s in sections] == ["en", "fr"]
    assert [s.a["href"] for s in sections] == ["/en/", "/fr/"]


def test_no_page_needs_javascript(dist: Path) -> None:
    for path in dist.rglob("*.html"):
        scripts = soup(path).find_all("script")
        assert all(s.get("type") == "application/ld+json" for s in scripts), path


def internal_refs(page_path: Path, dist: Path) -> list[str]:
    page = soup(page_path)
    refs = [tag.get(attr) for tag in page.find_all(True) for attr in ("href", "src") if tag.get(attr)]
    return [r for r in refs if not urlsplit(r).scheme and not r.startswith("#")]


def test_every_internal_link_and_asset_resolves(dist: Path) -> None:
    checked = 0
    for path in sorted(dist.rglob("*.html")):
        for ref in internal_refs(path, dist):
            target_path = urlsplit(ref).path
            assert target_path.startswith("/"), f"{path}: relative link {ref}"
            target = dist / target_path.lstrip("/")
            if target_path.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), f"{path.relative_to(dist)} links to missing {ref}"
            checked += 1
    assert checked > 80


def test_fragment_links_point_to_existing_ids(dist: Path) -> None:
    page = soup(html_file(dist, "/en/jobs/backend-intern/"))
    team = soup(html_file(dist, "/en/team/"))
    ids = {tag["id"] for tag in team.find_all(id=True)}
    for link in page.select(".person a"):
        assert link["href"].split("#")[1] in ids


def test_real_site_is_complete_under_strict(tmp_path: Path) -> None:
    from sitegen.pipeline import build

    result = build(REPO, tmp_path / "strict", PUBLISHED, strict=True)
    assert [str(p) for p in result.problems if p.severity != "notice"] == []


def test_a_production_build_refuses_the_placeholder_address(tmp_path: Path) -> None:
    result = build(REPO, tmp_path / "strict", strict=True)
    assert [str(p) for p in result.errors] == [
        "content/_site.yaml: base_url is still a placeholder (https://careers.example.com/): a production build "
        "needs the address the site is published at (set base_url in _site.yaml, pass --base-url https://…, or "
        "build a preview with --preview)"]
    assert not (tmp_path / "strict").exists()
    assert build(REPO, tmp_path / "preview", strict=True, preview=True).ok  # a preview may keep it
