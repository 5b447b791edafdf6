"""Site stage: links in texts and people's photos, checked against the pages and assets of the built site."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter
from typing import TypeVar

from .assemble import SiteChange, site_change
from .ids import ID_VALUE, template_ids
from .links import SiteLinks, site_link_problems
from .model import Page, Problem, Project, Site
from .parse import Parsed
from .records import record
from .reuse import Reuse, other_places

Key = TypeVar("Key")
Value = TypeVar("Value")


@record
class Checked:
    """What `link_problems` found in a site, kept for the next build to patch (serve)."""

    site: Site
    parsed: tuple[Parsed, ...]
    known: frozenset[str]
    shown: Mapping[tuple[str, str], Page]  # (source path, language) → the page that shows that text
    texts: Mapping[tuple[str, str], int]  # (source path, language) → the place in `parsed` of a text with links
    fine: frozenset[int]  # those whose links were all fine, with no '#fragment' (whose ids may go)
    others: tuple[Problem, ...]  # the problems of people's photos and of `_site.yaml`'s images


def link_problems(site: Site, parsed: tuple[Parsed, ...], project: Project, reuse: Reuse | None = None
                  ) -> list[Problem]:
    """Return the problems of links in texts and of people's photos, checked against the built site.

    With `reuse` (serve), a text whose links were all fine in the last build, with the same site
    addresses, the same page and no '#fragment' (whose ids another page's edit may remove), is not
    checked again; and when assembly patched the site (`SiteChange`) and the save changed texts only,
    the last build's findings are patched: the texts and pages the save changed are looked at, no other.
    """
    reuse = reuse or Reuse()
    base = site.config.base_path
    urls, assets = tuple(map(attrgetter("url"), site.pages)), tuple(map(attrgetter("src_path"), project.assets))
    known = reuse.get("link targets", (base, urls, assets), _targets, base, urls, assets)  # serve: the same, mostly
    aliases = Later(lambda: link_aliases(site, project))  # needed only for a link that leads nowhere
    ids = Later(lambda: page_ids(site, project))  # needed only for '#fragment' links
    links = SiteLinks(known, base, site.config.lang_codes, aliases, ids)
    last: Checked | None = reuse.known("links checked", (site.config,))
    change = site_change(site, reuse)
    patched = _patched(last, change, parsed, known) if last is not None and change is not None else None
    if patched is None and not reuse.remember:  # a one-off build: each text is checked once, and nothing kept
        shown = _shown_by(site)
        problems = list(_other_problems(site, parsed, known))
        for text in parsed:
            if _has_links(text):
                problems.extend(_text_problems(text, _shown(shown, text), known, base, site, links))
        return problems
    if patched is not None:
        shown, texts, redo, fine, others = patched
        reuse.carry("fine links")  # each text's verdict, for a build that does not patch
    else:
        shown = _shown_by(site)
        texts = {(text.file.src_path, text.file.lang or ""): index for index, text in enumerate(parsed)
                 if _has_links(text)}
        items = [parsed[index] for index in texts.values()]
        pages = [_shown(shown, text) for text in items]
        found = reuse.found("fine links", (known, site.config), items, pages)  # True: all fine last time
        fine = {index for index, known_fine in zip(texts.values(), found, strict=True) if known_fine}
        redo, others = set(texts.values()) - fine, _other_problems(site, parsed, known)
    problems = list(others)
    for index in sorted(redo):
        text = parsed[index]
        wrong = _text_problems(text, _shown(shown, text), known, base, site, links)
        problems.extend(wrong)
        if not wrong and not any("#" in link.target for link in text.links):
            fine.add(index)
    reuse.keep("links checked", (site.config,), Checked(site, parsed, known, shown, texts, frozenset(fine), others))
    if patched is None:
        reuse.keep_each("fine links", (known, site.config), items, [index in fine for index in texts.values()],
                        pages, found)
    return problems


def _text_problems(text: Parsed, page: Page | None, known: frozenset[str], base: str, site: Site,
                   links: SiteLinks) -> list[Problem]:
    """Return the problems of a text's links, shown on `page` (None: none shows it in its own language)."""
    at = "/" + page.url[len(base):] if page is not None else f"/{text.file.lang}/"
    return site_link_problems([(text.file.src_path, text.file.lang or "", at, text.links)], known, base,
                              site.config.lang_codes, links)


Patched = tuple[dict[tuple[str, str], Page], Mapping[tuple[str, str], int], set[int], set[int], tuple[Problem, ...]]


def _patched(last: Checked, change: SiteChange, parsed: tuple[Parsed, ...], known: frozenset[str]) -> Patched | None:
    """Return the last check patched for a save: pages by text, texts with links, the texts to check again
    (those the save changed, those whose page it changed, and those that were not all fine), the texts
    still fine, and the other problems. None when the last check was of another site or other link
    targets, or when the save changed more than texts, or which texts have links.
    """
    if last.site is not change.before or last.known is not known or len(parsed) != len(last.parsed):
        return None
    moved = other_places(parsed, last.parsed)
    for index in moved:
        now, was = parsed[index].file, last.parsed[index].file
        if now.kind != "text" or (now.src_path, now.lang) != (was.src_path, was.lang) or (
                _has_links(parsed[index]) != _has_links(last.parsed[index])):
            return None  # facts (photos), other files, or the texts with links changed: check them all
    shown = dict(last.shown)
    redo = {index for index in moved if _has_links(parsed[index])}
    redo.update(index for index in last.texts.values() if index not in last.fine)
    for old, page in change.pages:
        shown[page.src_path, page.lang] = page
        if old != page and (place := last.texts.get((page.src_path, page.lang))) is not None:
            redo.add(place)  # its address for relative links: the same (assembly patched), but to be sure
    return shown, last.texts, redo, set(last.fine) - redo, last.others


def _has_links(text: Parsed) -> bool:
    """Return True for a text (of a language) whose links are checked."""
    return bool(text.links) and text.file.kind == "text" and bool(text.file.lang)


def _shown_by(site: Site) -> dict[tuple[str, str], Page]:
    """Return the site's pages by the path of the text they show and their language."""
    return {(p.src_path, p.lang): p for p in site.pages}


def _shown(shown: Mapping[tuple[str, str], Page], text: Parsed) -> Page | None:
    """Return the page that shows a text in its own language."""
    return shown.get((text.file.src_path, text.file.lang or ""))


def _other_problems(site: Site, parsed: tuple[Parsed, ...], known: frozenset[str]) -> tuple[Problem, ...]:
    """Return the problems of people's photos (facts files) and of `_site.yaml`'s images."""
    problems = []
    for item in parsed:
        if item.file.kind != "facts" or item.data is None:
            continue
        for key in IMAGE_FIELDS:
            name = item.data.value.get(key)
            if name and f"/assets/{name}" not in known:
                line, column = item.data.where_value((key,))
                problems.append(Problem(item.file.src_path, line, f"{key} 'assets/{name}' does not exist",
                                        "add the image to assets/, or fix the file name", column))
    for name, what in ((site.config.share_image, "share_image"), (site.config.organisation.logo, "organisation.logo")):
        if name and f"/assets/{name}" not in known:
            problems.append(Problem("content/_site.yaml", None, f"{what} 'assets/{name}' does not exist",
                                    "add the image to assets/, or fix the file name"))
    return tuple(problems)


IMAGE_FIELDS = ("photo", "image")  # the fields of facts files that name an image in assets/


def _targets(base: str, urls: tuple[str, ...], assets: tuple[str, ...]) -> frozenset[str]:
    """Return every path a link may lead to: the pages' addresses (below the base path) and the assets'."""
    # (below a base path of "/", each page's own address: no copy of 10,000 of them)
    return frozenset({"/", "/index.html", "/404.html", "/sitemap.xml"}
                     | {url if base == "/" and url.startswith("/") else "/" + url[len(base):] for url in urls}
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
    return {"/" + page.url[len(site.config.base_path):]: frozenset(shared.union(page.html.ids))
            for page in site.pages}

