"""Real-browser tests in Debian's Chromium: accessibility (axe-core, both themes), keyboard order,
small screens, the language switcher, live reload and the error page, and screenshots for review."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bench.ports import free_port
from tests.browser_support import AXE, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, static_server
from tests.conftest import REPO, MakeProject, build_ok

PAGE_TYPES = {
    "en": {"home": "/en/", "posting": "/en/jobs/backend-intern/", "mission": "/en/mission/", "team": "/en/team/",
           "process": "/en/process/", "accessibility": "/en/accessibility/"},
    "fr": {"home": "/fr/", "posting": "/fr/offres/stage-ingenierie-backend/", "mission": "/fr/mission/",
           "team": "/fr/equipe/", "process": "/fr/recrutement/", "accessibility": "/fr/accessibilite/"},
}
ROOT_PAGES = {"chooser": "/", "not-found": "/404.html"}
ALL_URLS = sorted({*[u for urls in PAGE_TYPES.values() for u in urls.values()], *ROOT_PAGES.values()})
TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("browser") / "dist"
    build_ok(REPO, out)
    with static_server(out) as base:
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # The pages' own Content-Security-Policy would block the injected axe-core; the policy itself is
    # tested by test_the_content_security_policy_blocks_nothing_the_site_needs.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def axe_violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_any_page(page: Page, site: str, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    found = {}
    for url in ALL_URLS:
        page.goto(site + url)
        violations = axe_violations(page)
        if violations:
            found[url] = violations
    assert found == {}


def test_language_switcher_leads_to_the_counterpart(page: Page, site: str) -> None:
    page.goto(site + "/en/team/")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()
    expect(page).to_have_url(site + "/fr/equipe/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
    expect(page).to_have_url(site + "/en/team/")


def focus_path(page: Page, presses: int) -> list[dict]:
    path = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        path.append(page.evaluate("""() => {
            const el = document.activeElement, box = el.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            const hit = document.elementFromPoint(x, y);
            return {text: el.textContent.trim(), cls: el.className, href: el.getAttribute('href'),
                    inSwitcher: !!el.closest('nav.switcher'), inProse: !!el.closest('.prose'),
                    visible: !!hit && (hit === el || el.contains(hit)),
                    width: box.width, height: box.height};
        }"""))
    return path


@pytest.mark.parametrize("width", [390, 1280])
def test_keyboard_reaches_skip_link_switcher_and_apply_in_order(browser: Browser, site: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    tab = context.new_page()
    tab.goto(site + "/en/jobs/backend-intern/")
    path = focus_path(tab, 40)
    context.close()
    path = path[: next(i for i, step in enumerate(path) if step["href"] is None)]  # until focus leaves the page
    texts = [step["text"] for step in path]
    skip = texts.index("Skip to content")
    switcher = next(i for i, step in enumerate(path) if step["inSwitcher"])
    apply = next(i for i, step in enumerate(path) if step["text"].startswith("Apply now"))
    assert skip == 0 and skip < switcher < apply
    assert all(step["visible"] for step in path), [s for s in path if not s["visible"]]
    small = [s["text"] for s in path if not s["inProse"] and (s["width"] < 24 or s["height"] < 24)]
    assert small == []  # WCAG 2.2 target size, except links inside running text


def test_skip_link_moves_focus_to_main(page: Page, site: str) -> None:
    page.goto(site + "/fr/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("url", ALL_URLS)
def test_no_horizontal_scrolling_at_320_px(browser: Browser, site: str, url: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    tab = context.new_page()
    tab.goto(site + url)
    scroll_width = tab.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert scroll_width <= 320


def test_no_request_leaves_the_site(page: Page, site: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for url in ALL_URLS:
        page.goto(site + url)
    assert requested and all(r.startswith(site) for r in requested), [r for r in requested if not r.startswith(site)]


def test_screenshots_for_review(browser: Browser, site: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    taken = []
    for width, scheme in ((390, "light"), (390, "dark"), (1280, "light"), (1280, "dark")):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        tab = context.new_page()
        shots = [(f"{lang}-{kind}", url) for lang, urls in PAGE_TYPES.items() for kind, url in urls.items()]
        for name, url in [*shots, *ROOT_PAGES.items()]:
            tab.goto(site + url)
            path = SCREENSHOTS / f"{name}-{width}-{scheme}.png"
            tab.screenshot(path=str(path), full_page=True)
            taken.append(path)
        context.close()
    assert len(taken) == 56 and all(p.stat().st_size > 5000 for p in taken)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_on_a_phone_the_header_is_two_short_rows_and_the_posting_shows_its_key_facts(
        browser: Browser, site: str, lang: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    for url in PAGE_TYPES[lang].values():
        tab.goto(site + url)
        rows = tab.evaluate("""() => {
            const tops = new Set();
            for (const el of document.querySelectorAll('.brand, .site-nav a, .switcher li > *')) {
                const box = el.getBoundingClientRect();
                if (box.width > 0) tops.add(Math.round(box.top));
            }
            return tops.size;
        }""")
        height = tab.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
        assert rows <= 2 and height <= 110, (url, rows, height)
    tab.goto(site + PAGE_TYPES[lang]["posting"])
    for selector in ("h1", ".key-facts"):
        box = tab.locator(selector).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, selector
    facts = tab.locator(".key-facts").inner_text()
    assert ("6 months" in facts and "Internship" in facts and "Paris" in facts and "February or March" in facts) \
        if lang == "en" else ("6\u00a0mois" in facts and "Stage" in facts and "février ou mars" in facts)
    context.close()


def test_the_current_language_is_marked_current(page: Page, site: str) -> None:
    for url, current, other in (("/fr/", "fr", "en"), ("/en/team/", "en", "fr")):
        page.goto(site + url)
        marked = page.locator(".switcher [aria-current]")
        assert marked.get_attribute("lang") == current and marked.evaluate("e => e.tagName") == "SPAN"
        link = page.locator(f".switcher a[lang='{other}']")
        weights = [int(x.evaluate("e => getComputedStyle(e).fontWeight")) for x in (marked, link)]
        assert weights[0] >= 700 > weights[1], weights  # the current one stands out, not the other
        underline = marked.evaluate("e => getComputedStyle(e).boxShadow")
        assert "inset" in underline
        nav_current = page.locator(".site-nav a[aria-current]")
        if nav_current.count():
            style = nav_current.evaluate("e => [getComputedStyle(e).borderRadius, getComputedStyle(e).backgroundColor]")
            assert style[0] in ("0px", "") and style[1] in ("rgba(0, 0, 0, 0)", "transparent"), style


@pytest.fixture
def preview(make_project: MakeProject, tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    root = make_project()
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--project", str(root), "serve", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield root, f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def open_when_ready(page: Page, url: str, log: Path) -> None:
    """Open the page once the server answers, then wait until its live-reload socket is connected."""
    for _ in range(900):
        try:
            page.goto(url)
            break
        except Exception:  # the server is still starting
            page.wait_for_timeout(100)
    else:
        raise AssertionError(f"{url} never answered")
    for _ in range(900):
        if "Browser Connected" in log.read_text():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page never connected to the live-reload server")


def test_editing_markdown_updates_the_open_page(page: Page, preview: tuple[Path, str, Path]) -> None:
    root, base, log = preview
    open_when_ready(page, base + "/en/", log)
    expect(page.locator("main")).to_contain_text("Welcome to Tiny Co.")
    home = root / "content/pages/home.en.md"
    home.write_text(home.read_text().replace("Welcome to Tiny Co.", "Edited while the page was open."))
    expect(page.locator("main")).to_contain_text("Edited while the page was open.", timeout=TIMEOUT_MS)


def test_broken_yaml_shows_the_error_page_and_fixing_restores(page: Page, preview: tuple[Path, str, Path]) -> None:
    root, base, log = preview
    open_when_ready(page, base + "/en/team/", log)
    expect(page.locator("h1")).to_have_text("Team")
    facts = root / "content/people/ada.yaml"
    good = facts.read_text()
    facts.write_text("name: [Ada\n")
    expect(page.locator("h1")).to_have_text("The site could not be built", timeout=TIMEOUT_MS)
    expect(page.locator("main li").first).to_contain_text("content/people/ada.yaml:1:7")
    assert axe_violations(page) == []
    facts.write_text(good)
    expect(page.locator("h1")).to_have_text("Team", timeout=TIMEOUT_MS)


def test_a_posting_prints_cleanly_on_a4(page: Page, site: str) -> None:
    page.goto(site + "/fr/offres/stage-ingenierie-backend/")
    page.emulate_media(media="print")
    hidden = page.evaluate("""() => ['.site-nav', '.switcher', '.site-footer', '.apply-bar', '.breadcrumbs']
        .map(s => getComputedStyle(document.querySelector(s)).display)""")
    assert hidden == ["none"] * 5
    apply = page.locator(".facts .apply a")
    assert apply.is_visible()
    after = page.evaluate("getComputedStyle(document.querySelector('.facts .apply a'), '::after').content")
    assert "welcometothejungle.com" in after  # the printed page says where to apply
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type/Page") <= 4


@pytest.fixture(scope="module")
def site_with_headers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("headers") / "dist"
    build_ok(REPO, out)
    with static_server(out, with_headers=True) as base:
        yield base


def test_the_content_security_policy_blocks_nothing_the_site_needs(browser: Browser, site_with_headers: str) -> None:
    """With `_headers` applied as a host would, no page logs a violation or a console message, and JSON-LD parses."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script("""window.__violations = [];
        document.addEventListener('securitypolicyviolation',
                                  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));""")
    tab = context.new_page()
    console: list[str] = []
    tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    for url in ALL_URLS:
        response = tab.goto(site_with_headers + url)
        assert response is not None and "default-src 'none'" in response.headers["content-security-policy"]
        tab.wait_for_load_state("load")
        violations = tab.evaluate("window.__violations")
        assert violations == [], (url, violations)
        styled = tab.evaluate("getComputedStyle(document.body).fontFamily")
        assert "system-ui" in styled, url  # the stylesheet loaded under style-src 'self'
    tab.goto(site_with_headers + PAGE_TYPES["en"]["posting"])
    types = tab.evaluate("""() => [...document.querySelectorAll('script[type="application/ld+json"]')]
                                 .map(s => JSON.parse(s.textContent)['@type'])""")
    assert "JobPosting" in types
    context.close()
    assert console == [], console
