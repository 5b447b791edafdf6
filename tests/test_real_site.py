"""A build of the real site: pages, languages, titles, switcher targets, links that resolve."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO, build_ok, soup

EXPECTED = {
    # url: (lang, title text, counterpart url)
    "/en/": ("en", "Careers at Back Market", "/fr/"),
    "/fr/": ("fr", "Rejoindre Back Market", "/en/"),
    "/en/jobs/backend-intern/": ("en", "Backend Engineering Intern – Back Market Careers",
                                 "/fr/offres/stagiaire-ingenieur-backend/"),
    "/fr/offres/stagiaire-ingenieur-backend/": (
        "fr", "Stagiaire ingénieur·e backend (F/H) – Carrières Back Market", "/en/jobs/backend-intern/"),
    "/en/mission/": ("en", "Our mission – Back Market Careers", "/fr/mission/"),
    "/fr/mission/": ("fr", "Notre mission – Carrières Back Market", "/en/mission/"),
    "/en/team/": ("en", "The team – Back Market Careers", "/fr/equipe/"),
    "/fr/equipe/": ("fr", "L’équipe – Carrières Back Market", "/en/team/"),
    "/en/process/": ("en", "Hiring process – Back Market Careers", "/fr/recrutement/"),
    "/fr/recrutement/": ("fr", "Processus de recrutement – Carrières Back Market", "/en/process/"),
    "/en/accessibility/": ("en", "Accessibility statement – Back Market Careers", "/fr/accessibilite/"),
    "/fr/accessibilite/": ("fr", "Déclaration d’accessibilité – Carrières Back Market", "/en/accessibility/"),
}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real") / "dist"
    build_ok(REPO, out)
    return out


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
        "Contract": "Internship, full time",
        "Duration": "6 months",
        "Working hours": "35\u00a0h/week",
        "Start": "February–March 2026",
        "End": "August–September 2026",
        "Location": "Paris, Île-de-France, France",
        "Reference": "backend-engineering-intern-paris-2026",
    }
    apply = page.select_one("a.button")
    assert apply["href"].startswith("https://")
    assert [h.get_text() for h in page.select(".person h3")] == ["Théotime", "Dawn"]
    steps = page.select("ol.timeline > li")
    assert [s.h3.get_text() for s in steps] == ["Recruiter interview", "Technical fit interview",
                                                 "Team fit interview"]
    assert [s.time["datetime"] for s in steps] == ["PT30M", "PT45M", "PT30M"]
    assert "Mandatory:" in page.select_one(".prose").get_text()


def test_french_posting_facts(dist: Path) -> None:
    page = soup(html_file(dist, "/fr/offres/stagiaire-ingenieur-backend/"))
    values = [dd.get_text() for dd in page.select("dl dd")]
    assert values == ["Stage, temps plein", "6\u00a0mois", "35\u00a0h par semaine", "février–mars 2026",
                      "août–septembre 2026", "Paris, Île-de-France, France", "backend-engineering-intern-paris-2026"]


def test_team_page_lists_people_with_initials_avatars(dist: Path) -> None:
    page = soup(html_file(dist, "/fr/equipe/"))
    people = page.select("li.person")
    assert [p["id"] for p in people] == ["theotime", "dawn"]
    assert [p.select_one("svg.avatar text").get_text() for p in people] == ["T", "D"]
    assert [p.select_one(".role").get_text() for p in people] == ["Lead DevOps", "Chief Technology Officer (CTO)"]
    assert all(p.select_one("svg")["aria-hidden"] == "true" for p in people)


def test_home_lists_open_postings(dist: Path) -> None:
    for url, target in (("/en/", "/en/jobs/backend-intern/"), ("/fr/", "/fr/offres/stagiaire-ingenieur-backend/")):
        links = [a["href"] for a in soup(html_file(dist, url)).select(".job-list a")]
        assert links == [target]


def test_root_chooser_links_every_language_without_script(dist: Path) -> None:
    page = soup(dist / "index.html")
    assert [a["href"] for a in page.select("a.choice")] == ["/en/", "/fr/"]
    assert [a["lang"] for a in page.select("a.choice")] == ["en", "fr"]
    assert not page.find("script")
    assert not page.find("meta", attrs={"http-equiv": True})


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

    result = build(REPO, tmp_path / "strict", strict=True)
    assert [str(p) for p in result.problems if p.severity != "notice"] == []
