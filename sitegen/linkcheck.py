"""Site stage: links in texts and people's photos, checked against the pages and assets of the built site."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter
from typing import TypeVar

from .ids import template_ids
from .links import SiteLinks, site_link_problems
from .model import Problem, Project, Site
from .parse import Parsed
from .reuse import Reuse

Key = TypeVar("Key")
Value = TypeVar("Value")


def link_problems(site: Site, parsed: tuple[Parsed, ...], project: Project, reuse: Reuse | None = None
                  ) -> list[Problem]:
    """Return the problems of links in texts and of people's photos, checked against the built site.

    With `reuse` (serve), a text whose links were all fine in the last build, with the same site
    addresses, the same page and no '#fragment' (whose ids another page's edit may remove), is not
    checked again.
    """
    reuse = reuse or Reuse()
    base = site.config.base_path
    urls, assets = tuple(map(attrgetter("url"), site.pages)), tuple(map(attrgetter("src_path"), project.assets))
    known = reuse.get("link targets", (base, urls, assets), _targets, base, urls, assets)  # serve: the same, mostly
    shown_at = {(p.src_path, p.lang): p for p in site.pages}
    aliases = Later(lambda: link_aliases(site, project))  # needed only for a link that leads nowhere
    ids = Later(lambda: page_ids(site, project))  # needed only for '#fragment' links
    links = SiteLinks(known, base, site.config.lang_codes, aliases, ids)
    problems = []
    texts = [text for text in parsed if text.links and text.file.kind == "text" and text.file.lang]
    pages = [shown_at.get((text.file.src_path, text.file.lang or "")) for text in texts]
    context = (known, site.config)
    found = reuse.found("fine links", context, texts, pages)  # True: all fine, with no '#fragment', last time
    fine = list(found)
    for index, (text, page, known_fine) in enumerate(zip(texts, pages, found, strict=True)):
        if known_fine:
            continue
        at = "/" + page.url[len(base):] if page is not None else f"/{text.file.lang}/"
        wrong = site_link_problems([(text.file.src_path, text.file.lang or "", at, text.links)], known, base,
                                   site.config.lang_codes, links)
        problems.extend(wrong)
        fine[index] = not wrong and not any("#" in link.target for link in text.links)
    reuse.keep_each("fine links", context, texts, fine, pages, found)
    for item in parsed:
        if item.file.kind != "facts" or item.data is None:
            continue
        for key in ("photo", "image"):
            name = item.data.value.get(key)
            if name and f"/assets/{name}" not in known:
                line, column = item.data.where_value((key,))
                problems.append(Problem(item.file.src_path, line, f"{key} 'assets/{name}' does not exist",
                                        "add the image to assets/, or fix the file name", column))
    for name, what in ((site.config.share_image, "share_image"), (site.config.organisation.logo, "organisation.logo")):
        if name and f"/assets/{name}" not in known:
            problems.append(Problem("content/_site.yaml", None, f"{what} 'assets/{name}' does not exist",
                                    "add the image to assets/, or fix the file name"))
    return problems


def _targets(base: str, urls: tuple[str, ...], assets: tuple[str, ...]) -> frozenset[str]:
    """Return every path a link may lead to: the pages' addresses (below the base path) and the assets'."""
    return frozenset({"/", "/index.html", "/404.html", "/sitemap.xml"} | {"/" + url[len(base):] for url in urls}
                     | {"/" + path for path in assets})


class Later(Mapping[Key, Value]):
    """A mapping made by `make` the first time it is read: a big site pays for it only when a link needs it."""

    def __init__(self, make: Callable[[], Mapping[Key, Value]]) -> None:
        self._make = make
        self._made: Mapping[Key, Value] | None = None

    def _mapping(self) -> Mapping[Key, Value]:
        if self._made is None:
            self._made = self._make()
        return self._made

    def __getitem__(self, key: Key) -> Value:
        return self._mapping()[key]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())


def link_aliases(site: Site, project: Project) -> dict[tuple[str, str], str]:
    """Return, per language, what editors write instead of a path: source file names, asset names, and the
    path of a page under another language's slug ('/fr/team/' → '/fr/equipe/')."""
    base, langs = site.config.base_path, site.config.lang_codes
    aliases: dict[tuple[str, str], str] = {}
    for page in site.pages:
        path = "/" + page.url[len(base):]
        for lang in langs:
            if lang == page.lang:
                for name in (page.src_path, page.src_path.removeprefix("content/"), page.src_path.rsplit("/", 1)[-1]):
                    aliases.setdefault((lang, name), path)
            elif (other := site.page(lang, page.key)) is not None:
                aliases.setdefault(("*", "/" + lang + path[len(page.lang) + 1:]), "/" + other.url[len(base):])
    for asset in project.assets:
        name = asset.src_path.removeprefix("assets/")
        for lang in langs:
            aliases.setdefault((lang, name), "/" + asset.src_path)
            aliases.setdefault((lang, asset.src_path), "/" + asset.src_path)
    return aliases


def page_ids(site: Site, project: Project) -> dict[str, frozenset[str]]:
    """Return, per page path, the ids it may hold: its text's, the templates', people's and steps'."""
    shared = set(template_ids(t.data.decode("utf-8", "replace") for t in project.templates))
    for lang in site.config.lang_codes:
        for key, html in [*((p.key, p.intro_html) for p in site.people.get(lang, ())),
                          *((s.key, s.html) for s in site.steps.get(lang, ()))]:
            shared.add(key)
            shared.update(ID_VALUE.findall(html))
    return {"/" + page.url[len(site.config.base_path):]: frozenset(shared | set(ID_VALUE.findall(page.html)))
            for page in site.pages}


ID_VALUE = re.compile(r'\sid="([^"]*)"')
