"""Hostile and broken input: every case ends in exit 0, 1 or 2 with a located message, never a traceback,
never a file touched outside the output, and never a lost or missing output folder."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from build import main
from tests.conftest import SITES, MakeProject

FACTS = "content/jobs/data-intern.yaml"
HOME = "content/pages/home.en.md"
GOOD_FACTS = (SITES / "tiny" / FACTS).read_text(encoding="utf-8")
GOOD_HOME = (SITES / "tiny" / HOME).read_text(encoding="utf-8")
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


def facts(old: str, new: str) -> dict[str, str]:
    assert old in GOOD_FACTS
    return {FACTS: GOOD_FACTS.replace(old, new)}


def home(front: str = "", body: str = "") -> dict[str, str]:
    return {HOME: f"---\ntitle: Tiny home\ndescription: d\n{front}---\n{body}\n"}


# (files, expected exit code, a line the output must contain)
CONTENT: dict[str, tuple[dict[str, str], int, str]] = {
    "alias_bomb": ({FACTS: GOOD_FACTS + BOMB}, 1,
                   f"{FACTS}:15:4: YAML anchors and aliases are not allowed"),
    "front_matter_alias": (home("x: &a 1\ny: *a\n"), 1, f"{HOME}:4:4: YAML anchors and aliases are not allowed"),
    "deep_flow": (facts("people: [ada]", "people: " + "[" * 1000 + "]" * 1000), 1,
                  f"{FACTS}:9:28: nesting is deeper than 20 levels"),
    "deep_markdown_list": (home(body="\n".join(" " * 4 * i + "- x" for i in range(40))), 1,
                           f"{HOME}:22:1: the text nests more than 16 levels of lists or quotes"),
    "long_integer": (facts("duration_months: 4", "duration_months: " + "9" * 5000), 1,
                     f"{FACTS}:5:18: 'duration_months' is a number of 5000 characters"),
    "lone_surrogate": (home('extra: "\\ud800"\n'), 1, f"{HOME}:4:8: 'extra' contains a lone surrogate (U+D800)"),
    "control_in_yaml": (facts("locality: Lyon", 'locality: "Ly\\x01on"'), 1,
                        f"{FACTS}:7:22: 'location.locality' contains a control character (U+0001)"),
    "control_in_markdown": (home(body="Hello\x0bworld"), 1,
                            f"{HOME}:5:6: the file contains a control character (U+000B)"),
    "nan": (facts("duration_months: 4", "hours_per_week: .nan"), 1,
            f"{FACTS}:5:17: 'hours_per_week' is not a finite number"),
    "infinity": (facts("duration_months: 4", "hours_per_week: -.inf"), 1,
                 f"{FACTS}:5:17: 'hours_per_week' is not a finite number"),
    "float_for_whole_number": (facts("duration_months: 4", "duration_months: 6.0"), 1,
                               f"{FACTS}:5:18: 'duration_months' must be a whole number "
                               "(it is 6.0: write it without a decimal point)"),
    "integer_key": ({FACTS: GOOD_FACTS + "1: x\n"}, 1,
                    f"{FACTS}:15:1: key '1' is read as a whole number, not as a text (quote it: \"1\":)"),
    "boolean_key": ({FACTS: GOOD_FACTS + "yes: 1\n"}, 1, f"{FACTS}:15:1: key 'yes' is read as true or false"),
    "complex_key": ({FACTS: GOOD_FACTS + "? [a, b]\n: 1\n"}, 1, f"{FACTS}:15:3: a key must be a text"),
    "merge_key": ({FACTS: GOOD_FACTS + "<<: {a: 1}\n"}, 1, f"{FACTS}:15:1: merge keys ('<<') are not allowed"),
    "python_tag": (facts("contract: internship", "contract: !!python/object/apply:os.system [id]"), 1,
                   f"{FACTS}:3:11: YAML tag '!!python/object/apply:os.system' is not allowed"),
    "long_slug": ({"content/pages/team.en.md": "---\ntitle: T\ndescription: d\nslug: " + "a" * 300 + "\n---\n"}, 1,
                  "content/pages/team.en.md:4:7: 'slug' is longer than 80 characters (shorten it)"),
    "long_file_name": ({f"content/pages/{'b' * 100}.en.md": "---\ntitle: T\ndescription: d\n---\n"}, 1,
                       f"content/pages/{'b' * 100}.en.md: file name is longer than 80 characters"),
    "huge_text": (home(body="word " * 400_000), 1, f"{HOME}:1:1: file is too large (1953 KiB; at most 32 KiB)"),
    "brackets": (home(body="\n".join(["[" * 5000] * 5)), 1,
                 f"{HOME}:5:1: the text has too many '[' or '<' in long paragraphs"),
    "quote_never_closed": (home('extra: "open\nmore: "x"\n'), 1,
                           f"{HOME}:4:8: YAML syntax error: the quote is never closed"),
    "text_after_a_quote": (home('extra: "a" b\n'), 1,
                           f"{HOME}:4:10: YAML syntax error: a quote ends the quoted text early"),
    "cr_only_line_endings": ({HOME: "---\rtitle: Tiny home\rdescription: d\r---\rHello\r"}, 0, "built "),
    "crlf_line_endings": ({HOME: "---\r\ntitle: Tiny home\r\ndescription: d\r\n---\r\nHello\r\n"}, 0, "built "),
    "bidi_is_a_warning": ({HOME: "---\ntitle: \"Tiny \u202ehome\"\ndescription: d\n---\nHi\n"}, 0,
                          f"{HOME}:2:8: warning: 'title' contains a bidirectional control character (U+202E)"),
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Return the exit code and everything printed by the command line."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def snapshot(root: Path) -> dict[str, str]:
    """Return the SHA-256 of every file below `root` (links not followed)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.mark.parametrize("case", sorted(CONTENT))
