"""Properties over generated hostile input: parsers, names, URLs, environment values and request paths never
raise, and a corpus of hostile files up to 1 MB is accepted or refused quickly and in little memory."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.config import base_url_problem
from sitegen.model import Problem, SetupError, Source
from sitegen.parse import LazyConverter, parse_file
from sitegen.pipeline import build_date
from sitegen.schema import Schemas
from sitegen.serve import find_file
from sitegen.sources import ContentFile, classify
from sitegen.yamlfile import parse_yaml
from tests.conftest import REPO

YAML_PIECES = st.sampled_from([
    "a", "b", "1", "-1", ".5", ".nan", ".inf", "yes", "~", "null", ":", ": ", "- ", "-", "[", "]", "{", "}", ",",
    "&x ", "*x", "!!python/object ", "!!str ", "!tag ", "'", '"', "\\", "\\u", "\\ud800", "#", "\n", "  ", "\t",
    "---\n", "...\n", "? ", "|\n", ">\n", "<<: ", "%YAML 1.1\n", "\r", "\x00", "\x85", "\u202e", "é", "9" * 40,
])
MARKDOWN_PIECES = st.sampled_from([
    "text", " ", "\n", "\n\n", "#", "## ", "*", "_", "`", "```", "~~~", "[", "]", "(", ")", "[^1]", "[^1]: x",
    "<", ">", "&", "&amp;", "<div>", "</div>", '<a href="', '">', "javascript:", "/en/", "](", "![", "- ", "1. ",
    "    ", "> ", "|", "|-|", "{: #main}", "\\", "\x0b", "\ud7ff", "\u2028", "'", '"', "---", "===",
])


def yaml_texts() -> st.SearchStrategy[str]:
    return st.lists(YAML_PIECES, max_size=60).map("".join)


def plain(value: Any) -> bool:
    """Return True when a value is what content YAML may hold: text keys, finite numbers, no cycles."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, int, bool))


@given(yaml_texts())
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_yaml_never_raises_and_gives_plain_data_or_located_problems(text: str) -> None:
    source = Source("content/jobs/x.yaml", text.encode("utf-8", "surrogatepass"), "0")
    parsed = parse_file(ContentFile(source.src_path, "facts", "jobs", "x"), source, SCHEMAS, CONVERT)
    data, problems = parsed.data, parsed.problems
    lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 2
    for problem in problems:
        assert isinstance(problem, Problem) and problem.line is not None and 1 <= problem.line <= lines, problem
    if data is not None:
        assert plain(data.value)
    else:
        assert any(p.severity == "error" for p in problems)


@given(yaml_texts(), st.lists(MARKDOWN_PIECES, max_size=80).map("".join))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_markdown_files_never_raise(front: str, body: str) -> None:
    text = f"---\n{front}\n---\n{body}".encode("utf-8", "surrogatepass")
    source = Source("content/pages/x.en.md", text, "0")
    parsed = parse_file(ContentFile(source.src_path, "text", "pages", "x", "en"), source, SCHEMAS, CONVERT)
    assert all(isinstance(p, Problem) for p in parsed.problems)
    assert "<script" not in str(parsed.html).lower()


SCHEMAS, CONVERT = Schemas(), LazyConverter()


@given(st.text(max_size=60))
def test_any_file_name_is_classified_or_refused(name: str) -> None:
    result = classify(f"content/pages/{name}", ("en", "fr"))
    assert isinstance(result, (Problem, ContentFile))


@given(st.one_of(st.text(max_size=80), st.from_regex(r"https?://[a-z.\-]{1,20}(:[0-9]{1,6})?(/[^ ]{0,20})*",
                                                     fullmatch=True)))
def test_base_urls_are_checked_without_raising(url: str) -> None:
    reason = base_url_problem(url)
    if reason is None:
        assert url.startswith(("http://", "https://"))
        assert not any(char in url for char in " \"'<>`?#\\@") and url.isprintable()


@given(st.text(max_size=30))
def test_source_date_epoch_gives_a_date_or_one_reason(value: str) -> None:
    import os

    saved = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        if "\x00" in value:
            return  # an environment variable cannot hold a NUL
        os.environ["SOURCE_DATE_EPOCH"] = value
        try:
            assert isinstance(build_date(), dt.date)
        except SetupError as exc:
            assert "SOURCE_DATE_EPOCH" in str(exc) and "\n" not in str(exc)
    finally:
        if saved is not None:
            os.environ["SOURCE_DATE_EPOCH"] = saved


@given(st.text(max_size=300))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_request_paths_never_leave_the_output(tmp_path: Path, path: str) -> None:
    (tmp_path / "404.html").write_text("missing")
    status, found = find_file(tmp_path, "/" + path)
    assert status in ("200 OK", "404 Not Found")
    assert found is None or tmp_path.resolve() in found.parents


