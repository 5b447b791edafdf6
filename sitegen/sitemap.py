"""`sitemap.xml`: every real page with the same hreflang alternates as its head, and lastmod from content."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from operator import itemgetter

from .assemble import HOME_KEY, SiteChange, site_change
from .model import Alternate, OutputFile, Page, Site
from .pieces import Piece, joined, piece
from .records import record
from .reuse import Reuse
from .xmltext import quoteattr

HEAD = piece(b'<?xml version="1.0" encoding="UTF-8"?>\n'
             b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">')
END = piece(b"</urlset>\n")


@record
class Sitemap:
    """The sitemap's entries as `render_sitemap` made them from a site, kept for the next (serve)."""

    site: Site
    pieces: tuple[Piece, ...]  # head, entries by address, end
    at: Mapping[str, int]  # a listed page's address → the place of its entry


def render_sitemap(site: Site, reuse: Reuse | None = None, previous: Mapping[str, str] | None = None) -> OutputFile:
    """Return the sitemap of the site, with xhtml:link alternates (Google's format): the root chooser and every
    real page, with the same hreflang alternates as its head, and lastmod from content.

    With `reuse` (serve), a page's entry made from the very same page as in the last build is that build's,
    and a site that assembly patched patches the last sitemap (`SiteChange`); a sitemap whose fingerprint
    `previous` records is kept (`pieces.joined`).
    """
    reuse = reuse or Reuse()
    absolute = _absolute(site)
    last: Sitemap | None = reuse.known("sitemap file", (site.config,))
    change = site_change(site, reuse)
    if last is not None and change is not None and (pieces := _patched(last, change, absolute)) is not None:
        reuse.carry("sitemap")  # the entries of the other pages, for a build that makes them all again
        reuse.keep("sitemap file", (site.config,), Sitemap(site, pieces, last.at))
        return joined("sitemap.xml", pieces, previous or {})
    homes = [p for p in site.pages if p.key == HOME_KEY and not p.is_fallback]
    root_alternates = tuple(Alternate(p.lang, p.url) for p in sorted(homes, key=lambda p: _order(site, p.lang)))
    root = _entry(absolute, site.config.base_path, root_alternates, site.config.base_path, None)
    listed = [page for page in site.pages if _listed(page)]
    if not reuse.remember:  # a one-off build: each entry is made as the file is written, never all at once
        order = sorted([(site.config.base_path, None), *((page.url, page) for page in listed)], key=itemgetter(0))
        return joined("sitemap.xml", _streamed(order, root, absolute), previous or {}, streamed=True)
    entries = [(site.config.base_path, root)]
    made = reuse.each("sitemap", (site.config,), listed, lambda page: _page_entry(absolute, page))
    entries.extend(zip([page.url for page in listed], made, strict=True))
    entries.sort(key=itemgetter(0))
    made_pieces = (HEAD, *(entry for _, entry in entries), END)
    reuse.keep("sitemap file", (site.config,), Sitemap(site, made_pieces,
                                                       {url: index + 1 for index, (url, _) in enumerate(entries)}))
    return joined("sitemap.xml", made_pieces, previous or {})


def _streamed(order: list[tuple[str, Page | None]], root: Piece, absolute: Callable[[str], str]) -> Iterator[Piece]:
    """Yield the sitemap's pieces, each page's entry made when it is taken (None: the root's, made already)."""
    yield HEAD
    for _, page in order:
        yield root if page is None else _page_entry(absolute, page)
    yield END


def _patched(last: Sitemap, change: SiteChange, absolute: Callable[[str], str]) -> tuple[Piece, ...] | None:
    """Return the last sitemap with the entries of the pages a save remade made again, or None when it cannot
    be patched: made from another site than the one the save changed, or a page listed or not anew.

    The root's entry is made from the home pages' addresses, which a patched site keeps.
    """
    if last.site is not change.before:
        return None
    pieces = list(last.pieces)
    for old, new in change.pages:
        listed = _listed(new)
        if listed != _listed(old):
            return None
        if listed:
            pieces[last.at[new.url]] = _page_entry(absolute, new)
    return tuple(pieces)


def _listed(page: Page) -> bool:
    """Return True when the sitemap lists a page: a real translation, not a closed posting."""
    return not page.is_fallback and not (page.posting is not None and page.posting.closed)


def _page_entry(absolute: Callable[[str], str], page: Page) -> Piece:
    """Return a page's `<url>` entry."""
    return _entry(absolute, page.url, page.hreflang, page.x_default, page.updated.isoformat() if page.updated else None)


def _entry(absolute: Callable[[str], str], url: str, alternates: tuple[Alternate, ...], x_default: str,
           lastmod: str | None) -> Piece:
    """Return one `<url>` entry, its alternates followed by x-default (encoded: the sitemap is joined from them)."""
    lines = ["  <url>", f"    <loc>{_text(absolute(url))}</loc>"]
    if lastmod:
        lines.append(f"    <lastmod>{lastmod}</lastmod>")
    links = [(alt.lang, alt.url) for alt in alternates] + ([("x-default", x_default)] if alternates else [])
    lines.extend(f'    <xhtml:link rel="alternate" hreflang="{hreflang}" href={quoteattr(absolute(href))}/>'
                 for hreflang, href in links)
    lines.append("  </url>")
    return piece("\n".join(lines).encode("utf-8"))


def _order(site: Site, lang: str) -> int:
    """Return a language's position in the site's order."""
    return site.config.lang_codes.index(lang)


def _absolute(site: Site) -> Callable[[str], str]:
    """Return a function turning a site path into an absolute URL."""
    base, prefix = site.config.base_url.rstrip("/"), len(site.config.base_path) - 1
    return lambda url: base + url[prefix:]


def _text(value: str) -> str:
    """Return XML-escaped text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