def test_hostile_content(case: str, make_project: MakeProject, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project()
    out = tmp_path / "out"
    assert run(["--project", str(root), "build", "--out", str(out)], capsys)[0] == 0
    before_out, before_tree = snapshot(out), snapshot(tmp_path)
    for rel, text in CONTENT[case][0].items():
        (root / rel).write_text(text, encoding="utf-8")
    project_files = snapshot(root)
    code, printed = run(["--project", str(root), "build", "--out", str(out)], capsys)
    _, expected_code, expected_line = CONTENT[case]
    assert code == expected_code, printed
    assert "Traceback" not in printed
    assert any(line.startswith(expected_line) for line in printed.splitlines()), printed
    assert snapshot(root) == project_files  # the build wrote nothing into the project
    if code != 0:
        assert snapshot(out) == before_out  # the previous output is intact
        changed = {k for k in set(snapshot(tmp_path)) ^ set(before_tree) if not k.startswith("project/")}
        assert changed == set()  # nothing was left beside the output


def test_an_alias_bomb_is_refused_before_it_is_expanded(make_project: MakeProject) -> None:
    from sitegen.pipeline import BuildCache, compile_site
    from sitegen.sources import read_project

    root = make_project({FACTS: GOOD_FACTS + BOMB})
    result = compile_site(read_project(root), None, BuildCache(), check_only=True)
    assert {p.message for p in result.errors} == {"YAML anchors and aliases are not allowed"}
    assert len(result.errors) == 9 + 8 * 9  # each anchor and each alias, once: nothing was expanded


def test_correct_markdown_builds_footnotes_and_balanced_parentheses(make_project: MakeProject, tmp_path: Path) -> None:
    from tests.conftest import build_ok, soup

    root = make_project(home(body="Read this[^1] and [the image](/assets/share_(1).png).\n\n[^1]: See the notes."))
    (root / "assets/share_(1).png").write_bytes((root / "assets/share.png").read_bytes())
    build_ok(root, tmp_path / "out")
    page = soup(tmp_path / "out/en/index.html")
    link = page.find("a", string="the image")
    assert link is not None and re.fullmatch(r"/careers/assets/share_\(1\)\.[0-9a-f]{8}\.png", link["href"])
    assert page.find("div", class_="footnote") is not None


def test_a_broken_link_with_parentheses_is_named_whole(make_project: MakeProject) -> None:
    from sitegen.pipeline import BuildCache, compile_site
    from sitegen.sources import read_project

    root = make_project(home(body="See [it](/en/missing_(x)/)."))
    result = compile_site(read_project(root), None, BuildCache(), check_only=True)
    assert [str(p).split(" (")[0] for p in result.errors] == [
        f"{HOME}:5:10: link to '/en/missing_(x)/' leads nowhere on this site"]


def test_no_built_page_has_a_duplicate_id(make_project: MakeProject, tmp_path: Path) -> None:
    from collections import Counter

    from tests.conftest import build_ok, soup

    text = "## Main\n\nx\n\n## Open positions\n\n## Ada\n\n## Main\n\n<span id=\"facts-heading\">y</span>"
    root = make_project({**home(body=text), "content/people/ada.en.md": "---\nrole: Lead\n---\n## Details\n\nHi",
                         "content/process/call.en.md": "---\ntitle: Call\nwith: Ada\n---\n## Details\n\nHi"})
    build_ok(root, tmp_path / "out")
    for path in sorted((tmp_path / "out").rglob("*.html")):
        ids = Counter(tag["id"] for tag in soup(path).find_all(id=True))
        assert [name for name, count in ids.items() if count > 1] == [], path
    home_ids = [tag["id"] for tag in soup(tmp_path / "out/en/index.html").find_all(id=True)]
    assert {"main", "main-2", "main_1", "open-positions", "open-positions-2", "ada-2"} <= set(home_ids)
