"""Parsed content → `Site`: translation pairing, URLs, cross references, job lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from itertools import chain
from operator import attrgetter
from typing import Any

from .ids import scoped_ids
from .items import make_facts, make_people, make_steps
from .jobs import Minimums, is_closed, posting_advice
from .links import rebase
from .model import (
    NO_HTML,
    Alternate,
    Html,
    Page,
    Person,
    Posting,
    PostingFacts,
    Problem,
    Site,
    SiteConfig,
    Step,
)
from .parse import Parsed
from .records import record, replace
from .reuse import Reuse, other_places
from .translations import Status, status_problems, text_statuses
from .typography import typeset_plain

HOME_KEY = "pages/home"
LEGAL_KEY = "pages/legal-notice"


@record
class Content:
    """The usable parsed content, grouped for assembly; missing texts are filled by fallbacks."""

    texts: Mapping[str, Mapping[str, Parsed]]  # key -> lang -> text (possibly another language's)
    facts: Mapping[str, Parsed]  # key -> facts file
    statuses: tuple[Status, ...] = ()


@record
class Grouped:
    """What grouping made, kept by `serve` so that the next build regroups only the files a save changed."""

    parsed: tuple[Parsed, ...]
    texts: Mapping[str, Mapping[str, Parsed]]  # key -> lang -> text, before fallbacks
    statuses: Mapping[str, tuple[Status, ...]]  # key -> its statuses, in every language
    content: Content
    problems: tuple[Problem, ...]


@record
class Assembled:
    """What `assemble_site` made, kept by `serve` so that a save that changed a few texts patches it."""

    inputs: tuple[Any, ...]  # config, strings, today, minimums, template ids
    content: Content
    reserved: frozenset[str]
    people: Mapping[str, tuple[Person, ...]]
    steps: Mapping[str, tuple[Step, ...]]
    keys: tuple[str, ...]  # the keys of the pages made from texts, in order
    facts_of: Mapping[str, PostingFacts]
    pages: tuple[Page, ...]  # key by key, then the legal notice's, before alternates
    site: Site
    problems: tuple[Problem, ...]  # all but the grouping's and the translation statuses'


@record
class SiteChange:
    """How the last assembly made its site: by patching the site before it, remaking only some pages.

    Every page not listed is the very object `before` has, and so is every address, every posting
    listed (open or closed) and every order: `after` differs from `before` in these pages' texts only.
    Steps that keep what they made from the last site (serve) remake the parts of these pages alone.
    """

    before: Site
    after: Site
    pages: tuple[tuple[Page, Page], ...]  # (the page `before` has, the one `after` has), alternates linked


def site_change(site: Site, reuse: Reuse) -> SiteChange | None:
    """Return how `site` was patched from the site before it, or None when it was assembled whole."""
    change = reuse.known("site change", ())
    return change if isinstance(change, SiteChange) and change.after is site else None


def group_content(parsed: tuple[Parsed, ...], config: SiteConfig,
                  reuse: Reuse | None = None) -> tuple[Content, list[Problem]]:
    """Return texts by (key, language) and facts by key; flag duplicates, fill missing texts.

    With `reuse` (serve), when the files that changed since the last build still have the same place
    (the same path, kind, language and key, usable or not), only their keys are grouped again.
    """
    reuse = reuse or Reuse()
    last: Grouped | None = reuse.known("grouped", (config,))
    grouped = (last if last.parsed is parsed else _regrouped(last, parsed, config)) if last is not None else None
    if grouped is None:
        grouped = _grouped(parsed, config)
    reuse.keep("grouped", (config,), grouped)
    return grouped.content, list(grouped.problems)


def _grouped(parsed: tuple[Parsed, ...], config: SiteConfig) -> Grouped:
    """Return the grouping of every file."""
    texts: dict[str, dict[str, Parsed]] = defaultdict(dict)
    facts: dict[str, Parsed] = {}
    problems: list[Problem] = []
    broken = {_text_key(item) for item in parsed if item.file.kind == "text" and item.data is None}
    for item in parsed:
        if item.file.kind == "facts":
            facts[item.file.key] = item
        elif item.file.kind == "text" and item.file.lang and item.data is not None:
            key = _text_key(item)
            other = texts[key].get(item.file.lang)
            if other is not None:
                problems.append(Problem(item.file.src_path, None,
                                        f"'{key}' has two {item.file.lang} texts",
                                        f"{other.file.src_path} is the other; keep one"))
                continue
            texts[key][item.file.lang] = item
    statuses = {key: _statuses(key, by_lang, config) for key, by_lang in sorted(texts.items()) if key not in broken}
    for key, by_lang in sorted(texts.items()):
        collection = key.split("/")[0]
        if collection != "pages" and key not in facts:
            first = next(iter(by_lang.values()))
            problems.append(Problem(first.file.src_path, None, f"no facts file for '{key}'",
                                    f"create content/{key}.yaml beside it"))
    for key, item in sorted(facts.items()):
        if key not in texts and key not in broken:
            problems.append(Problem(item.file.src_path, None, f"'{key}' has no text in any language",
                                    f"create content/{key}.{config.source_lang}.md"))
    filled = {key: _with_fallbacks(by_lang, config) for key, by_lang in texts.items()}
    content = Content(filled, facts, tuple(chain.from_iterable(statuses.values())))
    return Grouped(parsed, dict(texts), statuses, content, tuple(problems))


def _regrouped(last: Grouped, parsed: tuple[Parsed, ...], config: SiteConfig) -> Grouped | None:
    """Return the last grouping with the files that changed put in their places, or None when one moved."""
    if len(parsed) != len(last.parsed):
        return None
    changed = other_places(parsed, last.parsed)
    texts, facts = dict(last.texts), last.content.facts  # the very facts mapping while no facts file changed
    touched: set[str] = set()
    for index in changed:
        new, old = parsed[index], last.parsed[index]
        if _place(new) != _place(old):
            return None
        if new.file.kind == "facts":
            facts = {**facts, new.file.key: new}
        elif new.file.kind == "text" and new.file.lang and new.data is not None:
            key = _text_key(new)
            if texts[key].get(new.file.lang) is not old:  # it lost to another text of the same key: a problem
                return None
            texts[key] = {**texts[key], new.file.lang: new}
            touched.add(key)
    statuses, filled = dict(last.statuses), dict(last.content.texts)
    for key in touched:
        filled[key] = _with_fallbacks(texts[key], config)
        if key in statuses:
            statuses[key] = _statuses(key, texts[key], config)
    content = Content(filled, facts, tuple(chain.from_iterable(statuses.values())))
    return Grouped(parsed, texts, statuses, content, last.problems)


def _place(item: Parsed) -> tuple[Any, ...]:
    """Return where a file goes in the grouping (a file in the same place changes only its own key's entries)."""
    usable = item.data is not None
    key = _text_key(item) if item.file.kind == "text" else item.file.key
    return item.file.src_path, item.file.kind, item.file.lang, usable, key


def _statuses(key: str, by_lang: Mapping[str, Parsed], config: SiteConfig) -> tuple[Status, ...]:
    """Return the translation statuses of one key, in every language."""
    entries = {lang: (t.file.src_path, t.text_hash, t.synced_to) for lang, t in by_lang.items()}
    return tuple(text_statuses({key: entries}, config))


def _with_fallbacks(by_lang: Mapping[str, Parsed], config: SiteConfig) -> dict[str, Parsed]:
    """Return the texts of every language, using the source (or default) language's where one is missing."""
    preferred = [config.source_lang, config.default_lang, *config.lang_codes]
    origin = next(by_lang[lang] for lang in preferred if lang in by_lang)
    return {lang: by_lang.get(lang, origin) for lang in config.lang_codes}


def _text_key(item: Parsed) -> str:
    """Return a text's translation key: front matter `translation_key`, else its path."""
    override = item.data.value.get("translation_key") if item.data else None
    return f"{item.file.collection}/{override}" if override else item.file.key


def page_url(config: SiteConfig, lang: str, key: str, slug: str | None) -> str:
    """Return a page's URL path: '/en/', '/fr/equipe/', '/en/jobs/backend-intern/'."""
    collection, name = key.split("/", 1)
    base = f"{config.base_path}{lang}/"
    if key == HOME_KEY:
        return base
    if collection == "jobs":
        return f"{base}{config.language(lang).jobs_slug}/{slug or name}/"
    return f"{base}{slug or name}/"


def dest_for(config: SiteConfig, url: str) -> str:
    """Return the output file for a URL path: '/fr/equipe/' → 'fr/equipe/index.html'."""
    return url[len(config.base_path):] + "index.html"


def with_alternates(pages: list[Page], config: SiteConfig, reuse: Reuse | None = None,
                    grouped: Mapping[str, tuple[Page, ...]] | None = None) -> tuple[Page, ...]:
    """Return the pages, each knowing its versions in every language, its canonical and x-default URLs.

    `grouped` gives the versions of some keys, already in the site's language order.
    """
    reuse = reuse or Reuse()
    versions = dict(grouped or {})
    by_key: dict[str, list[Page]] = defaultdict(list)
    for page in [page for page in pages if page.key not in versions]:
        by_key[page.key].append(page)
    order = {code: index for index, code in enumerate(config.lang_codes)}
    versions.update((key, tuple(sorted(listed, key=lambda p: order[p.lang]))) for key, listed in by_key.items())
    ordered = sorted(pages, key=attrgetter("url", "lang"))
    alternates: dict[Any, tuple[Alternate, ...]] = {}  # a key's versions share one tuple of alternates
    return tuple(reuse.each("linked", (config,), ordered, lambda page, known: _linked(page, known, config, alternates),
                            [versions[page.key] for page in ordered]))


def _linked(page: Page, versions: tuple[Page, ...], config: SiteConfig,
            alternates: dict[Any, tuple[Alternate, ...]] | None = None) -> Page:
    """Return a page knowing its versions (in the site's language order), its canonical and x-default URLs.

    `alternates` holds the tuples of alternates made with it: the other versions of the page get the same.
    """
    real = {p.lang: p.url for p in versions if not p.is_fallback}
    default = real.get(config.default_lang) or next(iter(real.values()), page.url)
    alternates = alternates if alternates is not None else {}
    which = tuple((p.lang, p.url, p.is_fallback) for p in versions)
    linked = alternates.get(which)
    if linked is None:
        linked = alternates[which] = tuple(Alternate(*version) for version in which)
    return replace(
        page,
        alternates=linked,
        canonical=real.get(page.text_lang, page.url),
        x_default=config.base_path if page.key == HOME_KEY else default,
    )


def unique_destinations(pages: tuple[Page, ...]) -> list[Problem]:
    """Return a problem for every page that would overwrite another page's output file."""
    seen: dict[str, Page] = {}
    problems = []
    for page in pages:
        if page.dest_path in seen:
            problems.append(Problem(page.src_path, None, f"two pages write {page.dest_path}",
                                    f"{seen[page.dest_path].src_path} writes it too; change a slug"))
        seen.setdefault(page.dest_path, page)
    return problems


def empty_site(config: SiteConfig, strings: Mapping[str, Mapping[str, str]]) -> Site:
    """Return a site with no pages, for a build that cannot assemble one."""
    return Site(config, strings, (), {}, {}, {})


def assemble_site(
    parsed: tuple[Parsed, ...], config: SiteConfig, strings: Mapping[str, Mapping[str, str]],
    today: dt.date, minimums: Minimums | None = None, template_ids: frozenset[str] = frozenset(),
    reuse: Reuse | None = None, destinations: bool = True,
) -> tuple[Site, list[Problem]]:
    """Return the site to render: pages in every language, postings, people, steps.

    Ids in texts never take an id that templates write (`template_ids`, and the keys of people and
    steps, which templates use as ids). With `reuse` (serve), a page, a posting's facts or a page's
    alternates made from the very same inputs as in the last build is that build's object. Without
    `destinations`, pages that write the same file are not looked for (`SiteInParts` looks once, in all).
    """
    reuse = reuse or Reuse()
    content, problems = group_content(parsed, config, reuse)
    problems.extend(status_problems(list(content.statuses)))
    config, today = reuse.same("config", config), reuse.same("today", today)
    inputs = (config, strings, today, minimums, template_ids)
    last: Assembled | None = reuse.known("assembled", inputs)
    patched = _patched(last, content, config) if last is not None else None
    if patched is not None:
        assert last is not None
        reuse.keep("assembled", inputs, patched)
        reuse.keep("site change", (), SiteChange(last.site, patched.site, tuple(
            (old, new) for old, new in zip(last.site.pages, patched.site.pages, strict=True) if old is not new)))
        reuse.carry("reserved", "fact keys", "posting facts", "linked", *(
            (name, lang) for name in ("people", "steps", "pages", "postings") for lang in config.lang_codes))
        return patched.site, [*problems, *patched.problems]
    made_problems = len(problems)
    reserved = reuse.same("reserved", template_ids | {key.split("/", 1)[1] for key in content.facts})
    fact_keys = reuse.same("fact keys", frozenset(content.facts))
    people = {lang: reuse.same(("people", lang), make_people(content.facts, content.texts, lang, config.base_path,
                                                             reserved))
              for lang in config.lang_codes}
    steps = {lang: reuse.same(("steps", lang), make_steps(content.facts, content.texts, lang, config.base_path,
                                                          reserved))
             for lang in config.lang_codes}
    keys = [key for key in sorted(content.texts) if key.split("/")[0] not in ("people", "process")]
    usable = [item for key in keys if key.startswith("jobs/")
              if (item := content.facts.get(key)) is not None and item.data is not None]
    made = reuse.each("posting facts", (fact_keys, config, today, minimums), usable,
                      lambda item: _posting_facts(item.file.key, item, fact_keys, config, today, minimums))
    facts_of = {item.file.key: facts for item, (facts, _) in zip(usable, made, strict=True)}
    problems.extend(problem for _, fact_problems in made for problem in fact_problems)
    keys = [key for key in keys if not key.startswith("jobs/") or key in facts_of]  # a posting needs its facts
    by_lang: dict[str, list[Page]] = {}
    for lang in sorted(config.lang_codes):  # a page is the last build's while its text, facts and context are
        context = (config, people[lang], steps[lang], today, reserved)
        picked: Picked = {}  # postings that name the same people, or steps, show one tuple of them
        by_lang[lang] = reuse.each(("pages", lang), context, [content.texts[key][lang] for key in keys],
                                   lambda text, facts, lang=lang, picked=picked: _make_page(
                                       config, lang, _text_key(text), text, facts, people[lang], steps[lang],
                                       today, reserved, picked),
                                   [facts_of.get(key) for key in keys])
    pages = [page for row in zip(*by_lang.values(), strict=True) for page in row]  # key by key
    postings = {lang: [page.posting for page in by_lang[lang] if page.posting and not page.posting.closed]
                for lang in config.lang_codes}
    problems.extend(_check_nav(config, content))
    problems.extend(photo_alt_problems(content))
    if config.legal is not None and LEGAL_KEY not in content.texts:
        pages.extend(_legal_page(config, lang, strings.get(lang, {})) for lang in config.lang_codes)
    grouped = {row[0].key: row for row in zip(*(by_lang[lang] for lang in config.lang_codes), strict=True)}
    all_pages = with_alternates(pages, config, reuse, grouped)
    if destinations:
        problems.extend(unique_destinations(all_pages))
    site = Site(
        config=config, strings=strings, pages=all_pages,
        postings={lang: reuse.same(("postings", lang), tuple(sorted(items, key=_posting_order)))
                  for lang, items in postings.items()},
        people=people, steps=steps, index={(p.lang, p.key): p for p in all_pages},
    )
    reuse.keep("assembled", inputs, Assembled(inputs, content, reserved, people, steps, tuple(keys), facts_of,
                                              tuple(pages), site, tuple(problems[made_problems:])))
    return site, problems


class SiteInParts:
    """A site assembled a few postings at a time, as their files are parsed, so that no process holds every
    posting's parse beside the site (at N=5000, the parses were some 20 MB of the build's memory).

    Each part is assembled with the files that are not postings' (`shared`: UI strings, people, steps and
    pages), by `assemble_site` itself: a posting's pages, facts and problems depend on those files and on
    its own only (a posting's text cannot name another translation key). `template_ids` must hold the names
    of every posting's key, as the whole site's would. The parts' pages are then put in the order the whole
    site's are, and the problems that concern more than one part are looked for once: the same site and
    problems as `assemble_site` makes of all the files at once.
    """

    def __init__(self, shared: tuple[Parsed, ...], config: SiteConfig, strings: Mapping[str, Mapping[str, str]],
                 today: dt.date, minimums: Minimums | None, template_ids: frozenset[str]) -> None:
        self.shared, self.config, self.strings, self.today = shared, config, strings, today
        self.minimums, self.template_ids = minimums, template_ids
        self.pages: list[Page] = []  # the parts' postings' pages, then the shared files' (each in its part's order)
        self.others: list[Page] = []
        self.postings: dict[str, list[Posting]] = {lang: [] for lang in config.lang_codes}
        self.problems: dict[Problem, None] = {}  # (each once: every part finds the shared files' own)
        self.first: Site | None = None

    def add(self, parsed: tuple[Parsed, ...]) -> None:
        """Assemble the postings whose files are `parsed` (every file of each)."""
        keys = {item.file.key for item in parsed}
        site, problems = assemble_site((*self.shared, *parsed), self.config, self.strings, self.today, self.minimums,
                                       self.template_ids, destinations=False)
        self.problems.update(dict.fromkeys(problems))
        self.pages.extend(page for page in site.pages if page.key in keys)
        if self.first is None:
            self.first = site
            self.others = [page for page in site.pages if page.key not in keys]
        for lang, postings in site.postings.items():
            self.postings[lang].extend(postings)

    def site(self) -> tuple[Site, list[Problem]]:
        """Return the whole site and its problems."""
        if self.first is None:
            self.add(())
        assert self.first is not None
        # where two pages have the same address, the first is the one the whole site's order puts first
        pages = tuple(sorted((*self.pages, *self.others), key=attrgetter("url", "lang")))
        problems = [*self.problems, *unique_destinations(pages)]
        return Site(
            config=self.config, strings=self.strings, pages=pages,
            postings={lang: tuple(sorted(items, key=_posting_order)) for lang, items in self.postings.items()},
            people=self.first.people, steps=self.first.steps, index={(p.lang, p.key): p for p in pages},
        ), problems


def _patched(last: Assembled, content: Content, config: SiteConfig) -> Assembled | None:
    """Return the last assembly with the pages of the texts that changed made again, or None when a save
    changed more than texts of pages and postings (facts, people, steps, which texts there are, a page's
    address, which postings are open, or their order): the whole site is then assembled again.

    What it returns is what assembling the whole site would: every other page, posting and problem is
    made from the very same inputs as last time.
    """
    if content.facts is not last.content.facts or len(content.texts) != len(last.content.texts):
        return None
    old_texts = last.content.texts
    touched = [key for key, texts in content.texts.items() if old_texts.get(key) is not texts]
    if not touched:
        return replace(last, content=content)
    if any(key not in old_texts or key.split("/")[0] in ("people", "process") for key in touched):
        return None
    langs = sorted(config.lang_codes)
    old_site, position = last.site, {key: index for index, key in enumerate(last.keys)}
    pages, index, postings = list(last.pages), dict(old_site.index), dict(old_site.postings)
    linked: dict[int, Page] = {}  # last build's page (with alternates), by identity → this build's
    for key in touched:
        at = position.get(key)
        if at is None:
            return None
        made = []
        for offset, lang in enumerate(langs):
            text, old = content.texts[key][lang], pages[at * len(langs) + offset]
            if text is old_texts[key][lang]:  # this language's text did not change: nor did its page
                made.append(old)
                continue
            page = _make_page(config, lang, _text_key(text), text, last.facts_of.get(key), last.people[lang],
                              last.steps[lang], last.inputs[2], last.reserved)
            if (page.url, page.key, page.template) != (old.url, old.key, old.template) or not _same_listing(
                    old.posting, page.posting):
                return None
            pages[at * len(langs) + offset] = page
            made.append(page)
        versions = tuple(sorted(made, key=lambda p: config.lang_codes.index(p.lang)))
        for page in made:
            old_linked = old_site.index[page.lang, page.key]
            linked[id(old_linked)] = index[page.lang, page.key] = _linked(page, versions, config)
            if page.posting is not None and not page.posting.closed and page.posting is not old_linked.posting:
                listed = postings[page.lang]  # maybe equal objects from an earlier build: found by key
                at_posting = next((i for i, p in enumerate(listed) if p.facts.key == key), None)
                if at_posting is None or not _keeps_its_place(listed, at_posting, page.posting, position):
                    return None  # (another place in its job lists: they are sorted again with the whole site)
                postings[page.lang] = (*listed[:at_posting], page.posting, *listed[at_posting + 1:])
    all_pages = tuple([linked.get(id(page), page) for page in old_site.pages])  # a list first: quicker
    site = replace(old_site, pages=all_pages, postings=postings, index=index)
    return replace(last, content=content, pages=tuple(pages), site=site)


def _same_listing(old: Posting | None, new: Posting | None) -> bool:
    """Return True when a page holds a posting now exactly when it did, open or closed as it was (its place among
    the open ones is for `_keeps_its_place` to say)."""
    if old is None or new is None:
        return old is new
    return old.closed == new.closed


def _keeps_its_place(listed: tuple[Posting, ...], at: int, posting: Posting, position: Mapping[str, int]) -> bool:
    """Return True when `posting`, put at `at` in a language's open postings in job-list order (`listed`, each
    other one where the last build sorted it), is where sorting them again would put it: after the one before
    it and before the one after it, by `_posting_order` and then by the order of the texts (a sort keeps
    postings of equal order in the order they came). A title edited is most often that: no new sort.
    """
    def order(item: Posting) -> tuple[tuple[int, str], int]:
        return _posting_order(item), position[item.facts.key]

    mine = order(posting)
    return (at == 0 or order(listed[at - 1]) < mine) and (at + 1 == len(listed) or mine < order(listed[at + 1]))


def _posting_facts(key: str, item: Parsed, fact_keys: frozenset[str], config: SiteConfig, today: dt.date,
                   minimums: Minimums | None) -> tuple[PostingFacts, list[Problem]]:
    """Return a posting's facts, with their problems and the advice on what the posting lacks."""
    assert item.data is not None
    facts, problems = make_facts(key, item.data, item.file.src_path, fact_keys, config.lang_codes)
    problems.extend(posting_advice(facts, item.data, item.file.src_path, today, minimums or {}))
    return facts, problems


Picked = dict[tuple[str, tuple[str, ...]], tuple[Any, ...]]  # ("people" or "steps", keys) → those people or steps


def _picked(kind: str, items: tuple[Any, ...], keys: tuple[str, ...], picked: Picked) -> tuple[Any, ...]:
    """Return the items (people or steps, of one language) with the given keys, in their order, skipping any
    missing: the tuple `picked` has for them, if any (10,000 postings that name the same people share one)."""
    found = picked.get((kind, keys))
    if found is None:
        by_key = {item.key: item for item in items}
        found = picked[kind, keys] = tuple(by_key[k] for k in keys if k in by_key)
    return found


def _make_page(
    config: SiteConfig, lang: str, key: str, text: Parsed, facts: PostingFacts | None,
    people: tuple[Person, ...], steps: tuple[Step, ...], today: dt.date, reserved: frozenset[str] = frozenset(),
    picked: Picked | None = None,
) -> Page:
    """Return the page for one text; a posting page carries its posting. `picked` holds the tuples of people
    and steps that postings made with it show (those of one language)."""
    assert text.data is not None and text.file.lang is not None
    meta, text_lang = text.data.value, text.file.lang
    title, description = typeset_plain(meta["title"], text_lang), typeset_plain(meta["description"], text_lang)
    html = scoped_html(text.html, config.base_path, reserved)
    url = page_url(config, lang, key, meta.get("slug") or text.file.stem)
    posting, updated = None, _updated(meta, facts)
    if facts is not None:
        picked = picked if picked is not None else {}
        posting = Posting(
            facts=facts, lang=lang, title=title, description=description,
            html=html, url=url, text_lang=text_lang, closed=is_closed(facts, today),
            requirement=typeset_plain(meta.get("requirement", ""), text_lang),
            people=_picked("people", people, facts.people, picked),
            steps=_picked("steps", steps, facts.process, picked), updated=updated,
        )
    template = "posting.html" if posting else f"{meta.get('layout', 'home' if key == HOME_KEY else 'page')}.html"
    return Page(
        key=key, lang=lang, template=template, url=url, dest_path=dest_for(config, url),
        title=title, description=description, html=html,
        src_path=text.file.src_path, posting=posting, text_lang=text_lang, updated=updated,
    )


def _legal_page(config: SiteConfig, lang: str, table: Mapping[str, str]) -> Page:
    """Return the legal notice page of one language, made from `_site.yaml`'s `legal` block."""
    url = page_url(config, lang, LEGAL_KEY, table.get("legal_notice_slug") or "legal-notice")
    return Page(key=LEGAL_KEY, lang=lang, template="legal.html", url=url, dest_path=dest_for(config, url),
                title=table.get("legal_notice", "Legal notice"), description=table.get("legal_notice_description", ""),
                html=NO_HTML, src_path="content/_site.yaml", text_lang=lang)


def scoped_html(html: Html, base_path: str, reserved: frozenset[str]) -> Html:
    """Return a text's HTML with its site links under the base path (`rebase`) and its ids clear of the
    templates' (`scoped_ids`): the very same `Html`, never read, when neither changes anything (the site
    is at the root and none of its ids is one a template writes)."""
    if base_path == "/" and reserved.isdisjoint(html.ids):
        return html
    return Html(scoped_ids(rebase(str(html), base_path), reserved))


def _updated(meta: Mapping[str, Any], facts: PostingFacts | None) -> dt.date | None:
    """Return when a page's content last changed: its `updated` date, or a posting's publication date."""
    dates = [dt.date.fromisoformat(meta["updated"])] if "updated" in meta else []
    if facts is not None:
        dates.append(facts.date_posted)
    return max(dates) if dates else None


def _posting_order(posting: Posting) -> tuple[int, str]:
    """Return the job-list order: newest first, then by title."""
    return -posting.facts.date_posted.toordinal(), posting.title


def photo_alt_problems(content: Content) -> list[Problem]:
    """Return an error for each text of a person with a photo that does not describe the photo (`photo_alt`)."""
    problems = []
    for key, item in sorted((key, item) for key, item in content.facts.items() if key.startswith("people/")):
        if item.data is None or not item.data.value.get("photo"):
            continue
        seen = set()
        for text in content.texts.get(key, {}).values():
            if text.data is None or text.file.src_path in seen or text.data.value.get("photo_alt"):
                continue
            seen.add(text.file.src_path)
            line, column = text.data.where(())
            problems.append(Problem(
                text.file.src_path, line, f"no 'photo_alt': {item.file.src_path} gives a photo, and every language "
                "needs a text that describes it for people who cannot see it",
                "add 'photo_alt: …' to the front matter, e.g. photo_alt: Ada at her desk, smiling", column))
    return problems


def _check_nav(config: SiteConfig, content: Content) -> list[Problem]:
    """Return a problem for each navigation entry that names no page."""
    return [
        Problem("content/_site.yaml", None, f"navigation names unknown page '{name}'",
                f"create content/pages/{name}.{config.default_lang}.md, or remove it from 'nav'")
        for name in config.nav if f"pages/{name}" not in content.texts
    ]
