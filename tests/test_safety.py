"""Hostile or random content: no script reaches a page, and the loader never raises."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.model import BuildResult
from sitegen.pipeline import BuildCache, build, compile_site
from sitegen.sources import read_project
from tests.conftest import MakeProject, make_site

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=/assets/favicon.svg alt=\"icon\" onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "</script><script>alert(1)</script>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<style>body{display:none}</style>",
    "<object data=\"x\"></object><embed src=\"https://evil.example/x\">",
    "<form action=\"https://evil.example\"><input name=x></form>",
    "<p onclick=\"alert(1)\" style=\"background:url(javascript:alert(1))\">p</p>",
    "{{ 7*7 }}{% raw %}",
]
PAYLOAD = " ".join(PAYLOADS)
YAML_PAYLOAD = '"' + PAYLOAD.replace("\\", "\\\\").replace('"', '\\"') + '"'
BAD_SCHEME = re.compile(r"^\s*(javascript|data|vbscript):", re.I)


def hostile_files() -> dict[str, str]:
    """Every field that reaches HTML, filled with the usual payloads."""
    body = PAYLOAD
    front = f"title: {YAML_PAYLOAD}\ndescription: {YAML_PAYLOAD}\n"
    return {
        "content/pages/home.en.md": f"---\n{front}---\n{body}\n",
        "content/pages/team.en.md": f"---\n{front}layout: team\n---\n{body}\n",
        "content/jobs/data-intern.en.md": f"---\n{front}---\n{body}\n",
        "content/people/ada.yaml": f"name: {YAML_PAYLOAD}\n",
        "content/people/ada.en.md": f"---\nrole: {YAML_PAYLOAD}\n---\n{body}\n",
        "content/process/call.en.md": f"---\ntitle: {YAML_PAYLOAD}\nwith: {YAML_PAYLOAD}\n---\n{body}\n",
        "content/jobs/data-intern.yaml": (
            f"identifier: {YAML_PAYLOAD}\ndate_posted: 2026-01-15\ncontract: internship\n"
            f"employment_type: [INTERN]\nlocation: {{locality: {YAML_PAYLOAD}, region: {YAML_PAYLOAD}, "
            "country: FR}\napply_url: mailto:jobs@tiny.example.org\npeople: [ada]\nprocess: [call]\n"
        ),
    }


def assert_harmless(html: str, where: str) -> None:
    page = BeautifulSoup(html, "html.parser")
    for tag in page.find_all(True):
        executable = tag.name == "script" and tag.get("type") != "application/ld+json"
        assert not executable and tag.name not in {"iframe", "object", "embed", "style", "form", "input"}, (where, tag)
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), (where, tag)
            assert name != "style" or "javascript" not in str(value), (where, tag)
            if name in {"href", "src", "action", "formaction", "data"}:
                assert not BAD_SCHEME.match(str(value)), (where, tag)


def test_payloads_in_every_field_never_reach_a_page(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project(hostile_files())
    for lang in ("en", "fr"):  # UI strings are content too
        strings = root / f"content/_strings.{lang}.yaml"
        text = re.sub(r"(?m)^footer_company: .*$", lambda _: f"footer_company: {YAML_PAYLOAD}", strings.read_text())
        strings.write_text(text)
    result = build(root, tmp_path / "out")
    assert result.ok, [str(p) for p in result.errors]
    pages = sorted((tmp_path / "out").rglob("*.html"))
    assert len(pages) == 10  # the tiny site has a legal notice in each language
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert_harmless(html, str(path))
        assert html.lower().count("<script") == html.count('<script type="application/ld+json">')
    home = (tmp_path / "out/en/index.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in home and "49" not in home  # content is never evaluated as a template
    assert "&lt;script&gt;" in home  # escaped text, shown as written


LINK_PAYLOADS = [
    "[a](javascript:alert(1))", "[a](JaVaScRiPt:alert(1))", "[a]( javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>", "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>", "![i](data:image/svg+xml,<svg onload=x>)",
    "<a href=\"vbscript:x\">v</a>", "[a](&#106;avascript:alert(1))",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
]


def test_the_sanitizer_drops_unsafe_urls() -> None:
    from sitegen.markdown import make_converter, render_markdown

    converter = make_converter()
    for payload in LINK_PAYLOADS:
        assert_harmless(render_markdown(converter, payload), payload)


def test_unsafe_links_in_markdown_are_errors(make_project: MakeProject) -> None:
    root = make_project({"content/pages/home.en.md": "---\ntitle: T\ndescription: d\n---\n"
                                                     "[a](javascript:alert(1)) ![b](data:image/png;base64,AA)\n"})
    messages = [str(p) for p in compile_site(read_project(root), None, BuildCache()).errors]
    assert messages == [
        "content/pages/home.en.md:5:5: link uses the 'javascript:' scheme, which is not allowed "
        "(use https:, mailto:, tel: or a path on this site)",
        "content/pages/home.en.md:5:31: link uses the 'data:' scheme, which is not allowed "
        "(use https:, mailto:, tel: or a path on this site)",
    ]


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
              st.sampled_from(["2026-01-15", "2026-02", "https://x.org", "TODO", "ada", "[", "{"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["identifier", "date_posted", "contract", "people",
                                                             "location", "title", "slug", "x", "name", "role"]),
                                            inner, max_size=4)),
    max_leaves=12,
)
raw_text = st.lists(st.sampled_from([*"ab: -[]{}#&*!|>'\"\n\t%@`~é«»", "---\n", "\n---", "TODO", "[x](/en/)"]),
                    max_size=40).map("".join)
TARGETS = ["content/jobs/data-intern.yaml", "content/people/ada.yaml", "content/process/call.yaml",
           "content/_site.yaml", "content/_strings.fr.yaml", "content/pages/home.en.md",
           "content/jobs/data-intern.fr.md", "content/people/ada.en.md"]


def compile_with(files: dict[str, str]) -> BuildResult:
    with tempfile.TemporaryDirectory() as scratch:
        root = make_site(Path(scratch) / "p", files)
        return compile_site(read_project(root), None, BuildCache())


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), value=yaml_values, text=raw_text, as_yaml=st.booleans())
def test_random_content_gives_a_site_or_problems(target: str, value: object, text: str, as_yaml: bool) -> None:
    if target.endswith(".md"):
        payload = ("---\n" + yaml.safe_dump(value) + "---\n" + text) if as_yaml else text
    else:
        payload = yaml.safe_dump(value) if as_yaml else text
    result = compile_with({target: payload})
    assert result.ok or result.errors
    assert all(p.path and p.message for p in result.problems)
