"""Found by candidates: JSON-LD, expiry, Open Graph, sitemap, feeds and robots.txt."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from build import main
from sitegen.i18n import country, long_date, money, months
from sitegen.images import image_size
from sitegen.pipeline import BuildCache, build, compile_site
from sitegen.sources import read_project
from tests.conftest import REPO, MakeProject, build_ok, soup

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
EMPLOYMENT = {"FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN", "VOLUNTEER", "PER_DIEM", "OTHER"}
LOCALES = {"en": "en_GB", "fr": "fr_FR"}


def ld(page: BeautifulSoup) -> list[dict]:
    return [json.loads(s.string) for s in page.find_all("script", type="application/ld+json")]


def of_type(page: BeautifulSoup, kind: str) -> list[dict]:
    return [item for item in ld(page) if item.get("@type") == kind]


def visible_text(page: BeautifulSoup) -> str:
    copy = BeautifulSoup(str(page), "html.parser")
    for tag in copy(["script", "style", "head"]):
        tag.decompose()
    return " ".join(copy.get_text(" ").split())


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("search") / "dist"
    result = build(REPO, out, today=dt.date(2026, 1, 20))
    assert result.ok
    return out


@pytest.fixture
def tiny_dist(make_project: MakeProject, tmp_path: Path) -> Path:
    root = make_project()
    build_ok(root, tmp_path / "out")
    return tmp_path / "out"


def pages(dist: Path) -> list[Path]:
    return sorted(p for p in dist.rglob("*.html") if p.name == "index.html" and p.parent != dist)


def check_job_posting(posting: dict, page: BeautifulSoup, lang: str) -> None:
    """Check the required and recommended properties, and that every value shows on the page."""
    text = flat(visible_text(page))
    locale = LOCALES[lang]
    for key in ("title", "description", "datePosted", "hiringOrganization", "jobLocation"):
        assert posting.get(key), key
    assert posting["inLanguage"] == lang
    assert posting["title"] == page.h1.get_text() and "!" not in posting["title"]
    assert dt.date.fromisoformat(posting["datePosted"])
    assert flat(long_date(dt.date.fromisoformat(posting["datePosted"]), locale)) in text
    org = posting["hiringOrganization"]
    assert org["@type"] == "Organization" and org["@id"].endswith("#organization")
    assert org["name"] in text and org["url"].startswith("https://")
    address = posting["jobLocation"]["address"]
    assert posting["jobLocation"]["@type"] == "Place" and address["@type"] == "PostalAddress"
    for key in ("addressLocality", "addressRegion"):
        if key in address:
            assert address[key] in text
    assert country(address["addressCountry"], locale) in text
    assert set(posting["employmentType"]) <= EMPLOYMENT
    assert posting["identifier"]["value"] in text
    assert isinstance(posting["directApply"], bool)
    assert "jobLocationType" not in posting
    if "validThrough" in posting:
        day = dt.datetime.fromisoformat(posting["validThrough"]).date()
        assert flat(long_date(day, locale)) in text
    if "baseSalary" in posting:
        value = posting["baseSalary"]["value"]
        assert value["unitText"] in {"HOUR", "DAY", "WEEK", "MONTH", "YEAR"}
        for key in ("minValue", "maxValue", "value"):
            if key in value:
                assert flat(money(value[key], posting["baseSalary"]["currency"], locale)) in text
    if "experienceRequirements" in posting:
        months_needed = posting["experienceRequirements"]["monthsOfExperience"]
        assert months_needed == 0 or flat(months(months_needed, locale)) in text
    # The description is the whole posting: its text and facts are on the page too.
    description = BeautifulSoup(posting["description"], "html.parser")
    for item in description.find_all(["li", "h2"]):
        words = flat(item.get_text()).split(": ")[-1].split(" : ")[-1]
        assert words in text, words


def test_job_posting_on_posting_pages_only(dist: Path) -> None:
    for path in pages(dist):
        page = soup(path)
        postings = of_type(page, "JobPosting")
        if "/jobs/" in path.as_posix() or "/offres/" in path.as_posix():
            assert len(postings) == 1, path
            check_job_posting(postings[0], page, page.html["lang"])
        else:
            assert postings == [], path


def test_job_posting_ids_are_the_same_in_every_language(dist: Path) -> None:
    en = of_type(soup(dist / "en/jobs/backend-intern/index.html"), "JobPosting")[0]
    fr = of_type(soup(dist / "fr/offres/stagiaire-ingenieur-backend/index.html"), "JobPosting")[0]
    assert en["identifier"] == fr["identifier"]
    assert en["employmentType"] == fr["employmentType"] == ["FULL_TIME", "INTERN"]
    assert en["hiringOrganization"]["@id"] == fr["hiringOrganization"]["@id"]
    assert en["title"] == "Backend Engineering Intern"
    assert fr["title"] == "Stagiaire ingénieur·e backend (F/H)"
    assert "Contrat\u00a0: Stage, temps plein" in fr["description"]  # typeset like the page
    assert "baseSalary" not in en and "validThrough" not in en  # the posting states neither


def test_organization_people_and_breadcrumbs(dist: Path) -> None:
    home = soup(dist / "fr/index.html")
    (org,) = of_type(home, "Organization")
    assert org["@id"] == "https://careers.example.com/#organization"
    assert org["name"] == "Back Market" and org["url"] == "https://www.backmarket.com/"
    assert re.fullmatch(r"https://careers\.example\.com/assets/logo\.[0-9a-f]{8}\.png", org["logo"])
    assert of_type(home, "BreadcrumbList") == []
    team = soup(dist / "fr/equipe/index.html")
    graph = next(item for item in ld(team) if "@graph" in item)["@graph"]
    assert [(p["name"], p["jobTitle"]) for p in graph] == [
        ("Théotime", "Lead DevOps"), ("Dawn", "Chief Technology Officer (CTO)")]
    assert all(p["worksFor"] == {"@id": org["@id"]} for p in graph)
    (crumbs,) = of_type(team, "BreadcrumbList")
    assert [(i["position"], i["name"], i["item"]) for i in crumbs["itemListElement"]] == [
        (1, "Offres", "https://careers.example.com/fr/"), (2, "L’équipe", "https://careers.example.com/fr/equipe/")]
    visible = [a.get_text() for a in team.select("nav.breadcrumbs a")]
    assert visible == ["Offres", "L’équipe"]


def test_all_facts_are_marked_up_and_visible(tiny_dist: Path) -> None:
    for path, lang in (("en/jobs/data-intern/index.html", "en"), ("fr/offres/stagiaire-data/index.html", "fr")):
        page = soup(tiny_dist / path)
        (posting,) = of_type(page, "JobPosting")
        check_job_posting(posting, page, lang)
        assert posting["validThrough"] == "2026-03-31T23:59:59"
        assert posting["baseSalary"] == {"@type": "MonetaryAmount", "currency": "EUR", "value": {
            "@type": "QuantitativeValue", "unitText": "MONTH", "minValue": 700, "maxValue": 900}}
        assert posting["educationRequirements"] == {"@type": "EducationalOccupationalCredential",
                                                    "credentialCategory": "bachelor degree"}
        assert posting["experienceRequirements"]["monthsOfExperience"] == 0
    fr = soup(tiny_dist / "fr/offres/stagiaire-data/index.html")
    facts = {d.get_text(): v.get_text() for d, v in zip(fr.select("dl dt"), fr.select("dl dd"), strict=True)}
    assert facts["Rémunération"] == "700\u00a0€–900\u00a0€ par mois"
    assert facts["Candidater avant le"] == "31 mars 2026"
    assert facts["Diplôme"] == "Licence (bac + 3)"


def test_json_ld_cannot_be_broken_out_of(make_project: MakeProject, tmp_path: Path) -> None:
    payload = "</script><script>alert(1)</script><!-- & >"
    root = make_project({"content/jobs/data-intern.en.md":
                         f"---\ntitle: '{payload}'\ndescription: '{payload}'\n---\n{payload}\n"})
    build_ok(root, tmp_path / "out")
    html = (tmp_path / "out/en/jobs/data-intern/index.html").read_text()
    page = BeautifulSoup(html, "html.parser")
    scripts = page.find_all("script")
    assert all(s.get("type") == "application/ld+json" for s in scripts)
    (posting,) = of_type(page, "JobPosting")
    assert posting["title"] == payload
    assert "</script><script>" not in html.split("application/ld+json", 1)[1].split("</script>", 1)[0]


def build_on(root: Path, out: Path, day: str) -> Path:
    assert main(["--project", str(root), "build", "--today", day, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(("day", "is_open"), [("2026-03-30", True), ("2026-03-31", True), ("2026-04-01", False)])
def test_expiry(make_project: MakeProject, tmp_path: Path, day: str, is_open: bool) -> None:
    out = build_on(make_project(), tmp_path / "out", day)
    for path, home, feed, closed_text in (
        ("en/jobs/data-intern/index.html", "en/index.html", "en/jobs.xml", "Applications closed on 31 March 2026."),
        ("fr/offres/stagiaire-data/index.html", "fr/index.html", "fr/offres.xml",
         "Les candidatures sont closes depuis le 31 mars 2026."),
    ):
        page = soup(out / path)
        assert bool(page.select("a.button")) is is_open
        assert bool(of_type(page, "JobPosting")) is is_open
        robots = page.find("meta", attrs={"name": "robots"})
        assert (robots is None) is is_open and (is_open or robots["content"] == "noindex")
        notice = page.select_one(".notice.closed")
        assert (notice is None) is is_open
        if not is_open:
            assert notice.get_text().startswith(closed_text)
        assert bool(soup(out / home).select(".job-list a")) is is_open
        entries = ET.parse(out / feed).getroot().findall(f"{ATOM}entry")
        assert len(entries) == (1 if is_open else 0)
    locs = [u.find(f"{SM}loc").text for u in ET.parse(out / "sitemap.xml").getroot()]
    assert any("/jobs/data-intern/" in loc for loc in locs) is is_open


def test_build_date_from_source_date_epoch(make_project: MakeProject, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 4, 2, tzinfo=dt.UTC).timestamp())))
    root = make_project()
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "out")]) == 0
    assert soup(tmp_path / "out/en/jobs/data-intern/index.html").select_one(".notice.closed")


def notices(result) -> list[str]:
    return [str(p) for p in result.problems if p.severity == "notice"]


def test_notices_for_missing_facts_pay_and_a_past_start(make_project: MakeProject) -> None:
    facts = "identifier: x\ndate_posted: 2026-01-15\ncontract: internship\nemployment_type: [INTERN]\n" \
            "start: {from: 2025-09, to: 2025-10}\nlocation: {locality: Lyon, country: FR}\n" \
            "apply_url: https://x.example.org/\n"
    root = make_project({"content/jobs/data-intern.yaml": facts})
    result = compile_site(read_project(root), None, BuildCache(), strict=True, today=dt.date(2026, 1, 20))
    assert result.ok  # notices never fail a build, even under --strict
    path = "content/jobs/data-intern.yaml"
    assert notices(result) == [
        f"{path}:1:1: notice: no 'education': Google for Jobs recommends the required degree "
        "(educationRequirements) (add 'education: …' when the posting requires a degree)",
        f"{path}:1:1: notice: no 'experience_months': Google for Jobs recommends the required experience "
        "(experienceRequirements) (add 'experience_months: N' when the posting states it)",
        f"{path}:1:1: notice: no 'pay': the EU pay transparency directive asks employers to publish pay in job ads "
        "(baseSalary) (add 'pay: {min: …, max: …, currency: EUR, unit: MONTH}')",
        f"{path}:1:1: notice: no 'valid_through': Google for Jobs recommends a closing date (validThrough) "
        "(add 'valid_through: YYYY-MM-DD' when the posting states one)",
        f"{path}:5:1: notice: the start window (September–October 2025) lies wholly before 2026-01-20: the posting "
        "is probably out of date (update start and end, set valid_through, or remove the posting)",
    ]


@pytest.mark.parametrize(("pay", "extra", "expected"), [
    ("{min: 600, currency: EUR, unit: MONTH}", "", "pay of 3.96 EUR/h is below the legal minimum internship "
     "gratification for 2026 (4.50 EUR/h) (raise the pay, or check the unit and hours_per_week)"),
    ("{min: 4.2, currency: EUR, unit: HOUR}", "", "pay of 4.20 EUR/h is below the legal minimum internship "
     "gratification for 2026 (4.50 EUR/h) (raise the pay, or check the unit and hours_per_week)"),
    ("{min: 4.5, currency: EUR, unit: HOUR}", "", None),
    ("{min: 690, currency: EUR, unit: MONTH}", "", None),  # 690 / (35 × 52 / 12) = 4.55
    ("{min: 600, currency: EUR, unit: MONTH}", "duration_months: 2\n", None),  # not due for two months
])
def test_legal_minimum_internship_pay(make_project: MakeProject, pay: str, extra: str, expected: str | None) -> None:
    root = make_project()
    path = root / "content/jobs/data-intern.yaml"
    text = path.read_text().replace("pay: {min: 700, max: 900, currency: EUR, unit: MONTH}", f"pay: {pay}")
    path.write_text(text.replace("duration_months: 4\n", extra) if extra else text)
    errors = [str(p) for p in compile_site(read_project(root), None, BuildCache()).errors]
    assert errors == ([f"content/jobs/data-intern.yaml:12:12: {expected}"] if expected else [])


def test_unknown_year_for_the_legal_minimum(make_project: MakeProject) -> None:
    root = make_project()
    path = root / "content/jobs/data-intern.yaml"
    text = path.read_text().replace("start: {from: 2026-04, to: 2026-04}", "start: {from: 2031-04, to: 2031-04}")
    path.write_text(text)
    result = compile_site(read_project(root), None, BuildCache())
    assert "content/jobs/data-intern.yaml:12:1: notice: no legal minimum internship pay is known for 2031 "\
           "(add it to sitegen/data/internship_minimum.json)" in notices(result)


def test_every_page_shares_well(dist: Path) -> None:
    titles, descriptions = set(), set()
    for path in pages(dist):
        page = soup(path)
        meta = {m.get("property") or m.get("name"): m.get("content") for m in page.find_all("meta")}
        title, description = page.title.get_text(), meta["description"]
        assert title not in titles and description not in descriptions, path
        titles.add(title)
        descriptions.add(description)
        canonical = page.find("link", rel="canonical")["href"]
        assert meta["og:url"] == canonical and meta["og:type"] == "website"
        assert meta["og:title"] and meta["og:description"] == description
        assert meta["og:locale"] == LOCALES[page.html["lang"]]
        assert meta["twitter:card"] == "summary_large_image"
        image = dist / meta["og:image"].removeprefix("https://careers.example.com/")
        assert image_size(image.read_bytes()) == (int(meta["og:image:width"]), int(meta["og:image:height"]))
        assert (int(meta["og:image:width"]), int(meta["og:image:height"])) == (1200, 630)
        feed = page.find("link", rel="alternate", type="application/atom+xml")
        assert (dist / feed["href"].lstrip("/")).is_file()


def test_a_posting_may_set_its_own_share_image(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    path = root / "content/jobs/data-intern.yaml"
    path.write_text(path.read_text() + "image: logo.png\n")
    build_ok(root, tmp_path / "out")
    page = soup(tmp_path / "out/en/jobs/data-intern/index.html")
    assert re.search(r"/assets/logo\.[0-9a-f]{8}\.png$", page.find("meta", property="og:image")["content"])
    assert page.find("meta", property="og:image:width")["content"] == "512"


def test_sitemap_feeds_and_robots(dist: Path) -> None:
    robots = (dist / "robots.txt").read_text()
    assert robots.splitlines()[-1] == "Sitemap: https://careers.example.com/sitemap.xml"
    for lang, feed, title in (("en", "en/jobs.xml", "Backend Engineering Intern"),
                              ("fr", "fr/offres.xml", "Stagiaire ingénieur·e backend (F/H)")):
        root = ET.parse(dist / feed).getroot()
        assert root.tag == f"{ATOM}feed"
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        for child in ("id", "title", "updated", "author"):
            assert root.find(f"{ATOM}{child}") is not None, child
        self_link = next(link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self")
        assert self_link.get("href") == f"https://careers.example.com/{feed}"
        (entry,) = root.findall(f"{ATOM}entry")
        assert entry.find(f"{ATOM}title").text == title
        assert entry.find(f"{ATOM}id").text == (
            f"tag:careers.example.com,2026-11-27:backend-engineering-intern-paris-2026/{lang}")
        href = entry.find(f"{ATOM}link").get("href").removeprefix("https://careers.example.com/")
        assert (dist / href / "index.html").is_file()
        assert dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text.replace("Z", "+00:00"))