def corpus() -> dict[str, tuple[str, str]]:
    """Return hostile files up to 1 MB: name → (kind, text)."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    line = 9990
    texts = {
        "brackets": "[" * 30_000, "brackets_lines": ("[" * line + "\n") * 3,
        "unclosed_tags": ('<p a="b" ' * 1100 + "\n") * 3,
        "backslashes": ("\\" * line + "\n") * 3, "emphasis": "*" * 3000 + "a" + "*" * 3000,
        "list_300_deep": "\n".join(" " * (4 * i) + "- x" for i in range(120)), "quotes": "> " * 5000 + "x",
        "headings": "## h\n" * 6000, "footnotes": "".join(f"x[^{i}]\n[^{i}]: t\n" for i in range(2000)),
        "blocks": "a\n\n" * 10_000, "html_nest": "<div>" * 6000, "table": "|a" * 8000 + "\n" + "|-" * 8000,
        "megabyte": "word " * 200_000, "code_spans": ("`a` " * 2400 + "\n") * 3,
    }
    files = {f"md_{name}": ("text", f"---\ntitle: t\ndescription: d\n---\n{text}") for name, text in texts.items()}
    files.update({
        "yaml_bomb": ("facts", bomb), "yaml_deep_flow": ("facts", "a: " + "[" * 1000 + "]" * 1000),
        "yaml_deep_block": ("facts", "".join("  " * i + f"k{i}:\n" for i in range(1000))),
        "yaml_long_int": ("facts", "a: " + "9" * 5000), "yaml_megabyte": ("facts", "a: " + "x" * 1_000_000),
        "yaml_many_keys": ("facts", "".join(f"k{i}: {i}\n" for i in range(60_000))),
        "front_matter_bomb": ("text", f"---\n{bomb}---\nx"), "yaml_unclosed": ("facts", '"' + "a\n" * 50_000),
    })
    return files


PROBE = """
import json, resource, sys, time
from sitegen.model import Source
from sitegen.parse import LazyConverter, parse_file
from sitegen.schema import Schemas
from sitegen.sources import ContentFile
schemas, convert, results = Schemas(), LazyConverter(), {}
for name, (kind, text) in json.load(sys.stdin).items():
    file = ContentFile("content/jobs/x.en.md" if kind == "text" else "content/jobs/x.yaml", kind, "jobs", "x",
                       "en" if kind == "text" else None)
    started = time.perf_counter()
    parsed = parse_file(file, Source(file.src_path, text.encode(), "0"), schemas, convert)
    results[name] = [time.perf_counter() - started, [str(p) for p in parsed.problems][:1]]
# The peak of this process image: ru_maxrss would carry over the parent's peak across exec on Linux.
status = open("/proc/self/status").read() if sys.platform.startswith("linux") else ""
peak = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
results["peak_mib"] = (peak[0] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
print(json.dumps(results))
"""


def test_hostile_files_are_accepted_or_refused_quickly_and_in_little_memory() -> None:
    """The goal is 2 s and 200 MiB a file on this machine; the test allows 4× the time for a busy one."""
    files = corpus()
    assert max(len(text) for _, text in files.values()) <= 1_100_000
    done = subprocess.run([sys.executable, "-c", PROBE], input=json.dumps(files), capture_output=True, text=True,
                          cwd=REPO, timeout=600, check=True)
    results = json.loads(done.stdout)
    assert results.pop("peak_mib") < 200
    slow = {name: seconds for name, (seconds, _) in results.items() if seconds > 8}
    assert slow == {}
    refused = {name for name, (_, problems) in results.items() if problems}
    assert {"md_brackets", "md_megabyte", "yaml_bomb", "yaml_deep_flow", "yaml_long_int",
            "front_matter_bomb", "yaml_megabyte"} <= refused


@pytest.mark.parametrize("name", ["yaml_bomb", "front_matter_bomb"])
def test_the_bombs_are_refused_for_their_aliases(name: str) -> None:
    kind, text = corpus()[name]
    if kind == "facts":
        _, problems = parse_yaml(text, "x.yaml")
    else:
        _, problems = parse_yaml(text.split("---\n")[1], "x.yaml")
    assert problems and all(p.message == "YAML anchors and aliases are not allowed" for p in problems)


# pieces that reach each limit of a Markdown text in a few steps (lines, line length, '[' work, emphasis
# runs, nesting by indentation and quotes, headings, footnotes), near misses, and characters of note
LIMIT_PIECES = ["x" * 5001, "\n" * 700, "\n", "\n\n", "[" * 700, "<", "*" * 26, "_" * 26, "\t" * 9, " " * 30,
                "> " * 9, ">" * 9, "\u00a0" * 9, "#" * 60, "# h\n" * 70, "[^" * 60, "[^1]: n\n" * 70, "- ", "a",
                "\u202e", " "]


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=400)
@given(st.lists(st.sampled_from(LIMIT_PIECES), max_size=12).map("".join))
def test_a_look_at_the_whole_text_finds_what_a_look_at_each_line_finds(body: str) -> None:
    """Most texts are plainly within the limits, which a look at the whole text tells: the problems must be
    those the line-by-line look finds."""
    from sitegen.markdown import _character_problems, _line_problems, structure_problems

    assert structure_problems(body, 5, "p.md") == (_character_problems(body, 5, "p.md")
                                                   + _line_problems(body, 5, "p.md"))


def test_a_bidirectional_control_character_in_a_text_is_a_warning_on_its_line() -> None:
    from sitegen.markdown import structure_problems

    problems = structure_problems("Hello\n\nA \u202ereversed\n", 5, "p.md")
    assert [(p.line, p.column, p.severity) for p in problems] == [(7, 3, "warning")]
