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
from tests.conftest import PUBLISHED, REPO, MakeProject, build_ok, soup

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
    if "identifier" in posting:
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
    fr = of_type(soup(dist / "fr/offres/stage-ingenierie-backend/index.html"), "JobPosting")[0]
    assert "identifier" not in en and "identifier" not in fr  # the company uses no reference candidates can quote
    assert en["employmentType"] == fr["employmentType"] == ["FULL_TIME", "INTERN"]
    assert en["hiringOrganization"]["@id"] == fr["hiringOrganization"]["@id"]
    assert en["title"] == "Backend Engineer Intern"
    assert fr["title"] == "Stage de fin d’études en ingénierie backend"
    assert "Type de contrat\u00a0: Stage à temps plein" in fr["description"]  # typeset like the page
    assert "baseSalary" not in en  # the posting states none
    assert "Technical fit interview: Video call · 45 min · With your future tutor" in en["description"]
    assert en["validThrough"] == fr["validThrough"] == "2026-03-31T23:59:59"  # the start window's end


def test_organization_people_and_breadcrumbs(dist: Path) -> None:
    home = soup(dist / "fr/index.html")
    (org,) = of_type(home, "Organization")
    assert org["@id"] == "https://careers.example.com/#organization"
    assert org["name"] == "Back Market" and org["url"] == "https://www.backmarket.com/"
    assert "logo" not in org  # no stand-in mark: the company's official logo is not given
    assert of_type(home, "BreadcrumbList") == []
    team = soup(dist / "fr/equipe/index.html")
    graph = next(item for item in ld(team) if "@graph" in item)["@graph"]
    assert [(p["name"], p["jobTitle"]) for p in graph] == [
        ("Théotime", "Lead DevOps"), ("Dawn", "Chief Tech Officer (CTO)")]
    assert all(p["worksFor"] == {"@id": org["@id"]} for p in graph)
    (crumbs,) = of_type(team, "BreadcrumbList")
    assert [(i["position"], i["name"], i["item"]) for i in crumbs["itemListElement"]] == [
        (1, "Carrières", "https://careers.example.com/fr/"),
        (2, "L’équipe", "https://careers.example.com/fr/equipe/")]  # the root is the careers home, not "Offres"
    visible = [a.get_text() for a in team.select("nav.breadcrumbs a")]
    assert visible == ["Carrières", "L’équipe"]


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
    assert facts["Date limite de candidature"] == "31\u00a0mars 2026"
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
        ("en/jobs/data-intern/index.html", "en/index.html", "en/jobs.xml", "The last day to apply was 31 March 2026."),
        ("fr/offres/stagiaire-data/index.html", "fr/index.html", "fr/offres.xml",
         "Les candidatures étaient ouvertes jusqu’au 31\u00a0mars 2026 inclus."),
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


def test_notices_for_missing_facts_and_pay(make_project: MakeProject) -> None:
    facts = "identifier: x\ndate_posted: 2026-01-15\ncontract: internship\nemployment_type: [INTERN]\n" \
            "start: {from: 2026-09, to: 2026-10}\nlocation: {locality: Lyon, country: FR}\n" \
            "apply_url: https://x.example.org/\n"
    root = make_project({"content/jobs/data-intern.yaml": facts})
    result = compile_site(read_project(root), PUBLISHED, BuildCache(), strict=True, today=dt.date(2026, 1, 20))
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
    ]


PAST_START = "date_posted: 2025-08-01\ncontract: internship\nemployment_type: [INTERN]\n" \
             "start: {from: 2025-09, to: 2025-10}\nlocation: {locality: Lyon, country: FR}\n" \
             "apply_url: https://x.example.org/\n"


def test_a_posting_closes_when_its_start_window_ends(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"content/jobs/data-intern.yaml": PAST_START})
    result = compile_site(read_project(root), PUBLISHED, BuildCache(), strict=True, today=dt.date(2026, 1, 20))
    assert result.ok
    assert notices(result) == [
        "content/jobs/data-intern.yaml:4:1: notice: the start window (September or October 2025) ended on 2025-10-31: "
        "the posting is published as closed (if the company confirms a new window, update start and end; "
        "otherwise remove the posting when it is no longer useful)"]
    out = build_on(root, tmp_path / "out", "2025-10-31")  # open on the window's last day
    assert soup(out / "en/jobs/data-intern/index.html").select("a.button")
    out = build_on(root, tmp_path / "later", "2025-11-01")
    page = soup(out / "fr/offres/stagiaire-data/index.html")
    assert page.select_one(".notice.closed").get_text().startswith(
        "Les candidatures sont closes\u00a0: ce poste était à pourvoir en septembre ou octobre 2025.")
    assert not of_type(page, "JobPosting") and not page.select("a.button")


