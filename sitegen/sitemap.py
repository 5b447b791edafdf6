"""`sitemap.xml`: every real page with the same hreflang alternates as its head, and lastmod from content."""

from __future__ import annotations

from collections.abc import Callable

from .assemble import HOME_KEY
from .model import Alternate, OutputFile, Site
from .xmltext import quoteattr


def sitemap_entries(site: Site) -> list[tuple[str, tuple[Alternate, ...], str, str | None]]:
    """Return (URL, alternates, x-default, lastmod) for the root chooser and every real page."""
    homes = [p for p in site.pages if p.key == HOME_KEY and not p.is_fallback]
    root_alternates = tuple(Alternate(p.lang, p.url) for p in sorted(homes, key=lambda p: _order(site, p.lang)))
    entries: list[tuple[str, tuple[Alternate, ...], str, str | None]] = [
        (site.config.base_path, root_alternates, site.config.base_path, None)]
    for page in site.pages:
        if page.is_fallback or (page.posting is not None and page.posting.closed):
            continue
        lastmod = page.updated.isoformat() if page.updated else None
        entries.append((page.url, page.hreflang, page.x_default, lastmod))
    return sorted(entries, key=lambda e: e[0])


def _order(site: Site, lang: str) -> int:
    """Return a language's position in the site's order."""
    return site.config.lang_codes.index(lang)


def render_sitemap(site: Site) -> OutputFile:
    """Return the sitemap of the site, with xhtml:link alternates (Google's format)."""
    absolute = _absolute(site)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for url, alternates, x_default, lastmod in sitemap_entries(site):
        lines.append("  <url>")
        lines.append(f"    <loc>{_text(absolute(url))}</loc>")
        if lastmod:
            lines.append(f"    <lastmod>{lastmod}</lastmod>")
        links = [(alt.lang, alt.url) for alt in alternates] + ([("x-default", x_default)] if alternates else [])
        for hreflang, href in links:
            lines.append(f'    <xhtml:link rel="alternate" hreflang="{hreflang}" href={quoteattr(absolute(href))}/>')
        lines.append("  </url>")
    lines.append("</urlset>")
    return OutputFile("sitemap.xml", ("\n".join(lines) + "\n").encode("utf-8"))


def _absolute(site: Site) -> Callable[[str], str]:
    """Return a function turning a site path into an absolute URL."""
    base, prefix = site.config.base_url.rstrip("/"), len(site.config.base_path) - 1
    return lambda url: base + url[prefix:]


def _text(value: str) -> str:
    """Return XML-escaped text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
