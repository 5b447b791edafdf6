"""Files for the host, not for people: `_headers` (Netlify and Cloudflare Pages syntax) and robots.txt.

The security headers fit a site with no script but JSON-LD data blocks, which a Content-Security-Policy
does not govern. Hosts that cannot send headers (GitHub Pages) get the policy and the referrer policy
from `<meta>` tags in every page instead (see `META_CSP`).
"""

from __future__ import annotations

from collections.abc import Callable

from .model import OutputFile, Site

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
META_CSP = CSP.removesuffix("; frame-ancestors 'none'")  # browsers ignore frame-ancestors in <meta>
REFERRER = "strict-origin-when-cross-origin"
SECURITY = (
    ("Content-Security-Policy", CSP),
    ("Referrer-Policy", REFERRER),
    ("X-Content-Type-Options", "nosniff"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
)
HTML_CACHE = "public, max-age=600, must-revalidate"  # pages change when the site is rebuilt
ASSET_CACHE = "public, max-age=31536000, immutable"  # assets carry a content hash in their name


def render_headers(site: Site) -> OutputFile:
    """Return `_headers`: security headers for every path, long caching for hashed assets, short for the rest.

    Rules never overlap on a header, so hosts that merge the rules of every matching path send each
    header once. A preview also says `X-Robots-Tag: noindex` everywhere.
    """
    base = site.config.base_path
    lines = [f"{base}*"]
    lines += [f"  {name}: {value}" for name, value in SECURITY]
    if site.config.preview:
        lines.append("  X-Robots-Tag: noindex, nofollow")
    lines += ["", f"{base}assets/*", f"  Cache-Control: {ASSET_CACHE}"]
    short = [f"{base}", f"{base}index.html", f"{base}404.html", *(f"{base}{lang}/*" for lang in site.config.lang_codes),
             *(f"{base}{name}" for name in ("sitemap.xml", "robots.txt", "jobs.json", "jobs.schema.json",
                                             "jobs-indeed.xml"))]
    for path in short:
        lines += ["", path, f"  Cache-Control: {HTML_CACHE}"]
    return OutputFile("_headers", ("\n".join(lines) + "\n").encode("utf-8"))


def render_redirects(site: Site) -> OutputFile:
    """Return `_redirects` (Netlify and Cloudflare syntax): unknown paths below the base path get the 404 page.

    Hosts find `/404.html` at the root by themselves; a site in a sub-folder needs this rule.
    """
    base = site.config.base_path
    return OutputFile("_redirects", f"{base}*  {base}404.html  404\n".encode())


def render_robots(site: Site, absolute: Callable[[str], str]) -> OutputFile:
    """Return robots.txt: everything may be crawled and the sitemap is named; a preview forbids everything."""
    if site.config.preview:
        return OutputFile("robots.txt", b"User-agent: *\nDisallow: /\n")
    text = f"User-agent: *\nAllow: /\n\nSitemap: {absolute(site.config.base_path + 'sitemap.xml')}\n"
    return OutputFile("robots.txt", text.encode("utf-8"))


Rules = list[tuple[str, list[tuple[str, str]]]]


def parse_headers(text: str) -> Rules:
    """Return the rules of a `_headers` file: (path pattern, [(header, value)]) in file order."""
    rules: Rules = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), []))
        elif rules and ":" in line:
            name, value = line.strip().split(":", 1)
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


def headers_for(rules: Rules, path: str) -> list[tuple[str, str]]:
    """Return the headers a host sends for `path`: those of every matching rule ('*' matches anything)."""
    import re

    found = []
    for pattern, headers in rules:
        if re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), path):
            found.extend(headers)
    return found