@pytest.mark.parametrize(("extra", "expected"), [
    ("valid_through: 2025-11-15\n", "content/jobs/data-intern.yaml:7:16: valid_through (2025-11-15) is after the "
     "start window ends (2025-10-31): nobody could start after applying (set valid_through on or before 2025-10-31, "
     "or remove it (the posting closes when its start window ends))"),
    ("valid_through: 2025-07-01\n", "content/jobs/data-intern.yaml:1:14: date_posted (2025-08-01) is after the "
     "posting closes (2025-07-01) (date_posted is the day this site published the posting: set a day while it "
     "was open)"),
])
def test_closing_dates_that_cannot_be_true(make_project: MakeProject, extra: str, expected: str) -> None:
    root = make_project({"content/jobs/data-intern.yaml": PAST_START + extra})
    result = compile_site(read_project(root), None, BuildCache(), today=dt.date(2025, 8, 2))
    assert [str(p) for p in result.errors] == [expected]


def test_a_date_posted_in_the_future_is_a_notice(make_project: MakeProject) -> None:
    root = make_project()
    result = compile_site(read_project(root), None, BuildCache(), today=dt.date(2026, 1, 10))
    assert result.ok
    assert "content/jobs/data-intern.yaml:2:1: notice: date_posted (2026-01-15) is after the build date " \
           "(2026-01-10): the page says it was posted on a day still to come (set the day the posting is published)" \
           in notices(result)


@pytest.mark.parametrize(("pay", "extra", "expected"), [
    ("{min: 600, currency: EUR, unit: MONTH}", "", "pay of 3.96 EUR/h is below the legal minimum internship "
     "gratification for 2026: 4.50 EUR/h, so at 35 h a week at least 682.50 EUR a month (raise the pay, or check "
     "the unit and hours_per_week)"),
    ("{min: 4.2, currency: EUR, unit: HOUR}", "", "pay of 4.20 EUR/h is below the legal minimum internship "
     "gratification for 2026: 4.50 EUR/h, so at 35 h a week at least 682.50 EUR a month (raise the pay, or check "
     "the unit and hours_per_week)"),
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


@pytest.mark.parametrize(("pay", "expected"), [
    ("{min: 300, currency: EUR, unit: MONTH}", "content/jobs/data-intern.yaml:11:12: pay of 1.98 EUR/h is below "
     "the legal minimum internship gratification for 2026, the latest year known (it never falls): 4.50 EUR/h, "
     "so at 35 h a week at least 682.50 EUR a month (raise the pay, or check the unit and hours_per_week)"),
    ("{min: 700, currency: EUR, unit: MONTH}", None),
])
def test_a_year_missing_from_the_table_uses_the_latest_known_minimum(make_project: MakeProject, pay: str,
                                                                     expected: str | None) -> None:
    root = make_project()
    path = root / "content/jobs/data-intern.yaml"
    text = path.read_text().replace("start: {from: 2026-04, to: 2026-04}", "start: {from: 2031-04, to: 2031-04}")
    path.write_text(text.replace("valid_through: 2026-03-31\n", "").replace(
        "pay: {min: 700, max: 900, currency: EUR, unit: MONTH}", f"pay: {pay}"))
    result = compile_site(read_project(root), None, BuildCache())
    assert [str(p) for p in result.errors] == ([expected] if expected else [])


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
    for lang, feed, title in (("en", "en/jobs.xml", "Backend Engineer Intern"),
                              ("fr", "fr/offres.xml", "Stage de fin d’études en ingénierie backend")):
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
            f"tag:careers.example.com,2026-01-05:jobs/backend-intern/{lang}")
        # The entry carries the facts and the apply link, as the JobPosting description does.
        content = BeautifulSoup(entry.find(f"{ATOM}content").text, "html.parser")
        apply = content.find("a", href=re.compile("welcometothejungle"))
        assert apply["href"].endswith(f"/{lang}/companies/back-market/jobs/backend-engineer-intern_paris")
        items = [li.get_text() for li in content.find_all("li")]
        facts = {"en": ["Duration: 6 months", "Working hours: 35\u00a0hours a week", "Start: February or March 2026",
                        "Location: Paris, France",
                        "Requirement: Currently enrolled final-year students only · internship agreement required"],
                 "fr": ["Durée\u00a0: 6\u00a0mois", "Temps de travail\u00a0: 35\u00a0h par semaine",
                        "Début\u00a0: février ou mars 2026", "Lieu\u00a0: Paris, France",
                        "Condition\u00a0: Actuellement en dernière année d’études · convention de stage obligatoire"]}
        assert set(facts[lang]) <= set(items), items
        href = entry.find(f"{ATOM}link").get("href").removeprefix("https://careers.example.com/")
        assert (dist / href / "index.html").is_file()
        assert dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text.replace("Z", "+00:00"))
    french = (dist / "fr/offres.xml").read_text()
    assert "Obligatoire\u00a0:" in french and "d’exploitation\u202f; Linux" in french  # French typography
    assert "Obligatoire :" not in french and " ; " not in french
