"""Parse content files (YAML, front matter, Markdown) and check each against its schema."""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from .characters import forbidden_character, position, unify_line_endings
from .frontmatter import parse_front_matter
from .links import Link, extract_links
from .markdown import convert_markdown, make_converter, needs_extra, needs_fences, sanitize, structure_problems
from .model import NO_HTML, Html, Problem, Source, YamlData
from .placeholders import placeholder_problems
from .records import record, replace
from .schema import Schemas, check_schema
from .sources import ContentFile
from .translations import text_hash
from .yamlfile import parse_yaml, shared_parts

if TYPE_CHECKING:
    import markdown as md

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


@record
class Parsed:
    """A parsed content file: its data (None if unusable), body HTML, and problems."""

    file: ContentFile
    data: YamlData | None
    html: Html
    problems: tuple[Problem, ...]
    text_hash: str = ""
    links: tuple[Link, ...] = ()

    @property
    def synced_to(self) -> str | None:
        """Return the source hash recorded in a translation's front matter, if any."""
        value = self.data.value if self.data else None
        return value.get("source_hash") if isinstance(value, dict) else None


def but_the_file(parsed: Parsed) -> tuple[Any, ...]:
    """Return a parse's fields but its file, in order: `Parsed(parsed.file, *but_the_file(parsed)) == parsed`."""
    return parsed.data, parsed.html, parsed.problems, parsed.text_hash, parsed.links


CacheKey = tuple[str, str, str, str | None]
ParseCache = MutableMapping[CacheKey, Parsed]


class LazyConverter:
    """Makes the Markdown converters on first use, so that YAML-only work never imports Markdown.

    A text is converted by one with only the extensions whose syntax it may hold (see `needs_fences` and
    `needs_extra`): most texts need neither fenced code (slow to import) nor the rest of `extra`.
    """

    def __init__(self, factory: Callable[[bool, bool], md.Markdown] = make_converter) -> None:
        self._factory = factory
        self._converters: dict[tuple[bool, bool], md.Markdown] = {}

    def __call__(self, text: str) -> str:
        """Return the HTML Python-Markdown makes of a text, before sanitizing."""
        kind = (needs_fences(text), needs_extra(text))
        if kind not in self._converters:
            self._converters[kind] = self._factory(*kind)
        return convert_markdown(self._converters[kind], text)

    def prepare(self) -> None:
        """Make now the converters of texts without fenced code blocks, with and without `extra`'s syntax."""
        for extra in (False, True):
            if (False, extra) not in self._converters:
                self._converters[False, extra] = self._factory(False, extra)


def cache_key(file: ContentFile, source: Source) -> CacheKey:
    """Return the key of a file's parse: its path, content hash, kind and language."""
    return (file.src_path, source.digest, file.kind, file.lang)


def parse_cached(
    file: ContentFile, source: Source, schemas: Schemas,
    convert: Callable[[str], str], cache: ParseCache,
) -> Parsed:
    """Return the parse of a file, reusing the cached one when path and bytes are unchanged."""
    key = cache_key(file, source)
    if key not in cache:
        parsed = parse_file(file, source, schemas, convert)
        if not unread(parsed):
            cache[key] = parsed
        return parsed
    return cache[key]


CHANGED = "the file changed while the build was reading it"


def unread(parsed: Parsed) -> bool:
    """Return True for the parse of a file that changed while the build read it: not one to keep."""
    return parsed.data is None and any(problem.message == CHANGED for problem in parsed.problems)


MAX_TEXT_BYTES = 32 * 1024
MAX_YAML_BYTES = 256 * 1024


def parse_file(
    file: ContentFile, source: Source, schemas: Schemas, convert: Callable[[str], str],
) -> Parsed:
    """Return the parsed, schema-checked content of one file."""
    stored = source.read()
    if stored is None:  # its bytes were let go, and the file is no longer what the build read
        return Parsed(file, None, NO_HTML, (Problem(file.src_path, None, CHANGED, "build again once it is saved"),))
    limit = MAX_TEXT_BYTES if file.kind == "text" else MAX_YAML_BYTES
    if len(stored) > limit:
        problem = Problem(file.src_path, 1, f"file is too large ({len(stored) // 1024} KiB; at most "
                          f"{limit // 1024} KiB)", "split it, or move large data out of content/", 1)
        return Parsed(file, None, NO_HTML, (problem,))
    try:
        text = stored.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = stored[: exc.start].decode("utf-8", "replace")
        line, column = position(before, len(before))
        problem = Problem(file.src_path, line, "file is not valid UTF-8", "save it with the UTF-8 encoding", column)
        return Parsed(file, None, NO_HTML, (problem,))
    text = unify_line_endings(text.removeprefix("\ufeff"))
    if (bad := forbidden_character(text)) is not None:
        line, column = position(text, bad[0])
        problem = Problem(file.src_path, line, f"the file contains {bad[1]}", "remove it", column)
        return Parsed(file, None, NO_HTML, (problem,))
    body, body_line = "", 1
    if file.kind == "text":
        data, body, problems = parse_front_matter(text, file.src_path)
        body_line = text.count("\n", 0, len(text) - len(body)) + 1
        problems.extend(structure_problems(body, body_line, file.src_path))
    else:
        data, problems = parse_yaml(text, file.src_path)
    if data is not None:
        problems.extend(_content_problems(file, data, body, body_line, schemas))
    if any(p.severity == "error" for p in problems):
        return Parsed(file, None, NO_HTML, tuple(problems))
    if file.kind != "text" or data is None:
        return Parsed(file, data, NO_HTML, tuple(problems))
    try:
        raw = convert(body)
    except RecursionError:
        problem = Problem(file.src_path, body_line, "the text is nested too deeply to convert",
                          "flatten its lists, quotes and HTML", 1)
        return Parsed(file, None, NO_HTML, (*problems, problem))
    return Parsed(file, data, Html(sanitize(raw)), tuple(problems), text_hash(data.value, body),
                  extract_links(raw, body, body_line))


