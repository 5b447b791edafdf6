"""Parse content files (YAML, front matter, Markdown) and check each against its schema."""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass

import markdown as md

from .frontmatter import parse_front_matter
from .links import Link, extract_links
from .markdown import make_converter, render_markdown
from .model import Problem, Source, YamlData
from .placeholders import placeholder_problems
from .schema import Validators, check_schema
from .sources import ContentFile
from .translations import text_hash
from .yamlfile import parse_yaml

SCHEMA_OF = {
    ("site", ""): "site",
    ("strings", ""): "strings",
    ("facts", "jobs"): "posting",
    ("facts", "people"): "person",
    ("facts", "process"): "step",
    ("text", "pages"): "page",
    ("text", "jobs"): "posting-text",
    ("text", "people"): "person-text",
    ("text", "process"): "step-text",
}


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed content file: its data (None if unusable), body HTML, and problems."""

    file: ContentFile
    data: YamlData | None
    html: str
    problems: tuple[Problem, ...]
    text_hash: str = ""
    links: tuple[Link, ...] = ()

    @property
    def synced_to(self) -> str | None:
        """Return the source hash recorded in a translation's front matter, if any."""
        value = self.data.value if self.data else None
        return value.get("source_hash") if isinstance(value, dict) else None


CacheKey = tuple[str, str, str, str | None]
ParseCache = MutableMapping[CacheKey, Parsed]


class LazyConverter:
    """Makes the Markdown converter on first use, so that YAML-only work never imports it."""

    def __init__(self, factory: Callable[[], md.Markdown] = make_converter) -> None:
        self._factory = factory
        self._converter: md.Markdown | None = None

    def __call__(self, text: str) -> str:
        """Return the HTML for a Markdown text."""
        if self._converter is None:
            self._converter = self._factory()
        return render_markdown(self._converter, text)


def parse_cached(
    file: ContentFile, source: Source, validators: Validators,
    convert: Callable[[str], str], cache: ParseCache,
) -> Parsed:
    """Return the parse of a file, reusing the cached one when path and bytes are unchanged."""
    key = (file.src_path, source.digest, file.kind, file.lang)
    if key not in cache:
        cache[key] = parse_file(file, source, validators, convert)
    return cache[key]


def parse_file(
    file: ContentFile, source: Source, validators: Validators, convert: Callable[[str], str],
) -> Parsed:
    """Return the parsed, schema-checked content of one file."""
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (source.data.rfind(b"\n", 0, exc.start) + 1) + 1
        problem = Problem(file.src_path, line, "file is not valid UTF-8", "save it with the UTF-8 encoding", column)
        return Parsed(file, None, "", (problem,))
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    body, body_line = "", 1
    if file.kind == "text":
        data, body, problems = parse_front_matter(text, file.src_path)
        body_line = text.count("\n", 0, len(text) - len(body)) + 1
    else:
        data, problems = parse_yaml(text, file.src_path)
    if data is not None:
        problems.extend(_content_problems(file, data, body, body_line, validators))
    usable = data if not any(p.severity == "error" for p in problems) else None
    if file.kind != "text" or data is None:
        return Parsed(file, usable, "", tuple(problems))
    return Parsed(file, usable, convert(body), tuple(problems), text_hash(data.value, body),
                  extract_links(body, body_line))


def _content_problems(
    file: ContentFile, data: YamlData, body: str, body_line: int, validators: Validators,
) -> list[Problem]:
    """Return schema violations, placeholders and heading problems of a parsed file."""
    if data.value is None and file.kind != "text":
        return [Problem(file.src_path, 1, "file is empty", "fill in its fields", 1)]
    schema = SCHEMA_OF[(file.kind, file.collection if file.kind in ("facts", "text") else "")]
    placeholders = placeholder_problems(data, body, body_line, file.src_path)
    marked = {p.line for p in placeholders}
    problems = [p for p in check_schema(validators, schema, data, file.src_path) if p.line not in marked]
    problems.extend(placeholders)
    if file.kind == "text":
        problems.extend(heading_problems(body, body_line, file.src_path))
    return problems


def heading_problems(body: str, first_line: int, src_path: str) -> list[Problem]:
    """Return an error for each level-1 heading in a text: the title is the page's only h1."""
    problems = []
    fenced = False
    lines = body.split("\n")
    for index, line in enumerate(lines):
        underline = SETEXT_H1.match(line) and index > 0 and lines[index - 1].strip()
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (ATX_H1.match(line) or underline):
            problems.append(Problem(src_path, first_line + index, "the text has a level-1 heading",
                                    "the title is the page's only top heading: start sections with '##'", 1))
    return problems


ATX_H1 = re.compile(r"^ {0,3}#(?:[ \t]|$)")
SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
