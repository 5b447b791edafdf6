"""Files for hosts and previews: `_headers`, robots.txt, the in-page policy, and `build --preview`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sitegen.hosting import ASSET_CACHE, CSP, headers_for, parse_headers
from sitegen.pipeline import build
from tests.conftest import REPO, TEST_DAY, MakeProject, build_ok, soup


def html_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_headers_file_gives_each_header_once_per_path(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_ok(REPO, out)
    rules = parse_headers((out / "_headers").read_text())
    for path in ("/", "/en/", "/fr/offres/stage-ingenierie-backend/", "/404.html", "/sitemap.xml",
                 "/assets/style.0123abcd.css"):
        sent = headers_for(rules, path)
        counts = Counter(name for name, _ in sent)
        assert all(count == 1 for count in counts.values()), (path, sent)
        assert dict(sent)["Content-Security-Policy"] == CSP
        assert dict(sent)["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert dict(sent)["X-Content-Type-Options"] == "nosniff" and "Permissions-Policy" in dict(sent)
        assert dict(sent)["Cache-Control"] == (ASSET_CACHE if path.startswith("/assets/") else
                                               "public, max-age=600, must-revalidate")
    assert "X-Robots-Tag" not in dict(headers_for(rules, "/en/"))


def test_headers_follow_a_sub_folder(make_project: MakeProject, tmp_path: Path) -> None:
    build_ok(make_project(), tmp_path / "out")  # the tiny site lives at /careers/
    rules = parse_headers((tmp_path / "out/_headers").read_text())
    assert [pattern for pattern, _ in rules][:2] == ["/careers/*", "/careers/assets/*"]
    assert dict(headers_for(rules, "/careers/assets/style.css"))["Cache-Control"] == ASSET_CACHE


def test_pages_carry_the_policy_for_hosts_without_headers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_ok(REPO, out)
    for path in html_pages(out):
        page = soup(path)
        csp = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
        assert csp == CSP.removesuffix("; frame-ancestors 'none'"), path  # ignored in <meta>, so left out
        assert page.find("meta", attrs={"name": "referrer"})["content"] == "strict-origin-when-cross-origin"
    served = tmp_path / "served"
    assert build(REPO, served, today=TEST_DAY, live=True).ok  # serve's pages: its reload script must run
    assert all(not soup(p).find("meta", attrs={"http-equiv": True}) for p in html_pages(served))


def test_a_preview_is_never_mistaken_for_the_real_site(tmp_path: Path) -> None:
    out = tmp_path / "preview"
    result = build(REPO, out, today=TEST_DAY, preview=True)
    assert result.ok
    for path in html_pages(out):
        page = soup(path)
        assert page.find("meta", attrs={"name": "robots"})["content"] == "noindex, nofollow", path
        assert not page.find("script"), path  # no JobPosting, Organization, Person or breadcrumb data
        banner = page.select_one(".preview-banner")
        texts = [span.get_text() for span in banner.select("span")]
        assert texts and all(t in ("Preview – not the published site", "Aperçu – ce n’est pas le site publié")
                             for t in texts), path
        assert not page.find("link", type="application/atom+xml")
    fr = soup(out / "fr/index.html").select_one(".preview-banner span")
    assert fr["lang"] == "fr" and fr.get_text() == "Aperçu – ce n’est pas le site publié"
    assert (out / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    for name in ("sitemap.xml", "en/jobs.xml", "fr/offres.xml"):
        assert not (out / name).exists(), name
    rules = parse_headers((out / "_headers").read_text())
    assert dict(headers_for(rules, "/en/"))["X-Robots-Tag"] == "noindex, nofollow"


def test_a_sub_folder_build_has_no_broken_link_and_its_own_404(make_project: MakeProject, tmp_path: Path) -> None:
    """The tiny site lives at /careers/: every link and asset of every page resolves inside the build."""
    out = tmp_path / "out"
    build_ok(make_project(), out)
    assert (out / "_redirects").read_text() == "/careers/*  /careers/404.html  404\n"
    checked = 0
    for path in html_pages(out):
        page = soup(path)
        for tag, attr in (("a", "href"), ("link", "href"), ("img", "src")):
            for element in page.find_all(tag, attrs={attr: True}):
                target = element[attr].split("#")[0]
                if not target or target.startswith(("mailto:", "https://", "http://")):
                    continue
                assert target.startswith("/careers/"), (path, target)  # absolute paths under the sub-folder
                local = out / target.removeprefix("/careers/")
                assert (local / "index.html" if target.endswith("/") else local).is_file(), (path, target)
                checked += 1
    assert checked > 50
    not_found = soup(out / "404.html")
    assert all(a["href"].startswith("/careers/") for a in not_found.find_all("a"))