def _content_problems(
    file: ContentFile, data: YamlData, body: str, body_line: int, schemas: Schemas,
) -> list[Problem]:
    """Return schema violations, placeholders and heading problems of a parsed file."""
    if data.value is None and file.kind != "text":
        return [Problem(file.src_path, 1, "file is empty", "fill in its fields", 1)]
    schema = SCHEMA_OF[(file.kind, file.collection if file.kind in ("facts", "text") else "")]
    placeholders = placeholder_problems(data, body, body_line, file.src_path)
    marked = {p.line for p in placeholders}
    problems = [p for p in check_schema(schemas, schema, data, file.src_path) if p.line not in marked]
    problems.extend(placeholders)
    if file.kind == "text":
        if file.collection in ("pages", "jobs"):
            problems.extend(heading_problems(body, body_line, file.src_path))
        problems.extend(image_problems(body, body_line, file.src_path))
    return problems


def heading_problems(body: str, first_line: int, src_path: str) -> list[Problem]:
    """Return errors for headings that break the page outline: a level-1 heading, or a skipped level."""
    problems = []
    previous = 1  # the page title is the h1
    for index, level in _headings(body):
        line = first_line + index
        if level == 1:
            problems.append(Problem(src_path, line, "the text has a level-1 heading",
                                    "the title is the page's only top heading: start sections with '##'", 1))
        elif level > previous + 1:
            problems.append(Problem(src_path, line, f"heading level {level} follows level {previous}",
                                    f"use {'#' * (previous + 1)} here: heading levels may not be skipped", 1))
        previous = max(level, 2) if level > 1 else previous
    return problems


def _headings(body: str) -> list[tuple[int, int]]:
    """Return (line index, level) of every Markdown heading outside code blocks.

    A text with no fence and no line that could underline a heading (most texts) has only '#' headings:
    they are found in one search, where looking at each line took a fortieth of the text's parse.
    """
    lines = "\n" + body  # each line after a newline: the patterns begin with it, which the regex engine finds quickly
    if needs_fences(body) or SETEXT_LINE.search(lines):
        return _headings_by_line(body)
    found, line, at = [], 0, 0
    for match in ATX_LINE.finditer(lines):
        line += lines.count("\n", at, match.start())  # (the newline put first counts for the lines before)
        at = match.start()
        found.append((line, len(match.group(1))))
    return found


def _headings_by_line(body: str) -> list[tuple[int, int]]:
    """Return what `_headings` returns, line by line: fences, and headings underlined on the next line."""
    found = []
    fenced = False
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        atx = ATX.match(line)
        if atx:
            found.append((index, len(atx.group(1))))
        elif index > 0 and lines[index - 1].strip() and not ATX.match(lines[index - 1]):
            if SETEXT_H1.match(line):
                found.append((index - 1, 1))
            elif SETEXT_H2.match(line) and not lines[index - 1].lstrip().startswith(("-", "*", "+")):
                found.append((index - 1, 2))
    return found


def image_problems(body: str, first_line: int, src_path: str) -> list[Problem]:
    """Return an error for each image without alt text."""
    problems = []
    for index, line in enumerate(body.split("\n") if "![" in body or "<" in body else ()):  # (what either needs)
        for match in [*EMPTY_ALT.finditer(line), *RAW_IMG_NO_ALT.finditer(line)]:
            problems.append(Problem(src_path, first_line + index, "image has no alt text",
                                    "describe it between the brackets: ![what it shows](file.jpg)", match.start() + 1))
    return problems


ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
ATX_LINE = re.compile(r"\n {0,3}(#{1,6})(?:[ \t]|(?=\n)|\Z)")  # ATX, at a line's start in "\n" + the text
SETEXT_LINE = re.compile(r"\n {0,3}(?:=+|-+)[ \t]*(?=\n|\Z)")  # a line either SETEXT pattern matches, the same way
SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
SETEXT_H2 = re.compile(r"^ {0,3}-+[ \t]*$")
EMPTY_ALT = re.compile(r"!\[\s*\]\(")
RAW_IMG_NO_ALT = re.compile(r"<img\b(?![^>]*\balt\s*=)[^>]*>", re.I)


def with_shared_parts(parsed: Parsed, shared: dict[Any, Any]) -> Parsed:
    """Return `parsed` with its data made of the paths, positions and strings in `shared` (see `shared_parts`),
    and its links and HTML's ids the equal ones there (texts made from one scaffold have the same)."""
    if parsed.data is None:
        return parsed
    return replace(parsed, data=shared_parts(parsed.data, shared), html=parsed.html.sharing(shared),
                   links=tuple(shared.setdefault(link, link) for link in parsed.links))
