"""Rendering: the Jinja environment factory, and `Site` → output files."""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import jinja2

from .assemble import HOME_KEY
from .boards import render_boards
from .cache import stamp
from .context import Helpers, language_context, page_context, posting_description, root_context
from .feeds import render_feeds
from .fingerprint import Digests, language_digest, page_fingerprint, site_digest, template_names, whole_site_digest
from .fragments import SCOPE, Memo, block_memo, carry_loops, kept_blocks, memo_blocks
from .hosting import render_headers, render_redirects, render_robots
from .ids import ID_VALUE, duplicate_ids, repeated
from .loader import TEMPLATE_DIR
from .model import OutputFile, Page, Posting, Problem, Project, Site
from .parallel import Started, iter_chunks
from .records import record, replace
from .reuse import Reuse
from .signed import Discarded
from .sitemap import render_sitemap
from .spool import Shared, Spool, shared_file
from .translations import MissingString
from .typography import Typeset, typeset, typeset_again, typeset_fragment, typeset_stream
from .write import KeepingSink, Sink, Staging, Written

ROOT_PAGES = (("chooser.html", "index.html"), ("404.html", "404.html"))


OBJECT_ATTRIBUTE = re.compile(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '(\w+)'")


@record
class RenderContext:
    """What every page's rendering shares: the site, templates, helpers, and what the previous output holds."""

    site: Site
    env: jinja2.Environment
    helpers: Helpers
    polish: bool
    names: Mapping[str, frozenset[str]]
    shared: str
    previous: Mapping[str, str]
    languages: Mapping[str, Mapping[str, Any]]  # language → the variables all its pages see
    digests: Digests
    language_digests: Mapping[tuple[str, str], str]  # (language, template) → digest of what it names there
    write: Callable[[OutputFile], Written] | None = None  # writes a rendered file where it is rendered
    # where a one-off build's workers write postings' descriptions: each chunk's in one write, the pages'
    # results saying where each is (10,000 descriptions were 70 MB through the build's process)
    descriptions: Shared | None = None


def render_site(
    site: Site, env: jinja2.Environment, project: Project, polish: bool = True, jobs: int = 1,
    previous: Mapping[str, str] | None = None, progress: Callable[[int, int], None] | None = None,
    names: Mapping[str, frozenset[str]] | None = None, sink: Sink | None = None,
    descriptions: MutableMapping[str, str] | None = None, digests: Digests | None = None,
    reuse: Reuse | None = None, warm: bool = False, shown: Callable[[list[Problem]], None] | None = None,
    staging: Staging | None = None,
) -> tuple[list[OutputFile], list[Problem]]:
    """Return every page, the root pages, the sitemap and the assets as output files, plus problems.

    Pages are rendered on `jobs` workers; the result does not depend on how many. A page whose
    fingerprint is the one `previous` (dest path → fingerprint) records is kept, not rendered.
    Without `polish` (for `check`), typography and the sitemap are skipped: they cannot fail.
    With a `sink`, each file goes to it as soon as it is rendered and is returned without its bytes. A
    `staging` tree is such a sink, and more: the workers write the pages they render into it themselves,
    so that a page's bytes never cross to this process.
    `descriptions` (page fingerprint → a posting's full description) keeps what open postings' pages
    render for the feeds, so that a page kept from the previous build needs no rendering either.
    `reuse` (serve) keeps what the last build made: a page's fingerprint is found again here, so only
    the pages that changed go to the workers, and so are the feeds', boards' and sitemap's entries of
    unchanged postings and pages; `digests` keeps the digests of the values pages see. With `warm`
    (serve), a page with `cached` blocks that this process has not rendered yet is rendered even when
    unchanged, so that its blocks are kept for the next build. `shown` is called with the problems so
    far once every page and asset is with the sink, before the sitemap, feeds and job boards are made
    (serve has browsers reload then).
    """
    # a sink writes a file in parts as it is; a list holds its bytes
    emit: Sink = sink or (staging.place if staging is not None else OutputFile.whole)
    helpers = Helpers.for_site(site, project.assets)
    shared = site_digest(site, [stamp(), str(polish), *(f"{s.src_path}:{s.digest}" for s in project.templates),
                                *(f"{a.src_path}:{a.digest}" for a in project.assets)])
    names = names if names is not None else template_names(env, project)
    languages = {lang: language_context(site, lang, helpers) for lang in site.config.lang_codes}
    digests, reuse = digests if digests is not None else Digests(), reuse or Reuse()
    shared = reuse.same("shared digest", shared)
    # a one-off build keeps no digest of the values its languages give (a big site's postings: 2 MiB), which
    # only serve's next build would find again, and makes each when a page first needs it (on a worker)
    context = RenderContext(site, env, helpers, polish, names, shared, previous or {}, languages, digests,
                            _language_digests(site, languages, names, digests if reuse.remember else Digests(),
                                              reuse, lazily=not reuse.remember))
    outputs: list[OutputFile] = []
    problems: list[Problem] = []
    store: MutableMapping[str, str] = descriptions if descriptions is not None else {}
    described = Described(store)
    here: list[tuple[Page, str | None]] = []  # rendered in this process: pages whose `cached` blocks serve keeps
    there: list[tuple[Page, str | None]] = []  # rendered on the workers
    keep_here = kept_blocks(env) is not None
    # each page's file as kept last time (fingerprint included), the very object: none is made for an unchanged page
    # (a one-off build has nothing kept)
    found: list[OutputFile | None] = [None] * len(site.pages)
    if reuse.remember:
        # a page's fingerprint is the last build's while the page and what its language gives its template are (the
        # very tuple while they are the same: `Reuse.found` then takes the page's file without comparing them)
        homes = {lang: reuse.same(("home", lang), home.url if (home := site.page(lang, HOME_KEY)) else None)
                 for lang in site.config.lang_codes}
        kinds = {(lang, template): reuse.same(("page kind", lang, template), (digest, homes[lang]))
                 for (lang, template), digest in context.language_digests.items()}
        beside = [kinds.get((page.lang, page.template)) for page in site.pages]
        found = reuse.found("kept files", (shared,), site.pages, beside)
    previous_of = context.previous.get
    kept: list[OutputFile] = []

    def unchanged(page: Page, file: OutputFile) -> bool:  # its file is the last build's, still on disk
        return bool(file.fingerprint) and previous_of(page.dest_path) == file.fingerprint

    for page, file in zip(site.pages, found, strict=True):  # (`unchanged` written out: its calls took 1.5 ms of a save)
        if file is not None and file.fingerprint and previous_of(page.dest_path) == file.fingerprint:
            kept.append(file)  # kept without a look at it
            continue
        # serve renders the pages that reach a `cached` block here, where their blocks are kept for the next save
        # (the job lists' cards), but not a posting's pages: 10,000 of them, whose people and steps the workers
        # render once each (a posting's page is made again only when it changed)
        (here if keep_here and page.posting is None and SCOPE in names.get(page.template, ()) else there).append(
            (page, file.fingerprint if file is not None else None))
    if isinstance(emit, KeepingSink):  # (serve: they are listed once the browsers reloaded)
        emit.place_kept(kept)
        outputs.extend(kept)
    else:
        outputs.extend(map(emit, kept))
    # the pages that list every posting of their language first (a big site's home page: 1.7 MB, and 9 MiB
    # of a worker's memory while it is made): made while a worker is at its smallest, the memory they
    # leave is what the worker's later pages reuse, not more on top of them
    there.sort(key=lambda item: LISTED not in names.get(item[0].template, ()))
    if staging is not None and there:
        context = replace(context, write=staging.writer(), descriptions=_descriptions_file(jobs, reuse))
        described.source = context.descriptions

    def place(file: OutputFile | Written) -> OutputFile:  # a page a worker wrote is only listed
        if isinstance(file, Written):
            assert staging is not None  # (only its writer makes them)
            return staging.written(file)
        return emit(file)

    described.find_kept = lambda: ((page.lang, page.key, file.fingerprint) for page, file in zip(
        site.pages, found, strict=True) if file is not None and page.posting is not None and unchanged(page, file))
    made: dict[str, str] = {}  # dest path → fingerprint, of the pages rendered (on a worker, maybe): serve keeps it

    def render_here() -> None:  # while the workers render theirs, or after the pages an edit changed
        # a page this process has not seen yet is rendered even if unchanged, so that its blocks are kept
        part = _render_pages(context, here, warm)
        made.update((page.dest_path, result[3]) for (page, _), result in zip(here, part, strict=True))
        _collect(part, place, outputs, problems, described)

    done = 0
    # a one-off build keeps its `cached` blocks' last outputs in each process that renders pages (each worker
    # its own copy, from the fork), for the pages that show the same people or steps: for this build only
    memo_blocks(env, Memo() if not keep_here else None)
    try:
        for part in iter_chunks(_render_pages, context, there, jobs, progress=progress, meanwhile=render_here):
            if reuse.remember:
                made.update((page.dest_path, result[3])
                            for (page, _), result in zip(there[done:done + len(part)], part, strict=True))
            _collect(part, place, outputs, problems, described, there[done:done + len(part)])
            done += len(part)
    finally:
        memo_blocks(env, None)
    roots: list[OutputFile] = []
    for template, dest in ROOT_PAGES:
        _render_into(env, template, root_context(site, helpers), dest, TEMPLATE_DIR + template, roots, problems,
                     polish, helpers)
    outputs.extend(map(emit, roots))
    rest: list[OutputFile] = []
    if polish:
        rest += [render_robots(site, helpers.absolute), render_headers(site), render_redirects(site)]
    rest.extend(OutputFile("assets/" + helpers.names[a.src_path.removeprefix("assets/")], a.data)
                for a in project.assets)
    outputs.extend(emit(file) for file in rest)
    if shown is not None:
        shown(problems)  # every file a browser shows is in place
    if reuse.remember:  # (once the browsers reloaded: this is for the next build)
        if keep_here:  # a page in a language no save touched keeps its job list's cards for the next
            carry_loops(reuse, shared)
        # a big page not made again keeps its last typesetting, and its finished file, for the next build that makes
        # it (a save of a posting's text makes its job list again, to the same HTML, but not the other language's)
        reuse.carry(TYPESET, *[("finished", dest) for dest in reuse.known(TYPESET, ()) or ()])
        files = {dest: OutputFile(dest, b"", fingerprint, kept=True) for dest, fingerprint in made.items()}
        reuse.keep_each("kept files", (shared,), site.pages,
                        [files.get(page.dest_path, file) for page, file in zip(site.pages, found, strict=True)],
                        beside, found)
    try:
        if polish and not site.config.preview:  # a preview publishes nothing that search engines or boards read
            # each to the sink as soon as it is made: the feeds and boards repeat every description
            if staging is not None and jobs > 1 and not reuse.remember and _postings(site) >= BESIDE:
                outputs.extend(_published_beside(site, env, helpers, described, reuse, context.previous, staging))
            else:
                outputs.extend(map(emit, _published_files(site, env, helpers, described, reuse, context.previous)))
    finally:
        described.rendered.close()
        if context.descriptions is not None:
            context.descriptions.close()
    return outputs, problems


def _descriptions_file(jobs: int, reuse: Reuse) -> Shared | None:
    """Return the temporary file a one-off build's render workers write postings' descriptions to; None (they
    send them back) for one process, for serve, or where no such file can be made."""
    return None if jobs < 2 or reuse.remember else shared_file()


def _language_digests(site: Site, languages: Mapping[str, Mapping[str, Any]], names: Mapping[str, frozenset[str]],
                      digests: Digests, reuse: Reuse, lazily: bool = False) -> Mapping[tuple[str, str], str]:
    """Return, for each language and template of a page, the digest of what the language gives that template.

    `lazily`, each is made when first asked for: a one-off build's workers make those of the pages they render
    (a language's home page lists every posting: 0.15 s of a big site's, which this process made before
    either worker began rendering).
    """
    def whole_site() -> str:
        return whole_site_digest(site, digests)

    def digest(lang: str, template: str) -> str:
        return reuse.same(("language digest", lang, template), language_digest(
            languages[lang], names[template] & languages[lang].keys(), whole_site, digests))

    kinds = sorted({(p.lang, p.template) for p in site.pages if p.template in names})
    return Lazily(kinds, digest) if lazily else {kind: digest(*kind) for kind in kinds}


class Lazily(Mapping[tuple[str, str], str]):
    """A mapping of the given keys, each value made by `make(*key)` when first asked for, then kept."""

    __slots__ = ("_keys", "_made", "_make")

    def __init__(self, keys: list[tuple[str, str]], make: Callable[[str, str], str]) -> None:
        self._keys, self._make, self._made = frozenset(keys), make, dict[tuple[str, str], str]()

    def __getitem__(self, key: tuple[str, str]) -> str:
        found = self._made.get(key)
        if found is None:
            if key not in self._keys:
                raise KeyError(key)
            found = self._made[key] = self._make(*key)
        return found

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(sorted(self._keys))

    def __len__(self) -> int:
        return len(self._keys)


def _published_files(site: Site, env: jinja2.Environment, helpers: Helpers, described: Described, reuse: Reuse,
                     previous: Mapping[str, str], parts: tuple[str, ...] = ("feeds", "sitemap", "boards"),
                     keep: bool = True) -> Iterator[OutputFile]:
    """Yield what search engines, feed readers and job boards read: sitemap, feeds, jobs.json, Indeed feed (or
    those of them `parts` names).

    Feeds and boards carry each posting's full description: the one its page rendered for the JobPosting,
    or the one a kept page rendered before (`described`), else (a kept page whose description the store
    lacks) rendered here and, with `keep`, stored, so that the next build finds it. The job boards and the
    feeds patch their last files with the postings whose description this build rendered
    (`described.rendered`; the others' are the last build's). Those whose fingerprint `previous` records
    are kept.
    """
    template = env.get_template("_partials/job_description.html")

    def describe(posting: Posting) -> str:
        key = (posting.lang, posting.facts.key)
        found = described.get(key)
        if found is None:
            found = posting_description(site, posting, helpers, template.render)
            if keep:
                described.keep(key, found)
        return found

    # the feeds first: serve writes a changed one on a thread of its own while the rest is made
    if "feeds" in parts:
        yield from render_feeds(site, site.strings, helpers.absolute, describe, reuse, previous, described.rendered)
    if "sitemap" in parts:
        yield render_sitemap(site, reuse, previous)
    if "boards" in parts:
        yield from render_boards(site, helpers.absolute, describe, reuse, previous, described.rendered)


LISTED = "postings"  # what a template reads to list its language's postings (`language_context`)
BESIDE = 200  # postings (all languages) from which a one-off build makes its job boards on a worker of their own


def _postings(site: Site) -> int:
    return sum(len(postings) for postings in site.postings.values())


def _published_beside(site: Site, env: jinja2.Environment, helpers: Helpers, described: Described, reuse: Reuse,
                      previous: Mapping[str, str], staging: Staging) -> list[OutputFile]:
    """Return what `_published_files` yields, placed in `staging`: the job boards made and written by a forked
    worker while this process makes and writes the feeds and the sitemap (a big site's took seconds, on one
    core, once the pages were rendered). The worker stores no description (a kept page's missing from the
    store is made by both, and stored by this process)."""
    write = staging.writer()

    def boards(_: None) -> list[Written]:
        return [write(file) for file in _published_files(site, env, helpers, described, reuse, previous,
                                                         ("boards",), keep=False)]

    beside = Started(boards, None)
    try:
        here = [staging.place(file) for file in _published_files(site, env, helpers, described, reuse, previous,
                                                                 ("feeds", "sitemap"))]
        return [*here, *map(staging.written, beside.result())]
    finally:
        beside.stop()


# files (written already where the context writes them), problems, for an open posting (language, key, its
# full description, or where a worker wrote it, or None when the page was kept, the page's fingerprint), and
# the page's fingerprint
Rendered = tuple[list[OutputFile | Written], list[Problem],
                 tuple[str, str, str | tuple[int, int] | None, str] | None, str]


def _collect(results: list[Rendered], place: Callable[[OutputFile | Written], OutputFile], outputs: list[OutputFile],
             problems: list[Problem], described: Described,
             pages: Sequence[tuple[Page, str | None]] | None = None) -> None:
    """Send the rendered files to `place`, and note problems and postings' descriptions.

    With the `pages` the results are of (a worker's), what is kept of them names each page by the site's own
    strings, not the copies that came with them (a big site's 10,000 paths and keys: 1.5 MB until the end).
    """
    for index, (page_outputs, page_problems, description, _) in enumerate(results):
        page = pages[index][0] if pages is not None else None
        outputs.extend(place(_named_by(file, page)) for file in page_outputs)
        problems.extend(page_problems)
        if description is None:
            continue
        lang, key, html, fingerprint = description
        key = page.key if page is not None and key == page.key else key
        if isinstance(html, tuple):  # (where a worker wrote it)
            assert described.source is not None
            described.rendered.place((lang, key), described.source, *html)
            if fingerprint and described.keeps:
                described.store[fingerprint] = described.rendered[lang, key]
        elif html is not None:
            described.rendered[lang, key] = html
            if fingerprint:
                described.store[fingerprint] = html
        else:
            described.kept.append((lang, key, fingerprint))


def _named_by(file: OutputFile | Written, page: Page | None) -> OutputFile | Written:
    """Return a page's file with the page's own path (the very string), if it is at that path."""
    if page is None:
        return file
    if isinstance(file, Written):
        return replace(file, file=named) if (named := _named_by(file.file, page)) is not file.file else file
    return replace(file, dest_path=page.dest_path) if file.dest_path == page.dest_path else file


class Described:
    """Postings' descriptions by (language, key): those rendered by this build, and those of the pages it kept,
    found in the store by their page's fingerprint once one is asked for (a save that patches the feeds and
    job boards asks only for those rendered now)."""

    def __init__(self, store: MutableMapping[str, str]) -> None:
        self.store = store
        # by the pages rendered now (the others' are the last build's), on disk until the feeds read them
        self.rendered: Spool[tuple[str, str]] = Spool()
        self.made: dict[tuple[str, str], str] = {}  # for kept pages whose description the store lacked
        self.kept: list[tuple[str, str, str]] = []  # (language, key, page fingerprint) of kept pages' postings
        self.find_kept: Callable[[], Iterable[tuple[str, str, str]]] = tuple  # the others, found when needed
        self._fingerprints: dict[tuple[str, str], str] | None = None
        self._indexed = 0  # how many of `kept` are in `_fingerprints`
        self.source: Shared | None = None  # where the workers wrote the descriptions they made, if anywhere
        self.keeps = not isinstance(store, Discarded)  # (one that keeps none is given none)

    def get(self, key: tuple[str, str]) -> str | None:
        """Return a posting's description, or None when it was neither rendered nor stored."""
        found = self.rendered.get(key) or self.made.get(key)
        if found is None and (fingerprint := self._fingerprint(key)):
            found = self.store.get(fingerprint)
        return found

    def keep(self, key: tuple[str, str], html: str) -> None:
        """Keep a description made for a kept page's posting, in the store by its page's fingerprint."""
        self.made[key] = html
        if fingerprint := self._fingerprint(key):
            self.store[fingerprint] = html

    def _fingerprint(self, key: tuple[str, str]) -> str | None:
        """Return the fingerprint of the kept page of a posting (None: its page was rendered now)."""
        if self._fingerprints is None:
            self._fingerprints = {(lang, page_key): fingerprint for lang, page_key, fingerprint in self.find_kept()}
        if self._indexed < len(self.kept):
            self._fingerprints.update(((lang, page_key), fingerprint)
                                      for lang, page_key, fingerprint in self.kept[self._indexed:])
            self._indexed = len(self.kept)
        return self._fingerprints.get(key)


def _fingerprint(context: RenderContext, page: Page, variables: Mapping[str, Any]) -> str:
    """Return a page's fingerprint ("" for a template that does not exist).

    It covers the shared digest, what the page's language gives its template, and the page's own data:
    the page, its posting, and its breadcrumb trail and sharing image (made from the page, its
    language's home page address, the strings and the assets).
    """
    names = context.names.get(page.template)
    if names is None:
        return ""
    own = names - context.languages[page.lang].keys()
    return page_fingerprint(context.shared, context.language_digests[page.lang, page.template], variables, own,
                            context.digests)


def _kept(context: RenderContext, page: Page, fingerprint: str) -> Rendered:
    """Return a page kept from the previous build, as rendering it would have returned it."""
    posting = (page.lang, page.key, None, fingerprint) if page.posting is not None and context.polish else None
    return [OutputFile(page.dest_path, b"", fingerprint, kept=True)], [], posting, fingerprint


def _render_pages(context: RenderContext, pages: Sequence[tuple[Page, str | None]],
                  warm: bool = False) -> list[Rendered]:
    """Return the output file (or the problems) of each page (a worker's task); unchanged pages are kept.

    Each page comes with its fingerprint, or None when it is to be worked out here. An open posting's
    page also returns the full description its JobPosting carries, typeset, so that the feeds and job
    boards reuse it instead of rendering it again (a kept page returns its fingerprint, which finds the
    description its last rendering left). With `warm`, a page whose fingerprint is to be worked out is
    rendered even when unchanged (serve's first build: its `cached` blocks are then kept for the next).
    """
    site, helpers = context.site, context.helpers
    results = []
    for page, known in pages:
        variables = page_context(site, page, helpers, context.languages[page.lang])
        fingerprint = _fingerprint(context, page, variables) if known is None else known
        if fingerprint and context.previous.get(page.dest_path) == fingerprint and not (warm and known is None):
            results.append(_kept(context, page, fingerprint))
            continue
        outputs: list[OutputFile] = []
        problems: list[Problem] = []
        described: list[str] = []
        posting = page.posting
        if posting is not None and context.polish:
            variables = {**variables, "job_posting_ld": _capturing(variables["job_posting_ld"], described)}
        memo = block_memo(context.env)
        if kept_blocks(context.env) is not None or memo is not None:  # `cached` blocks may be kept
            variables = {**variables, SCOPE: (context.shared, page.lang)}
        # fragments the page holds, typeset once for all the pages that hold them: its posting's text (and its
        # JobPosting's description), the blocks it shows that other pages show too (the memo adds them)
        fragments = [(str(posting.html), posting.text_lang or posting.lang)] if posting is not None else []
        if memo is not None:
            memo.shown = fragments
        try:
            _render_into(context.env, page.template, variables, page.dest_path, page.src_path, outputs, problems,
                         context.polish, helpers, LISTED in context.names.get(page.template, ()), fragments)
        finally:
            if memo is not None:
                memo.shown = None
        outputs = [replace(o, fingerprint=fingerprint) for o in outputs]
        write = context.write
        placed: list[OutputFile | Written] = list(outputs) if write is None else [write(o) for o in outputs]
        description = None
        if described and posting is not None:
            html = helpers.rewrite_assets(typeset_fragment(described[0], posting.text_lang or posting.lang,
                                                           str(posting.html)))
            description = (page.lang, page.key, html, fingerprint)
        results.append((placed, problems, description, fingerprint))
    return results if context.descriptions is None else _stored_descriptions(results, context.descriptions)


def _stored_descriptions(results: list[Rendered], into: Shared) -> list[Rendered]:
    """Return the results with their descriptions written to `into`, in one write, and where each is in place of
    it; the results as they are if the write fails (a full disk)."""
    texts = [result[2][2].encode("utf-8") if result[2] is not None and isinstance(result[2][2], str) else b""
             for result in results]
    offsets = into.append_each(texts)
    if offsets is None:
        return results
    stored: list[Rendered] = []
    for result, text, offset in zip(results, texts, offsets, strict=True):
        if text and result[2] is not None:
            lang, key, _, fingerprint = result[2]
            result = (result[0], result[1], (lang, key, (offset, len(text)), fingerprint), result[3])
        stored.append(result)
    return stored


def _capturing(job_posting_ld: Callable[[Any, Any], Any], into: list[str]) -> Callable[[Any, Any], Any]:
    """Return `job_posting_ld` that also keeps the description it is given."""
    def capture(item: Any, description: Any) -> Any:
        into.append(str(description).strip())
        return job_posting_ld(item, description)
    return capture


def _render_into(
    env: jinja2.Environment, template: str, context: Mapping[str, Any], dest: str, origin: str,
    outputs: list[OutputFile], problems: list[Problem], polish: bool = True, helpers: Helpers | None = None,
    in_parts: bool = False, known: Sequence[tuple[str, str]] = (),
) -> None:
    """Render one template; append its output, or a problem naming the template line and page.

    A page `in_parts` (one that lists every posting of its language: a big site's home page is 1.7 MB of
    HTML, 3.4 MB as a French Python string) is made a part at a time, except for serve (`kept_blocks`).
    `known` are fragments the page may hold, each with its language (a posting's text), for `typeset`.
    """
    reuse = kept_blocks(env)  # serve: a page rendered to the same HTML as last time is finished as it was
    finished: OutputFile | Problem | None = None
    try:
        compiled = env.get_template(template)
        if in_parts and reuse is None:  # made, typeset and encoded a part at a time: never whole
            finished = _finished_in_parts(compiled.generate(context), dest, origin, polish, helpers)
        else:
            rendered = [compiled.render(context)]  # handed over to `_finished`, which lets it go
    except jinja2.TemplateNotFound as exc:
        problems.append(Problem(origin, None, f"template '{exc.name}' does not exist",
                                f"create {TEMPLATE_DIR}{exc.name}, or fix the layout name"))
        return
    except jinja2.TemplateSyntaxError:
        return  # reported once by check_templates
    except Exception as exc:  # a template bug must become a problem, not a traceback
        problems.append(_template_problem(exc, origin))
        return
    if finished is None:
        assets = (helpers.base_path, helpers.names, helpers.sizes) if helpers is not None else None
        finished = (_finished(rendered, dest, origin, polish, helpers, known) if reuse is None else
                    reuse.get(("finished", dest), (rendered[0], origin, polish, assets), _finished, rendered, dest,
                              origin, polish, helpers, known, functools.partial(_typeset_big, reuse, dest)))
    if isinstance(finished, Problem):
        problems.append(finished)
    else:
        outputs.append(finished)


def _finished(rendered: list[str], dest: str, origin: str, polish: bool, helpers: Helpers | None,
              known: Sequence[tuple[str, str]] = (), big: Callable[[str], str] | None = None) -> OutputFile | Problem:
    """Return a rendered page (taken out of `rendered`) checked for repeated ids, typeset (`known`: as for
    `typeset`; a page of more than `BIG_PAGE` characters by `big`, if given) and with its asset links
    rewritten, ending with one newline.

    The page is this function's alone: each version of it is let go once the next is made. A site's home
    page lists every posting (1.7 MB of HTML at N=5000, 3.4 MB as a French Python string): its rendered,
    typeset and rewritten versions, and one more with its last newline, were all held until it was encoded.
    """
    html = rendered.pop()
    if dest.endswith(".html") and (repeated_ids := duplicate_ids(html)):
        return _repeated_id(origin, dest, repeated_ids[0])
    if polish and dest.endswith(".html"):
        html = typeset(html, known=known) if big is None or len(html) <= BIG_PAGE else big(html)
    if len(html) > BIG_PAGE:  # (a big site's home page)
        return OutputFile(dest, b"", parts=_encoded_parts(html, helpers))
    if helpers is not None:
        html = helpers.rewrite_assets(html)
    if not html.endswith("\n") or html.endswith("\n\n"):  # (else it ends with one: no copy of it is made)
        html = html.rstrip("\n") + "\n"
    return OutputFile(dest, html.encode("utf-8"))


TYPESET = "typeset pages"  # serve's key for its big pages' last `Typeset`, by destination


def _typeset_big(reuse: Reuse, dest: str, html: str) -> str:
    """Return the big page `html` (serve's home page of a big site) typeset where it changed since the last
    version of the page at `dest` (`typeset_again`), and keep it for the next."""
    kept: dict[str, Typeset] = reuse.known(TYPESET, ()) or {}
    made = typeset_again(html, kept.get(dest))
    reuse.keep(TYPESET, (), {**kept, dest: made})
    return made.typeset


def _finished_in_parts(pieces: Iterable[str], dest: str, origin: str, polish: bool,
                      helpers: Helpers | None) -> OutputFile | Problem:
    """Return what `_finished` returns for the page whose `pieces` (as `Template.generate` yields them) are
    given in turn, in UTF-8 parts: the page is never whole, as a string or as pieces.

    Made whole, a big site's home page took a worker 11 MiB at its peak: the page, its pieces while Jinja
    joined them, its typeset copy and that copy's pieces.
    """
    page = dest.endswith(".html")
    ids: list[str] = []
    parts: list[bytes] = []
    for text in typeset_stream(_joined_parts(pieces), None if polish and page else {}):
        if page:
            ids += ID_VALUE.findall(text)  # (each part ends with a tag: an id is in one part)
        _encode_linked(text, helpers, parts)
    if repeated_ids := repeated(ids):
        return _repeated_id(origin, dest, repeated_ids[0])
    return OutputFile(dest, b"", parts=_one_newline(parts))


def _repeated_id(origin: str, dest: str, name: str) -> Problem:
    """Return the problem of a page that gives the id `name` to more than one element."""
    return Problem(origin, None, f"{dest} has the id '{name}' more than once",
                   "rename the heading, or the id given to it in the text")


def _joined_parts(pieces: Iterable[str]) -> Iterator[str]:
    """Yield `pieces` joined into parts of `PART` characters or more (the last may be shorter)."""
    held: list[str] = []
    count = 0
    for piece in pieces:
        held.append(piece)
        count += len(piece)
        if count >= PART:
            yield "".join(held)
            held, count = [], 0
    yield "".join(held)


BIG_PAGE = 1 << 18  # characters of a page from which it is encoded, its asset links rewritten, a part at a time
PART = 1 << 16  # characters of such a part, at most (or at least, for a page made in parts)


def _encoded_parts(html: str, helpers: Helpers | None) -> list[bytes]:
    """Return the page with its asset links rewritten, ending with one newline, in UTF-8, in parts of at most
    `PART` characters' bytes (or an asset's link).

    Rewriting a 1.7 MB page whole (`Helpers.rewrite_assets`) copied it, and the rest of it after its last link,
    then encoding it copied it once more: its links are found in it as it is, and what is between them is
    encoded a part at a time.
    """
    parts: list[bytes] = []
    _encode_linked(html, helpers, parts)
    return _one_newline(parts)


def _encode_linked(html: str, helpers: Helpers | None, into: list[bytes]) -> None:
    """Add HTML with its asset links rewritten, in UTF-8, to `into`, in parts of at most `PART` characters'
    bytes (or an asset's link)."""
    at = 0
    if helpers is not None:
        html = helpers.sized_images(html)  # (a copy only where an image gets its size)
        for start, end, link in helpers.asset_links(html):
            _encode(html, at, start, into)
            into.append(link.encode("utf-8"))
            at = end
    _encode(html, at, len(html), into)


def _one_newline(parts: list[bytes]) -> list[bytes]:
    """Return the parts of a file, made to end with one newline."""
    while parts and parts[-1].endswith(b"\n"):
        if stripped := parts[-1].rstrip(b"\n"):
            parts[-1] = stripped
            break
        parts.pop()
    parts.append(b"\n")
    return parts


def _encode(text: str, start: int, end: int, into: list[bytes]) -> None:
    """Add the UTF-8 bytes of `text[start:end]` to `into`, `PART` characters at a time."""
    for at in range(start, end, PART):
        into.append(text[at:min(at + PART, end)].encode("utf-8"))


def _template_problem(exc: Exception, origin: str) -> Problem:
    """Return a problem at the template line where rendering failed."""
    path, line = origin, None
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(TEMPLATE_DIR):
            path, line = filename, tb.tb_lineno
        tb = tb.tb_next
    message = str(exc) if isinstance(exc, (jinja2.UndefinedError, MissingString)) else f"{type(exc).__name__}: {exc}"
    message = OBJECT_ATTRIBUTE.sub(lambda m: f"'{m.group(1).lower()}' has no field '{m.group(2)}'", message)
    return Problem(path, line, f"template error: {message}", f"while rendering {origin}")
