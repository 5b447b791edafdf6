"""What templates see: the page, its language, translators, URL helpers and structured data."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from markupsafe import Markup

from . import structured
from .facts import page_rows
from .feeds import feed_url
from .hosting import META_CSP, REFERRER
from .images import image_size
from .model import Page, Posting, Site, Source
from .records import record
from .translations import Translator
from .typography import typeset_fragment

SHARE_SIZE = (1200, 630)
LANG_ATTR = Markup(' lang="{}"')


def hashed_name(asset: Source) -> str:
    """Return an asset's file name with the start of its SHA-256: 'css/style.css' → 'css/style.3f2a1c9e.css'."""
    name = asset.src_path.removeprefix("assets/")
    folder, _, file = name.rpartition("/")
    stem, dot, suffix = file.rpartition(".")
    hashed = f"{stem}.{asset.digest[:8]}.{suffix}" if dot and stem else f"{file}.{asset.digest[:8]}"
    return f"{folder}/{hashed}" if folder else hashed


@record
class PageLink:
    """Where another page is and what it is called: all a template needs to link to it."""

    key: str
    url: str
    title: str


@record
class Helpers:
    """URL and asset helpers shared by every page of one build."""

    base_path: str
    base_url: str
    sizes: dict[str, tuple[int, int] | None]
    names: dict[str, str]  # asset name → name with its content hash
    links: Mapping[str, Mapping[str, PageLink]]  # language → page key → link, for the pages (not postings)

    @classmethod
    def for_site(cls, site: Site, assets: tuple[Source, ...]) -> Helpers:
        """Return the helpers of a site whose assets are `assets`."""
        sizes = {a.src_path.removeprefix("assets/"): image_size(a.data) for a in assets}
        names = {a.src_path.removeprefix("assets/"): hashed_name(a) for a in assets}
        links: dict[str, dict[str, PageLink]] = {lang: {} for lang in site.config.lang_codes}
        for page in site.pages:
            if page.key.startswith("pages/"):
                links.setdefault(page.lang, {})[page.key] = PageLink(page.key, page.url, page.title)
        return cls(site.config.base_path, site.config.base_url, sizes, names, links)

    def asset(self, name: str) -> str:
        """Return an asset's URL path, with its content hash: 'style.css' → '/assets/style.3f2a1c9e.css'."""
        return f"{self.base_path}assets/{self.names.get(name, name)}"

    def rewrite_assets(self, html: str) -> str:
        """Return HTML whose links to assets by their source name point to the hashed files."""
        html = self.sized_images(html)
        prefix = f"{self.base_path}assets/"
        if prefix not in html:  # (what every link to an asset holds: most descriptions have none)
            return html
        _, link = _asset_patterns(prefix)
        return link.sub(self._swap, html)

    def sized_images(self, html: str) -> str:
        """Return HTML whose images of assets with a known size have it (`width` and `height`), unless given one."""
        if "<img" not in html:  # (what IMAGE needs)
            return html
        source, _ = _asset_patterns(f"{self.base_path}assets/")

        def size(match: re.Match[str]) -> str:
            tag = match.group(0)
            src = source.search(tag)
            dims = self.sizes.get(src.group(1)) if src else None
            if dims is None or re.search(r"\swidth=", tag):
                return tag
            return f'{tag[:-1].rstrip("/").rstrip()} width="{dims[0]}" height="{dims[1]}">'

        return IMAGE.sub(size, html)

    def asset_links(self, html: str) -> Iterator[tuple[int, int, str]]:
        """Yield where `rewrite_assets` changes the links to assets of HTML whose images are sized: (start, end,
        what replaces them), in order."""
        _, link = _asset_patterns(f"{self.base_path}assets/")
        for match in link.finditer(html):
            if match.group(2) in self.names:
                yield match.start(), match.end(), self._swap(match)

    def _swap(self, match: re.Match[str]) -> str:
        name = match.group(2)
        return f'{match.group(1)}{self.base_path}assets/{self.names[name]}' if name in self.names else match.group(0)

    def absolute(self, url: str) -> str:
        """Return the absolute URL of a site path."""
        return self.base_url.rstrip("/") + url[len(self.base_path) - 1:]

    def image(self, name: str | None) -> dict[str, Any] | None:
        """Return an image's absolute URL and pixel size, or None when there is no such image."""
        if not name or name not in self.sizes:
            return None
        width, height = self.sizes[name] or SHARE_SIZE
        return {"url": self.absolute(self.asset(name)), "width": width, "height": height}


IMAGE = re.compile(r"<img\b[^>]*>")


