"""Several postings: adding files adds a posting to every language, with no template change."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MakeProject, build_ok, soup

NEW_POSTING = {
    "content/jobs/design-intern.yaml": (
        "identifier: tiny-design-intern\ndate_posted: 2026-02-01\ncontract: internship\n"
        "employment_type: [FULL_TIME, INTERN]\nlocation: {locality: Nantes, country: FR}\n"
        "apply_url: https://tiny.example.org/apply\n"
    ),
    "content/jobs/design-intern.en.md": "---\ntitle: Design Intern\ndescription: Draw things.\n---\nDraw.\n",
    "content/jobs/design-intern.fr.md": (
        "---\ntitle: Stagiaire design\ndescription: Dessiner.\nslug: stagiaire-design\n---\nDessiner.\n"
    ),
}


def job_links(path: Path) -> list[tuple[str, str]]:
    return [(a.get_text(), a["href"]) for a in soup(path).select(".job-list h3 a")]


def test_added_posting_appears_in_both_job_lists(make_project: MakeProject, tmp_path: Path) -> None:
    templates_before = {p: p.read_bytes() for p in (make_project().parent / "project/templates").rglob("*")
                        if p.is_file()}
    root = tmp_path / "project"
    assert job_links(build_and(root, tmp_path / "before") / "en/index.html") == [
        ("Data Intern", "/careers/en/jobs/data-intern/")]
    for rel, text in NEW_POSTING.items():
        (root / rel).write_text(text)
    out = build_and(root, tmp_path / "after")
    # Newest first.
    assert job_links(out / "en/index.html") == [
        ("Design Intern", "/careers/en/jobs/design-intern/"), ("Data Intern", "/careers/en/jobs/data-intern/")]
    assert job_links(out / "fr/index.html") == [
        ("Stagiaire design", "/careers/fr/offres/stagiaire-design/"),
        ("Stagiaire data", "/careers/fr/offres/stagiaire-data/")]
    page = soup(out / "fr/offres/stagiaire-design/index.html")
    assert page.html["lang"] == "fr" and page.h1.get_text() == "Stagiaire design"
    assert page.select_one("nav.switcher a")["href"] == "/careers/en/jobs/design-intern/"
    # A posting with no people, steps, duration or window still builds: optional facts are left out.
    assert [dt.get_text() for dt in page.select("dl dt")] == ["Type de contrat", "Lieu", "Référence"]
    assert not page.select(".timeline") and not page.select(".people")
    assert templates_before == {p: p.read_bytes() for p in (root / "templates").rglob("*") if p.is_file()}


def test_no_postings_says_so(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project({f"content/jobs/data-intern.{ext}": None for ext in ("yaml", "en.md", "fr.md")})
    build_ok(root, tmp_path / "out")
    assert soup(tmp_path / "out/en/index.html").select_one("#open-positions + p").get_text() == \
        "There are no open positions right now. New openings will be listed here."


def build_and(root: Path, out: Path) -> Path:
    build_ok(root, out)
    return out


def test_a_start_window_ends_on_the_last_day_of_its_last_month() -> None:
    """After it, nobody can start the job any more: applications close then (unless `valid_through` is sooner)."""
    import calendar
    import datetime as dt
    from types import SimpleNamespace

    from sitegen.model import MonthRange, PostingFacts

    ends = PostingFacts.start_ends.fget  # type: ignore[attr-defined]
    assert ends(SimpleNamespace(start=None)) is None
    for year in (1999, 2000, 2024, 2026, 2100):
        for month in range(1, 13):
            window = MonthRange(dt.date(year, 1, 1), dt.date(year, month, 1))
            last = dt.date(year, month, calendar.monthrange(year, month)[1])
            assert ends(SimpleNamespace(start=window)) == last


def test_postings_share_what_they_repeat_and_a_build_keeps_the_pages_own_names(tmp_path: Path, monkeypatch) -> None:
    """Postings that name the same people, steps, types and place hold one tuple or record of them; what the
    build keeps of a page a worker rendered names it by the site's own strings, not the copies sent back."""
    import pickle

    import sitegen.pipeline
    from bench.site import make_site
    from sitegen.model import OutputFile, Site
    from sitegen.pipeline import BuildCache, compile_site
    from sitegen.render import Described, _collect
    from sitegen.sources import read_project
    from sitegen.write import Written

    root = tmp_path / "site"
    root.mkdir()
    make_site(root, 8)
    sites: list[Site] = []
    real = sitegen.pipeline.assemble_site
    monkeypatch.setattr(sitegen.pipeline, "assemble_site",
                        lambda *args: sites.append(real(*args)[0]) or (sites[-1], []))
    assert compile_site(read_project(root), None, BuildCache()).ok
    facts = [posting.facts for postings in sites[0].postings.values() for posting in postings]
    assert len(facts) == 16
    for field in ("people", "process", "employment_type", "location"):
        assert len({id(getattr(f, field)) for f in facts}) == 1, field
    page = next(p for p in sites[0].pages if p.posting is not None)
    file, key = pickle.loads(pickle.dumps((OutputFile(page.dest_path, b"", "f1"), page.key)))  # as a worker sent
    assert file.dest_path is not page.dest_path and key is not page.key
    results = [([Written(file, 10)], [], None, "f1"), ([file], [], (page.lang, key, "<p>x</p>", "f1"), "f1")]
    outputs: list[OutputFile] = []
    described = Described({})
    _collect(results, lambda placed: placed.file if isinstance(placed, Written) else placed, outputs, [], described,
             [(page, None), (page, None)])
    assert len(outputs) == 2 and all(output.dest_path is page.dest_path for output in outputs)
    assert [k for _, k in described.rendered] == [page.key] and next(iter(described.rendered))[1] is page.key
