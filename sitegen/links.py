"""Content stage: links of a text, taken from its parsed document; checked against the site, and rebased."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from html import escape as html_escape
from html import unescape as html_unescape
from urllib.parse import urljoin, urlsplit

from .model import Problem
from .records import field, record

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# begins with the characters it looks for, then looks behind them (as `ids.ID_ATTR` does, and for that reason)
ROOT_LINK = re.compile(r"""(=")/(?!/)(?:(?<=\shref="/)|(?<=\ssrc="/))""")


@record
class Link:
    """A link or image target written in a Markdown file, with its 1-based position."""

    target: str
    line: int
    column: int


# a tag (from '<' and a letter to the first '>') that TARGET finds something in: the regex engine passes
# over the others, most of a text's
TAG_WITH_TARGET = re.compile(r"<[A-Za-z](?=[^>]*\s(?:href|src)\s*=)[^>]*>", re.I)
NEWLINE = re.compile("\n")
TARGET = re.compile(r"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)


def html_targets(html: str) -> list[str]:
    """Return every href and src in the tags of an HTML document, in document order, entities decoded."""
    found = []
    for tag in TAG_WITH_TARGET.finditer(html):
        for match in TARGET.finditer(tag.group(0)):
            value = html_unescape(next(group for group in match.groups() if group is not None)).strip()
            if value:
                found.append(value)
    return found


def extract_links(html: str, markdown: str, first_line: int) -> tuple[Link, ...]:
    """Return every link and image target of a text, from the HTML its Markdown became.

    Each target is located at its first occurrence in the Markdown source after the previous one, or at
    the text's first line when the source spells it differently.
    """
    starts = [0, *(match.end() for match in NEWLINE.finditer(markdown))]
    links, cursor = set(), 0
    for target in html_targets(html):
        at = markdown.find(target, cursor)
        at = markdown.find(target) if at < 0 else at
        if at < 0:
            links.add(Link(target, first_line, 1))
            continue
        cursor = at + len(target)
        row = bisect.bisect_right(starts, at) - 1
        links.add(Link(target, first_line + row, at - starts[row] + 1))
    return tuple(sorted(links, key=lambda link: (link.line, link.column, link.target)))


@record
class SiteLinks:
    """What links are checked against: output paths, names editors may write instead, ids per page."""

    known: frozenset[str]  # every output path, without the base path, starting with '/'
    base_path: str
    langs: tuple[str, ...]
    aliases: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (lang or '*', name) → the path to write
    ids: Mapping[str, frozenset[str]] = field(default_factory=dict)  # page path → the ids it may hold


def check_link(link: Link, src_path: str, base_url: str, known: frozenset[str], base_path: str,
               own_lang: str, langs: Iterable[str], site: SiteLinks | None = None) -> Problem | None:
    """Return a problem when a link uses a forbidden scheme, points to nothing, or to a missing '#id'.

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
        return _fragment_problem(link, src_path, base_url, parts.fragment, site)
    path = urljoin(base_url, parts.path) if not parts.path.startswith("/") else parts.path
    if base_path != "/" and path.startswith(base_path):
        path = "/" + path[len(base_path):]
    candidates = {path, path + "/", path.rstrip("/") + "/index.html"}
    if not candidates & known:
        alias = _alias(parts.path, own_lang, site)
        hint = f"did you mean '{alias}'?" if alias else _suggest_page(path, known)
        return Problem(src_path, link.line, f"link to '{link.target}' leads nowhere on this site", hint, link.column)
    if parts.fragment:
        target = next((c for c in (path, path + "/") if c in known), path)
        if (problem := _fragment_problem(link, src_path, target, parts.fragment, site)) is not None:
            return problem
    first = path.strip("/").split("/", 1)[0]
    if first in langs and first != own_lang:
        return Problem(src_path, link.line, f"link to '{link.target}' leaves the page's language",
                       f"link to the {own_lang} version of the page", link.column, "warning")
    return None


def _alias(written: str, lang: str, site: SiteLinks | None) -> str | None:
    """Return the path to write for a source file name, an asset name or another language's slug."""
    if site is None:
        return None
    name = written.removeprefix("./").lstrip("/")
    for key in ((lang, name), (lang, name.removeprefix("content/")), (lang, name.rsplit("/", 1)[-1]),
                ("*", "/" + name)):
        if (found := site.aliases.get(key)) is not None:
            return found
    return None


def _fragment_problem(link: Link, src_path: str, page: str, fragment: str, site: SiteLinks | None) -> Problem | None:
    """Return a warning when '#fragment' names no id of the page it leads to (when that page's ids are known)."""
    if site is None or not fragment or page not in site.ids or fragment in site.ids[page]:
        return None
    import difflib

    close = difflib.get_close_matches(fragment, sorted(site.ids[page]), n=1, cutoff=0.6)
    hint = f"did you mean '#{close[0]}'?" if close else "link to a heading's id, shown in the page's HTML"
    return Problem(src_path, link.line, f"link to '{link.target}' names no heading or section of that page",
                   hint, link.column, "warning")


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
    escaped = html_escape(base_path)
    return html if base_path == "/" else ROOT_LINK.sub(lambda m: m.group(1) + escaped, html)


def site_link_problems(
    pages: Iterable[tuple[str, str, str, tuple[Link, ...]]], known: frozenset[str], base_path: str,
    langs: tuple[str, ...], site: SiteLinks | None = None,
) -> list[Problem]:
    """Return the problems of every text's links: (src_path, lang, URL shown at, links) per text."""
    problems = []
    for src_path, lang, shown_at, links in pages:
        for link in links:
            problem = check_link(link, src_path, shown_at, known, base_path, lang, langs, site)
            if problem is not None:
                problems.append(problem)
    return problems