@functools.cache
def _asset_patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Return the patterns of an image's asset source and of a link to an asset, under the site's `prefix`."""
    return (re.compile(rf'\ssrc="{re.escape(prefix)}([^"#?]+)"'),
            # begins with the characters it looks for, then looks behind them (see `ids.ID_ATTR`): a page took
            # 190 µs, now 30
            re.compile(rf'(=")(?:(?<=\shref=")|(?<=\ssrc=")){re.escape(prefix)}([^"#?]+)'))


def language_context(site: Site, lang_code: str, helpers: Helpers) -> dict[str, Any]:
    """Return the variables every page of one language sees (made once per language and build)."""
    lang = site.config.language(lang_code)
    return {
        **_common(site, helpers),
        "lang": lang,
        "locale": lang.locale,
        "t": Translator(lang_code, site.strings.get(lang_code, {})),
        "postings": site.postings.get(lang_code, ()),
        "people": site.people.get(lang_code, ()),
        "steps": site.steps.get(lang_code, ()),
        "nav": tuple(PageLink(p.key, p.url, p.title) for name in site.config.nav
                     if (p := site.page(lang_code, f"pages/{name}"))),
        "page_links": helpers.links.get(lang_code, {}),
        "feed_url": feed_url(site, lang_code),
    }


def page_context(site: Site, page: Page, helpers: Helpers, shared: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the variables a page template sees: its language's (`shared`, if already made) and its own."""
    shared = shared if shared is not None else language_context(site, page.lang, helpers)
    posting = page.posting
    return {
        **shared,
        "page": page,
        "posting": posting,
        "lang_attr": lambda item: "" if item.text_lang in ("", page.lang) else LANG_ATTR.format(item.text_lang),
        "share": helpers.image((posting.facts.image if posting else None) or site.config.share_image),
        "trail": structured.trail(site, page, shared["t"]("nav_home")),
        "job_posting_ld": lambda item, description: _job_posting(site, item, description, helpers),
        "fact_rows": page_rows(shared["t"], shared["locale"]),
    }


def _job_posting(site: Site, posting: Posting, description: str, helpers: Helpers) -> Markup:
    """Return the JobPosting script of an open posting, its description typeset like the page (none in a preview)."""
    if site.config.preview:
        return Markup("")
    html = typeset_fragment(str(description).strip(), posting.text_lang or posting.lang, str(posting.html))
    return structured.jsonld(structured.job_posting(posting, site, html, helpers.absolute, helpers.asset))


def posting_description(site: Site, posting: Posting, helpers: Helpers, render: Any) -> str:
    """Return a posting's full description (text, facts, apply link) as typeset HTML, for feeds.

    `render(variables)` renders `_partials/job_description.html`; the JobPosting uses the same partial.
    """
    page = site.page(posting.lang, posting.facts.key)
    if page is None:
        return str(posting.html)
    try:
        html = str(render(page_context(site, page, helpers))).strip()
    except Exception:  # the posting's own page reports the template error, with its line
        return str(posting.html)
    return helpers.rewrite_assets(typeset_fragment(html, posting.text_lang or posting.lang, str(posting.html)))


def root_context(site: Site, helpers: Helpers) -> dict[str, Any]:
    """Return the variables of the language chooser and the 404 page (all languages)."""
    default = site.config.language(site.config.default_lang)
    return {
        **_common(site, helpers),
        "lang": default,
        "locale": default.locale,
        "t": Translator(default.code, site.strings.get(default.code, {})),
        "translators": {code: Translator(code, site.strings.get(code, {})) for code in site.config.lang_codes},
        "homes": {code: site.config.base_path + f"{code}/" for code in site.config.lang_codes},
        "home_pages": {code: page for code in site.config.lang_codes if (page := site.page(code, "pages/home"))},
        "share": helpers.image(site.config.share_image),
    }


def _common(site: Site, helpers: Helpers) -> dict[str, Any]:
    """Return what every template sees: the site, URL helpers and structured data builders."""
    return {
        "site": site,
        "config": site.config,
        "asset": helpers.asset,
        "absolute": helpers.absolute,
        "image_size": lambda name: helpers.sizes.get(name),
        "lang_name": lambda code: site.config.language(code).name,
        "locale_of": lambda code: site.config.language(code).locale,
        "jsonld": (lambda data: Markup("")) if site.config.preview else structured.jsonld,
        "meta_csp": META_CSP,
        "referrer_policy": REFERRER,
        "organization_ld": lambda: structured.organization(site, helpers.absolute, helpers.asset),
        "people_ld": lambda team: structured.people(site, team),
        "breadcrumbs_ld": lambda trail: structured.breadcrumbs(trail, helpers.absolute),
    }



