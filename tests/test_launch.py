"""What a launch needs beyond the page body: French typography everywhere a person reads, sharing tags on
the chooser, one amount for a fixed pay, per-language apply links, the requirement fact, the legal notice."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from bs4 import BeautifulSoup

from tests.conftest import TEST_DAY, MakeProject, build_ok, messages, soup

NB, NN = "\u00a0", "\u202f"
ATOM = "{http://www.w3.org/2005/Atom}"
FRENCH_TEXT = (
    "---\ntitle: 'Stagiaire data : 92 % ; prêt ?'\n"
    "description: \"Obligatoire : l'équipe ; 35 h par semaine, 92 % d'entre nous !\"\n"
    "requirement: 'Condition : dernière année ; convention'\n"
    "slug: stagiaire-data\n---\n## Le poste\n\nCompter des choses : 92 % ; vite.\n"
)


def build_french(make_project: MakeProject, tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    root = make_project({"content/jobs/data-intern.fr.md": FRENCH_TEXT, **(extra or {})})
    build_ok(root, tmp_path / "out")
    return tmp_path / "out"


def test_french_typography_in_title_meta_sharing_json_ld_and_feed(make_project: MakeProject, tmp_path: Path) -> None:
    out = build_french(make_project, tmp_path)
    page = soup(out / "fr/offres/stagiaire-data/index.html")
    title = f"Stagiaire data{NB}: 92{NB}%{NN}; prêt{NN}?"
    description = f"Obligatoire{NB}: l’équipe{NN}; 35{NB}h par semaine, 92{NB}% d’entre nous{NN}!"
    assert page.title.get_text().startswith(title)
    assert page.find("meta", attrs={"name": "description"})["content"] == description
    for key in ("og:title", "twitter:title"):
        tag = page.find("meta", property=key) or page.find("meta", attrs={"name": key})
        assert tag["content"] == title, key
    for key in ("og:description", "twitter:description"):
        tag = page.find("meta", property=key) or page.find("meta", attrs={"name": key})
        assert tag["content"] == description, key
    posting = next(json.loads(s.string) for s in page.find_all("script", type="application/ld+json")
                   if '"JobPosting"' in s.string)
    assert posting["title"] == title and posting["qualifications"] == f"Condition{NB}: dernière année{NN}; convention"
    assert f"Compter des choses{NB}: 92{NB}%{NN}; vite." in posting["description"]
    entry = ET.parse(out / "fr/offres.xml").getroot().find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == title
    assert entry.find(f"{ATOM}summary").text == description
    content = entry.find(f"{ATOM}content").text
    assert f"Compter des choses{NB}: 92{NB}%{NN}; vite." in content and f"Lieu{NB}: Lyon" in content
    english = soup(out / "en/jobs/data-intern/index.html")  # English keeps English typography
    assert english.find("meta", attrs={"name": "description"})["content"] == "Count things at Tiny Co."


def test_feed_entries_carry_facts_and_the_apply_link(make_project: MakeProject, tmp_path: Path) -> None:
    out = build_french(make_project, tmp_path)
    for feed, facts in (("en/jobs.xml", ["Duration: 4 months", "Start: April 2026", "Location: Lyon, France"]),
                        ("fr/offres.xml", [f"Durée{NB}: 4{NB}mois", f"Début{NB}: avril 2026"])):
        content = BeautifulSoup(ET.parse(out / feed).getroot().find(f"{ATOM}entry").find(f"{ATOM}content").text,
                                "html.parser")
        items = [li.get_text() for li in content.find_all("li")]
        assert set(facts) <= set(items), items
        assert content.find("a", href="mailto:jobs@tiny.example.org")


def test_chooser_shares_like_the_home_pages(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    build_ok(root, tmp_path / "out")
    page = soup(tmp_path / "out/index.html")
    meta = {m.get("property") or m.get("name"): m["content"] for m in page.find_all("meta") if m.get("content")}
    assert page.title.get_text() == "Tiny home · Accueil minuscule"
    assert meta["og:title"] == meta["twitter:title"] == "Tiny home · Accueil minuscule"
    english = soup(tmp_path / "out/en/index.html").find("meta", attrs={"name": "description"})["content"]
    french = soup(tmp_path / "out/fr/index.html").find("meta", attrs={"name": "description"})["content"]
    assert meta["description"] == meta["og:description"] == meta["twitter:description"] == f"{english} {french}"
    assert meta["og:url"] == "https://tiny.example.org/careers/" and meta["og:type"] == "website"
    assert meta["og:locale"] == "en_GB" and meta["og:locale:alternate"] == "fr_FR"
    assert meta["twitter:card"] in {"summary", "summary_large_image"}


def fact_values(page: BeautifulSoup) -> dict[str, str]:
    return {dt.get_text(): dd.get_text() for dt, dd in zip(page.select("dl dt"), page.select("dl dd"), strict=True)}


def test_one_amount_when_min_equals_max(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    facts = root / "content/jobs/data-intern.yaml"
    facts.write_text(facts.read_text().replace("pay: {min: 700, max: 900,", "pay: {min: 1400, max: 1400,"))
    build_ok(root, tmp_path / "out")
    assert fact_values(soup(tmp_path / "out/fr/offres/stagiaire-data/index.html"))["Rémunération"] == \
        f"1{NN}400{NB}€ par mois"
    page = soup(tmp_path / "out/en/jobs/data-intern/index.html")
    assert fact_values(page)["Pay"] == "€1,400 per month"
    posting = next(json.loads(s.string) for s in page.find_all("script", type="application/ld+json")
                   if '"JobPosting"' in s.string)
    assert posting["baseSalary"]["value"] == {"@type": "QuantitativeValue", "unitText": "MONTH", "value": 1400}


def test_apply_link_per_language_and_requirement_everywhere(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    facts = root / "content/jobs/data-intern.yaml"
    facts.write_text(facts.read_text().replace(
        "apply_url: mailto:jobs@tiny.example.org",
        "apply_url:\n  en: https://jobs.example.org/en/data\n  fr: https://jobs.example.org/fr/data"))
    english = root / "content/jobs/data-intern.en.md"
    english.write_text(english.read_text().replace("description: Count things at Tiny Co.\n",
                                                   "description: Count things at Tiny Co.\n"
                                                   "requirement: Final-year students only\n"))
    build_ok(root, tmp_path / "out")
    for lang, path in (("en", "en/jobs/data-intern/index.html"), ("fr", "fr/offres/stagiaire-data/index.html")):
        page = soup(tmp_path / "out" / path)
        assert {a["href"] for a in page.select("a.button")} == {f"https://jobs.example.org/{lang}/data"}
    page = soup(tmp_path / "out/en/jobs/data-intern/index.html")
    assert fact_values(page)["Requirement"] == "Final-year students only"
    card = soup(tmp_path / "out/en/index.html").select_one(".job-card")
    assert card.select_one(".job-requirement").get_text() == "Final-year students only"
    assert card.select_one(".job-meta").get_text() == "Internship · Lyon · 4 months, starting April 2026"
    # The French text sets no requirement: the French page shows none rather than the English one.
    assert "Condition" not in fact_values(soup(tmp_path / "out/fr/offres/stagiaire-data/index.html"))


def test_legal_notice_page_in_every_language(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    build_ok(root, tmp_path / "out")
    for lang, path, title, labels in (
        ("en", "en/legal-notice/index.html", "Legal notice", ["Publisher", "Registered office", "Registration",
                                                               "Publication director", "Contact", "Host"]),
        ("fr", "fr/mentions-legales/index.html", "Mentions légales", [
            "Éditeur", "Siège social", "Immatriculation", "Direction de la publication", "Contact", "Hébergeur"]),
    ):
        page = soup(tmp_path / "out" / path)
        assert page.html["lang"] == lang and page.h1.get_text() == title
        assert [dt.get_text() for dt in page.select("dl.legal dt")] == labels
        capital = "1 000 €" if lang == "en" else f"1 000{NB}€"  # French typography on the French page
        assert page.select("dl.legal dd")[0].get_text() == f"Tiny Co SAS, capital of {capital}"
        home = soup(tmp_path / "out" / lang / "index.html")
        assert home.select_one("footer a[href$='/" + path.removesuffix("index.html") + "']").get_text() == title


def test_a_french_site_without_a_legal_notice_gets_a_notice(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    site = root / "content/_site.yaml"
    site.write_text(re.sub(r"(?s)# A fixture's legal notice.*", "", site.read_text()))
    result = build_ok(root, tmp_path / "out")
    assert any("no 'legal' block: French law (LCEN, article 6)" in m for m in messages(result))
    assert not (tmp_path / "out/fr/mentions-legales").exists()
    assert not soup(tmp_path / "out/fr/index.html").select("footer a[href*='mentions']")


def test_every_schema_field_has_hover_help_with_an_example() -> None:
    """The README promises a description on hover for every field: each says what it is and gives an example."""
    folder = Path(__file__).parent.parent / "sitegen" / "schemas"
    missing = []

    def walk(node: dict, where: str) -> None:
        for name, field in node.get("properties", {}).items():
            text = field.get("description", "")
            if "e.g." not in text and name != "_source_hashes":
                missing.append(f"{where}.{name}")
            walk(field, f"{where}.{name}")
            if isinstance(field.get("items"), dict):
                walk(field["items"], f"{where}.{name}[]")

    for path in sorted(p for p in folder.glob("*.schema.json") if p.name != "jobs-feed.schema.json"):  # content
        walk(json.loads(path.read_text(encoding="utf-8")), path.name)
    assert not missing, missing


def test_feeds_are_the_same_whether_the_posting_page_was_rendered_or_kept(make_project: MakeProject,
                                                                          tmp_path: Path, monkeypatch) -> None:
    """Feeds reuse the description a posting's page rendered. A page kept from the last build finds it in
    the build's description store, by the page's fingerprint; without one, it is rendered again, and kept
    there for the next build. The bytes are the same every way."""
    from sitegen import render
    from sitegen.pipeline import BuildCache, build

    root = make_project()
    out = tmp_path / "out"
    cache = BuildCache()
    first = build(root, out, cache=cache, today=TEST_DAY)
    assert first.ok and first.rendered == first.page_count
    assert len(cache.descriptions) == 2  # the open posting, in English and in French
    feeds = {name: (out / name).read_bytes() for name in ("en/jobs.xml", "fr/offres.xml", "jobs-indeed.xml")}
    calls: list[str] = []
    real = render.posting_description
    monkeypatch.setattr(render, "posting_description", lambda *a: calls.append("x") or real(*a))
    again = build(root, out, cache=cache, today=TEST_DAY)
    assert again.ok and again.rendered == 2  # the chooser and 404 page; every other page kept
    assert calls == []  # the descriptions came from the store
    assert {name: (out / name).read_bytes() for name in feeds} == feeds
    empty = BuildCache()
    fresh = build(root, out, cache=empty, today=TEST_DAY)
    assert fresh.ok and fresh.rendered == 2 and len(calls) == 2  # no store: rendered again for the feeds
    assert {name: (out / name).read_bytes() for name in feeds} == feeds
    assert len(empty.descriptions) == 2  # and kept by the kept pages' fingerprints, for the next build
    after = build(root, out, cache=empty, today=TEST_DAY)
    assert after.ok and after.rendered == 2 and len(calls) == 2
    assert {name: (out / name).read_bytes() for name in feeds} == feeds
