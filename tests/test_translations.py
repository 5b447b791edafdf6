"""Translations: pairing, hreflang and sitemap, fallbacks, stale translations, catalogues, a third language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from build import main
from sitegen.pipeline import build
from sitegen.translations import set_source_hash, set_string_hashes
from tests.conftest import REPO, MakeProject, build_ok, messages, soup

XHTML = "{http://www.w3.org/1999/xhtml}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tr") / "dist"
    build_ok(REPO, out)
    return out


def file_for(dist: Path, url: str, base: str) -> Path:
    rel = url.removeprefix(base).lstrip("/")
    return dist / rel / "index.html" if not rel or rel.endswith("/") else dist / rel


def head_links(path: Path) -> tuple[str, dict[str, str]]:
    page = soup(path)
    canonical = page.find("link", rel="canonical")["href"]
    return canonical, {link["hreflang"]: link["href"] for link in page.find_all("link", rel="alternate")
                       if link.get("hreflang")}


def sitemap(dist: Path) -> dict[str, tuple[str | None, dict[str, str]]]:
    root = ET.parse(dist / "sitemap.xml").getroot()
    entries = {}
    for url in root.findall(f"{SM}url"):
        lastmod = url.find(f"{SM}lastmod")
        alternates = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")}
        entries[url.find(f"{SM}loc").text] = (lastmod.text if lastmod is not None else None, alternates)
    return entries


BASE = "https://careers.example.com"


def test_every_page_has_canonical_and_reciprocal_hreflang(dist: Path) -> None:
    pages = sorted(p for p in (dist / "en").rglob("*.html")) + sorted((dist / "fr").rglob("*.html"))
    assert len(pages) == 12
    for path in pages:
        canonical, links = head_links(path)
        assert canonical == BASE + "/" + path.parent.relative_to(dist).as_posix() + "/"
        assert set(links) == {"en", "fr", "x-default"}
        assert canonical in links.values()
        for lang in ("en", "fr"):  # each alternate announces exactly the same set
            _, theirs = head_links(file_for(dist, links[lang], BASE))
            assert theirs == links
        page = soup(path)
        lang = page.html["lang"]
        assert page.find("meta", property="og:locale")["content"] == {"en": "en_GB", "fr": "fr_FR"}[lang]
        assert [m["content"] for m in page.find_all("meta", property="og:locale:alternate")] == [
            {"en": "fr_FR", "fr": "en_GB"}[lang]]


def test_x_default_is_the_chooser_for_home_and_english_elsewhere(dist: Path) -> None:
    assert head_links(dist / "fr/index.html")[1]["x-default"] == BASE + "/"
    assert head_links(dist / "fr/equipe/index.html")[1]["x-default"] == BASE + "/en/team/"
    _, chooser = head_links(dist / "index.html")
    assert chooser == {"en": BASE + "/en/", "fr": BASE + "/fr/", "x-default": BASE + "/"}


def test_sitemap_alternates_match_page_heads_exactly(dist: Path) -> None:
    entries = sitemap(dist)
    assert len(entries) == 13  # the chooser and twelve pages
    for loc, (_lastmod, alternates) in entries.items():
        canonical, links = head_links(file_for(dist, loc, BASE))
        assert canonical == loc
        assert alternates == links
    assert entries[BASE + "/en/jobs/backend-intern/"][0] == "2026-01-05"
    assert entries[BASE + "/fr/equipe/"][0] == "2026-11-29"


def test_sitemap_lastmod_comes_from_content_not_the_clock(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"content/pages/team.en.md": "---\ntitle: Team\ndescription: d\nlayout: team\n"
                                                     "updated: 2025-03-04\n---\nx\n"})
    build(root, tmp_path / "out")
    entries = sitemap(tmp_path / "out")
    base = "https://tiny.example.org/careers"
    assert entries[base + "/en/team/"][0] == "2025-03-04"
    assert entries[base + "/fr/equipe/"][0] is None
    assert entries[base + "/en/jobs/data-intern/"][0] == "2026-01-15"


def test_third_language_needs_no_code_or_template_change(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project(site="trilingual")
    result = build(root, tmp_path / "out")
    assert result.ok, messages(result)
    assert result.pages_per_lang == {"en": 2, "fr": 2, "de": 2}
    out = tmp_path / "out"
    page = soup(out / "de/team/index.html")
    assert page.html["lang"] == "de" and page.title.get_text() == "Team – Three Co Karriere"
    switcher = [(a["href"], a["hreflang"], a["lang"], a.get_text()) for a in page.select("nav.switcher a")]
    assert switcher == [("/en/team/", "en", "en", "English"), ("/fr/equipe/", "fr", "fr", "Français")]
    _, links = head_links(out / "fr/equipe/index.html")
    assert links == {"en": "https://three.example.org/en/team/", "fr": "https://three.example.org/fr/equipe/",
                     "de": "https://three.example.org/de/team/", "x-default": "https://three.example.org/en/team/"}
    assert [a["href"] for a in soup(out / "index.html").select("a.choice")] == ["/en/", "/fr/", "/de/"]
    # French typography applies to French only.
    assert soup(out / "fr/index.html").select_one(".prose p").get_text() == "Bienvenue\u00a0: trois langues\u202f!"
    assert soup(out / "de/index.html").select_one(".prose p").get_text() == "Willkommen: drei Sprachen!"
    assert len(sitemap(out)) == 7


def test_missing_translation_warns_and_falls_back(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"content/pages/team.fr.md": None})
    result = build(root, tmp_path / "out")
    assert result.ok
    assert "content/pages/team.fr.md: warning: missing translation (translate content/pages/team.en.md "\
           "into this file)" in messages(result)
    fallback = soup(tmp_path / "out/fr/team/index.html")
    assert fallback.html["lang"] == "fr"
    notice = fallback.select_one("main .notice")
    assert notice.get_text() == "Cette page n’est pas encore disponible en français. La voici en anglais."
    assert fallback.h1["lang"] == "en" and fallback.h1.get_text() == "Team"
    assert fallback.select_one("main .prose")["lang"] == "en"
    canonical, links = head_links(tmp_path / "out/fr/team/index.html")
    assert canonical == "https://tiny.example.org/careers/en/team/"
    assert links == {}  # no hreflang claims it is a translation
    assert fallback.find("meta", property="og:locale:alternate") is None
    # The English page does not announce the fallback, but its switcher still leads there.
    _, en_links = head_links(tmp_path / "out/en/team/index.html")
    assert set(en_links) == {"en", "x-default"}
    link = soup(tmp_path / "out/en/team/index.html").select_one("nav.switcher a")
    assert link["href"] == "/careers/fr/team/" and link["lang"] == "fr" and not link.get("hreflang")
    assert "https://tiny.example.org/careers/fr/team/" not in sitemap(tmp_path / "out")


def test_missing_translation_is_an_error_under_strict(make_project: MakeProject, tmp_path: Path, capsys) -> None:
    root = make_project({"content/pages/team.fr.md": None})
    assert main(["--project", str(root), "build", "--strict", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "content/pages/team.fr.md: missing translation (translate content/pages/team.en.md into this file)" in err
    assert not (tmp_path / "out").exists()


def test_fallback_posting_person_and_step(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({"content/jobs/data-intern.fr.md": None, "content/people/ada.fr.md": None,
                         "content/process/call.fr.md": None})
    build_ok(root, tmp_path / "out")
    home = soup(tmp_path / "out/fr/index.html")
    assert home.select_one(".job-list h3")["lang"] == "en"
    posting = soup(tmp_path / "out/fr/offres/data-intern/index.html")
    assert posting.h1["lang"] == "en"
    assert posting.select_one(".person .role")["lang"] == "en"
    assert posting.select_one(".step h3")["lang"] == "en"
    assert posting.select_one("dl dt").get_text() == "Type de contrat"  # the page's own language for the interface


def run(root: Path, *args: str) -> int:
    return main(["--project", str(root), "translations", *args])


def test_stale_then_marked_synced(make_project: MakeProject, capsys) -> None:
    root = make_project()
    for rel in ("content/pages/home.fr.md", "content/pages/team.fr.md", "content/jobs/data-intern.fr.md",
                "content/people/ada.fr.md", "content/process/call.fr.md", "content/_strings.fr.yaml"):
        assert run(root, "--mark-synced", rel) == 0
    capsys.readouterr()
    assert run(root, "--strict") == 0
    assert "0 missing, 0 stale, 0 orphaned" in capsys.readouterr().out
    source = root / "content/pages/team.en.md"
    source.write_text(source.read_text().replace("Who we are.", "Who we are, and what we do."))
    assert run(root, "--strict") == 1
    table = capsys.readouterr().out
    assert [line.split() for line in table.splitlines() if line.startswith("content/pages/team")] == [
        ["content/pages/team", "present", "stale"]]
    result = build(root, None)
    assert "content/pages/team.fr.md: warning: translation is out of date: content/pages/team.en.md changed "\
           "since it was synced (update it, then run: python3 build.py translations --mark-synced "\
           "content/pages/team.fr.md)" in messages(result)
    assert run(root, "--mark-synced", "content/pages/team.fr.md") == 0
    assert run(root, "--strict") == 0
    # Front matter that is not translated (slug, layout) does not make a translation stale.
    source.write_text(source.read_text().replace("layout: team", "layout: team\nupdated: 2026-02-02"))
    assert run(root, "--strict") == 0


def test_table_shows_missing_and_orphaned(make_project: MakeProject, capsys) -> None:
    root = make_project({"content/pages/team.en.md": None, "content/pages/home.fr.md": None})
    assert run(root) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()
            if line.startswith("content/")}
    assert rows["content/pages/team"] == ["missing", "orphaned"]
    assert rows["content/pages/home"] == ["present", "missing"]
    assert run(root, "--strict") == 1


def test_string_key_states(make_project: MakeProject, capsys) -> None:
    root = make_project()
    assert run(root, "--mark-synced", "content/_strings.fr.yaml") == 0
    en = root / "content/_strings.en.yaml"
    en.write_text(en.read_text().replace("apply_now: Apply now", "apply_now: Apply today"))
    fr = root / "content/_strings.fr.yaml"
    fr.write_text(fr.read_text().replace("\n_source_hashes:", "extra_key: en trop\n_source_hashes:"))
    capsys.readouterr()
    run(root)
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()
            if line.startswith("strings:")}
    assert rows["strings:apply_now"] == ["present", "stale"]
    assert rows["strings:extra_key"] == ["missing", "orphaned"]
    assert rows["strings:skip_to_content"] == ["present", "present"]


def test_mark_synced_refuses_source_files_and_unknown_paths(make_project: MakeProject, capsys) -> None:
    root = make_project()
    assert run(root, "--mark-synced", "content/pages/team.en.md") == 1
    assert run(root, "--mark-synced", "content/pages/nope.fr.md") == 1
    err = capsys.readouterr().err
    assert "content/pages/team.en.md: this is a source-language file" in err
    assert "content/pages/nope.fr.md: not a content file that parses" in err


def test_unused_and_undefined_ui_strings(make_project: MakeProject, capsys) -> None:
    root = make_project()
    for lang in ("en", "fr"):
        path = root / f"content/_strings.{lang}.yaml"
        path.write_text(path.read_text().replace("\n_source_hashes:", "\nnever_used: x\n_source_hashes:")
                        if "_source_hashes" in path.read_text() else path.read_text() + "never_used: x\n")
    run(root)
    assert "unused UI strings (no template uses them): never_used" in capsys.readouterr().out
    footer = root / "templates/_partials/footer.html"
    footer.write_text(footer.read_text() + "{{ t('footer_legal') }}\n")
    line = len(footer.read_text().splitlines())
    result = build(root, None)
    assert f"templates/_partials/footer.html:{line}: UI string 'footer_legal' is not defined in any catalogue "\
           "(add it to every content/_strings.<lang>.yaml)" in messages(result)


def test_set_source_hash_inserts_then_replaces() -> None:
    text = "---\ntitle: T\n---\nBody\n"
    once = set_source_hash(text, "abcdef1234")
    assert once == '---\ntitle: T\nsource_hash: "abcdef1234"\n---\nBody\n'
    assert set_source_hash(once, "0123456789") == '---\ntitle: T\nsource_hash: "0123456789"\n---\nBody\n'


@pytest.mark.parametrize("written", ["1234567890", "9409069e51", "0123456789", '"1234567890"', "'9409069e51'"])
def test_hashes_are_text_quoted_or_not(written: str) -> None:
    """Old files hold unquoted hashes; YAML reads 1234567890 as a number and 9409069e51 as a float in 1.2."""
    from sitegen.frontmatter import parse_front_matter
    from sitegen.yamlfile import parse_yaml

    expected = written.strip("'\"")
    doc, _, problems = parse_front_matter(f"---\ntitle: T\nsource_hash: {written}\n---\nBody\n", "x.fr.md")
    assert not problems and doc is not None and doc.value["source_hash"] == expected
    catalogue, problems = parse_yaml(f"a: A\n_source_hashes:\n  a: {written}\n", "s.yaml")
    assert not problems and catalogue is not None and catalogue.value["_source_hashes"]["a"] == expected


def test_set_string_hashes_keeps_the_rest_and_is_idempotent() -> None:
    text = "# comment\na: A\nb: B\n"
    once = set_string_hashes(text, {"b": "2222222222", "a": "1111111111"})
    assert once.startswith("# comment\na: A\nb: B\n\n_source_hashes:")
    assert once.endswith('  a: "1111111111"\n  b: "2222222222"\n')
    assert set_string_hashes(once, {"a": "1111111111", "b": "2222222222"}) == once


def test_quoted_and_old_unquoted_hashes_both_read_as_synced(make_project: MakeProject, capsys) -> None:
    root = make_project()
    catalogue = root / "content/_strings.fr.yaml"
    assert run(root, "--mark-synced", "content/_strings.fr.yaml", "content/pages/team.fr.md") == 0
    written = catalogue.read_text()
    assert re.search(r'(?m)^  apply_now: "[0-9a-f]{10}"$', written)  # always quoted
    assert re.search(r'(?m)^source_hash: "[0-9a-f]{10}"$', (root / "content/pages/team.fr.md").read_text())
    catalogue.write_text(re.sub(r'(?m)^(  \w+): "([0-9a-f]+)"$', r"\1: \2", written))  # as older versions wrote
    capsys.readouterr()
    assert run(root, "--strict") == 0, capsys.readouterr().out
