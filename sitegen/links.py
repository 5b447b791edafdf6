"""Links in Markdown: find them with their position, check that internal ones resolve, rebase them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .model import Problem

INLINE = re.compile(r"!?\[(?:[^\]\\\n]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
RAW = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
ROOT_LINK = re.compile(r"""(\s(?:href|src)=")/(?!/)""")


@dataclass(frozen=True, slots=True)
class Link:
    """A link or image target written in a Markdown file, with its 1-based position."""

    target: str
    line: int
    column: int


def extract_links(markdown: str, first_line: int) -> tuple[Link, ...]:
    """Return every link and image target of a Markdown text, outside code."""
    links: list[Link] = []
    fence: str | None = None
    for index, line in enumerate(markdown.split("\n")):
        opening = FENCE.match(line)
        if fence is not None:
            fence = None if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                else fence
            continue
        if opening:
            fence = opening.group(1)
            continue
        visible = CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        for pattern in (INLINE, REFERENCE, RAW):
            for match in pattern.finditer(visible):
                links.append(Link(match.group(1), first_line + index, match.start(1) + 1))
    return tuple(sorted(set(links), key=lambda link: (link.line, link.column)))


def check_link(link: Link, src_path: str, base_url: str, known: frozenset[str], base_path: str,
               own_lang: str, langs: Iterable[str]) -> Problem | None:
    """Return a problem when a link uses a forbidden scheme or points to nothing on the site.

    `base_url` is the URL of the page the text appears on; `known` holds every output path
    (without the base path, starting with '/').
    """
    parts = urlsplit(link.target)
    if parts.scheme:
        if parts.scheme.lower() in SAFE_SCHEMES:
            return None
        return Problem(src_path, link.line, f"link uses the '{parts.scheme}:' scheme, which is not allowed",
                       "use https:, mailto:, tel: or a path on this site", link.column)
    if not parts.path:
        return None  # '#fragment' or '?query' on the same page
    path = urljoin(base_url, parts.path) if not parts.path.startswith("/") else parts.path
    if base_path != "/" and path.startswith(base_path):
        path = "/" + path[len(base_path):]
    candidates = {path, path + "/", path.rstrip("/") + "/index.html"}
    if not candidates & known:
        return Problem(src_path, link.line, f"link to '{link.target}' leads nowhere on this site",
                       _suggest_page(path, known), link.column)
    first = path.strip("/").split("/", 1)[0]
    if first in langs and first != own_lang:
        return Problem(src_path, link.line, f"link to '{link.target}' leaves the page's language",
                       f"link to the {own_lang} version of the page", link.column, "warning")
    return None


def _suggest_page(path: str, known: frozenset[str]) -> str:
    """Return a hint naming the closest existing page, or how internal links are written."""
    import difflib

    pages = sorted(k for k in known if k.endswith("/"))
    close = difflib.get_close_matches(path, pages, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "write a path such as /en/team/ or /assets/file.pdf"


def rebase(html: str, base_path: str) -> str:
    """Return content HTML whose site-root links ('/en/team/') carry the base path ('/careers/en/team/')."""
    return html if base_path == "/" else ROOT_LINK.sub(lambda m: m.group(1) + base_path, html)


def site_link_problems(
    pages: Iterable[tuple[str, str, str, tuple[Link, ...]]], known: frozenset[str], base_path: str,
    langs: tuple[str, ...],
) -> list[Problem]:
    """Return the problems of every text's links: (src_path, lang, URL shown at, links) per text."""
    problems = []
    for src_path, lang, shown_at, links in pages:
        for link in links:
            problem = check_link(link, src_path, shown_at, known, base_path, lang, langs)
            if problem is not None:
                problems.append(problem)
    return problems
