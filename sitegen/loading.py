"""Parse stage: the project's content files parsed (on every core, through the cache) and schema-checked."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, cast, overload

import jinja2

from .config import legal_notice_problems, make_config
from .environment import Compiling
from .fingerprint import Digests
from .jobs import Minimums
from .linkcheck import IMAGE_FIELDS
from .model import NO_HTML, Html, Problem, Project, SiteConfig, Source, YamlData
from .parallel import iter_chunks, map_chunks
from .parse import (
    LazyConverter,
    ParseCache,
    Parsed,
    but_the_file,
    cache_key,
    parse_cached,
    parse_file,
    unread,
    with_shared_parts,
)
from .record import Recorder
from .records import record, replace
from .reuse import Reuse, other_places
from .schema import Schemas
from .sources import SITE_FILE, ContentFile, classify
from .spool import Shared, shared_file
from .templatecheck import StringKeys
from .translations import status_problems, string_statuses


class BuildCache:
    """What a long-running process (serve) keeps between builds: parses by (path, hash).

    A plain class, not a dataclass: defining one with this many fields compiles its methods from source,
    some 8M instructions (2 % of the imports) for each process that imports it.
    """

    __slots__ = ("changed", "compiling", "converter", "current", "descriptions", "digests", "environment", "jobs",
                 "minimums", "parsed", "parsed_done", "progress", "pruned", "recorder", "rendering", "reuse", "schemas",
                 "sources", "string_keys", "template_names", "templates", "timings")

    def __init__(self, *, parsed: ParseCache | None = None,
                 string_keys: dict[tuple[str, ...], StringKeys] | None = None,
                 template_names: dict[tuple[str, ...], dict[str, frozenset[str]]] | None = None,
                 templates: jinja2.BytecodeCache | None = None, descriptions: MutableMapping[str, str] | None = None,
                 reuse: Reuse | None = None, recorder: Recorder | None = None, jobs: int = 1,
                 compiling: Compiling | None = None) -> None:
        self.parsed: ParseCache = {} if parsed is None else parsed
        self.schemas: Schemas | None = None
        self.minimums: Minimums | None = None
        self.string_keys = {} if string_keys is None else string_keys
        self.template_names = {} if template_names is None else template_names
        self.templates = templates
        # page fingerprint → posting description
        self.descriptions: MutableMapping[str, str] = {} if descriptions is None else descriptions
        self.reuse = Reuse() if reuse is None else reuse  # pages and feed entries made by the last build (serve)
        self.digests = Digests()  # digests of the values pages see, by identity (serve)
        # the last templates' (serve)
        self.environment: tuple[tuple[tuple[str, str], ...], jinja2.Environment] | None = None
        self.converter = LazyConverter()  # one Markdown instance, made on first use
        self.recorder = recorder  # keeps each build's record, so that a build with nothing changed does nothing
        self.current: set[tuple[str, str]] | None = None  # (path, SHA-256) of the content files the last build read
        self.sources: tuple[Source, ...] | None = None  # those files, as the last build read them (serve)
        self.pruned = False  # True once the descriptions were pruned to the pages of a build (serve)
        self.changed = False  # True once what templates use changed (the disk cache needs saving)
        self.jobs = jobs  # worker processes for parsing and rendering; the output is the same for any number
        self.timings: list[tuple[str, float]] = []  # seconds per stage of the last build
        # told (stage, done, total) as parsing and rendering go
        self.progress: Callable[[str, int, int], None] | None = None
        # told once the content is parsed: a one-off build writes the new parses to disk while the pages render
        self.parsed_done: Callable[[], None] | None = None
        self.compiling = compiling  # the templates a worker compiles for the next build (see `environment`)
        # told once the site is made and checked, before its pages render (a one-off build turns the cycle
        # collector on then: `cli.start_up`)
        self.rendering: Callable[[], None] | None = None

    def let_go_of_parses(self) -> None:
        """Forget the parses held in memory, but those a disk cache has still to save.

        A build with no next one in this process (`reuse` remembers nothing) calls it once the site is
        assembled and checked, before its pages render: what the pages need is in the site.
        """
        from .parsestore import ParseStore

        if isinstance(self.parsed, ParseStore):
            self.parsed.let_go()
        else:
            self.parsed.clear()

    def time(self, stage: str, started: float) -> float:
        """Record that `stage` ran from `started` until now; return now."""
        now = time.perf_counter()
        self.timings.append((stage, now - started))
        return now


@record
class Loaded:
    """The parsed content of a project, before assembly."""

    config: SiteConfig
    parsed: tuple[Parsed, ...]
    catalogues: Mapping[str, tuple[str, YamlData]]
    problems: tuple[Problem, ...]


def load_content(project: Project, base_url: str | None, cache: BuildCache) -> Loaded | list[Problem]:
    """Return the parsed, schema-checked content, or the problems that stop everything."""
    loaded = _load(project, base_url, cache)
    if isinstance(loaded, Loaded):
        return replace(loaded, problems=(*project.problems, *loaded.problems))
    return [*project.problems, *loaded]


def _site(project: Project, base_url: str | None, cache: BuildCache
          ) -> tuple[SiteConfig, list[Problem], list[Source]] | list[Problem]:
    """Return the site's configuration, its problems and the other content files; or the problems that stop
    everything."""
    if cache.schemas is None:
        cache.schemas = Schemas()
    at = next((index for index, s in enumerate(project.content) if s.src_path == SITE_FILE), None)  # among the first
    if at is None:
        return [Problem(SITE_FILE, None, "missing site configuration",
                        "create it with name, base_url, languages and organisation")]
    site_file = parse_cached(ContentFile(SITE_FILE, "site"), project.content[at], cache.schemas, cache.converter,
                             cache.parsed)
    if site_file.data is None:
        return list(site_file.problems)
    config, problems = make_config(site_file.data, base_url)
    if config is None:
        return problems
    problems.extend(legal_notice_problems(config, site_file.data))
    return config, problems, [*project.content[:at], *project.content[at + 1:]]  # (paths are unique)


def _load(project: Project, base_url: str | None, cache: BuildCache) -> Loaded | list[Problem]:
    """Return the parsed content of the files read, or the problems that stop everything."""
    found_site = _site(project, base_url, cache)
    if isinstance(found_site, list):
        return found_site
    config, problems, sources = found_site
    assert cache.schemas is not None
    schemas, convert = cache.schemas, cache.converter
    context = (config.lang_codes,)
    last: Gathered | None = cache.reuse.known("gathered", (config,))
    saved: list[int] | None = None  # serve: the places of the files a save changed, when no file came or went
    if last is not None and len(last.sources) == len(sources):  # serve: the same files, a few of them saved
        saved = other_places(sources, last.sources)
        found: list[Parsed | Problem | None] = list(last.results)
        for index in saved:
            found[index] = None
    else:  # an unchanged file's parse, by identity, wherever the file is now
        found = cache.reuse.found("parses", context, sources)
    missing = saved if saved is not None else [index for index, result in enumerate(found) if result is None]
    results = cast(list[Parsed | Problem], found)  # once the missing ones are made
    if missing:
        results = cast(list[Parsed | Problem], list(found))
        files: list[tuple[int, ContentFile, Source]] = []
        # (`classify` remembers each path's answer for serve; a one-off build asks once: 15,000 files, 3 MB)
        classified = classify if cache.reuse.remember else classify.__wrapped__
        for index in missing:
            source = sources[index]
            file = classified(source.src_path, config.lang_codes)
            if isinstance(file, Problem):
                results[index] = file
            else:
                files.append((index, file, source))
        pairs = [(file, source) for _, file, source in files]
        _parse_missing(pairs, schemas, convert, cache)
        for index, file, source in files:
            results[index] = parse_cached(file, source, schemas, convert, cache.parsed)
    cache.reuse.keep_each("parses", context, sources, results, found=found, made=missing)
    gathered = _regathered(last, sources, results, saved) if last is not None and saved is not None else None
    if gathered is None:
        gathered = _gathered(sources, results, config)
    cache.reuse.keep("gathered", (config,), gathered)
    return Loaded(config, gathered.parsed, gathered.catalogues, (*problems, *gathered.problems))


@record
class Gathered:
    """What a build gathers from every file's parse (or problem), kept by `serve` to be patched after a save."""

    sources: Sequence[Source]  # the files, but `_site.yaml`, in the project's order
    results: Sequence[Parsed | Problem]  # their parses (or problems), in the same order
    parsed: tuple[Parsed, ...]
    catalogues: Mapping[str, tuple[str, YamlData]]
    problems: tuple[Problem, ...]


def _gathered(sources: Sequence[Source], results: Sequence[Parsed | Problem], config: SiteConfig) -> Gathered:
    """Return the parses, the UI string catalogues and every problem of the files' parses."""
    problems = [result for result in results if isinstance(result, Problem)]
    parsed = [result for result in results if isinstance(result, Parsed)]
    problems.extend(p for item in parsed for p in item.problems)
    catalogues = {p.file.lang: (p.file.src_path, p.data) for p in parsed
                  if p.file.kind == "strings" and p.file.lang and p.data is not None}
    problems.extend(status_problems(string_statuses(catalogues, config)))
    return Gathered(sources, results, tuple(parsed), catalogues, tuple(problems))


def _regathered(last: Gathered, sources: Sequence[Source], results: Sequence[Parsed | Problem],
                changed: Sequence[int]) -> Gathered | None:
    """Return the last gathering with the parses of the files a save changed (at the places `changed` among
    as many files as last time, the others being the very same files) put in their places.

    None (gather everything again) unless none of those is or was a problem, has problems, or is a UI
    string catalogue.
    """
    if len(last.parsed) != len(sources):
        return None  # a file that is a problem (the parses are not in the files' places)
    parsed = list(last.parsed)
    for index in changed:
        new, old = results[index], parsed[index]
        if not isinstance(new, Parsed) or new.problems or old.problems or "strings" in (new.file.kind, old.file.kind):
            return None
        parsed[index] = new
    return Gathered(sources, results, tuple(parsed), last.catalogues, last.problems)


def _parse_missing(files: list[tuple[ContentFile, Source]], schemas: Schemas, convert: LazyConverter,
                   cache: BuildCache) -> None:
    """Parse the files the cache does not hold, on `cache.jobs` workers, into the cache."""
    missing = [(file, source) for file, source in files if cache_key(file, source) not in cache.parsed]
    if not missing:
        return
    if cache.jobs > 1:
        schemas.prepare()  # once, before the workers fork
    storage = _storage(len(missing), cache)
    results = map_chunks(_parse_files, (schemas, convert, storage), missing, cache.jobs,
                         progress=stage_progress(cache, "parse"))
    for (file, source), rest in zip(missing, results, strict=True):
        item = _received(file, rest, storage)
        if not unread(item):  # (one that changed is read again, and reported, by the caller)
            cache.parsed[cache_key(file, source)] = item


def _received(file: ContentFile, rest: tuple[Any, ...], storage: Shared | None) -> Parsed:
    """Return the parse a worker sent of `file` (`_parse_files`), with the file as this process knows it (not a
    copy of it), and its text's HTML where the worker stored it."""
    if storage is not None and type(rest[1]) is tuple:
        rest = (rest[0], Html.kept_in(storage, *rest[1]), *rest[2:])
    return Parsed(file, *rest)


# given what the files that are not postings' gave, and the keys of the postings' facts files: what takes the
# postings' parses, a few postings (every file of each) at a time
PartsStart = Callable[[Loaded, frozenset[str]], Callable[[tuple[Parsed, ...]], None]]


def load_in_parts(project: Project, base_url: str | None, cache: BuildCache, start: PartsStart) -> Loaded | None:
    """Return what `load_content` returns, for a one-off build of many postings with a cache that holds no parse;
    None for any other build (the caller loads the content as `load_content` does).

    The postings' files are parsed last, on the workers, posting after posting; their parses are handed, a
    few postings at a time as they come, to what `start` returns, which is called once the other files are
    parsed (UI strings, people, steps, pages: every posting's page needs them). Each posting's parses are
    written to the disk cache as they come, and then let go: what `Loaded.parsed` holds of a posting is
    only what later checks read (its text's links; its facts, when they name an image).
    """
    if cache.jobs < 2 or cache.reuse.remember or _knows_parses(cache.parsed):
        return None
    found_site = _site(project, base_url, cache)
    if isinstance(found_site, list):
        return None  # (`load_content` reports it)
    config, problems, sources = found_site
    classified = [classify.__wrapped__(source.src_path, config.lang_codes) for source in sources]
    postings = [index for index, file in enumerate(classified)
                if isinstance(file, ContentFile) and file.collection == "jobs" and file.kind in ("facts", "text")]
    if len(postings) < PARTS_FROM:
        return None
    postings.sort(key=lambda index: (cast(ContentFile, classified[index]).key, sources[index].src_path))
    results: dict[int, Parsed | Problem] = {}
    work: list[int] = []  # the files to parse: the others first, then the postings', posting after posting
    for index in sorted(set(range(len(sources))).difference(postings)):
        file = classified[index]
        if isinstance(file, Problem):
            results[index] = file
        else:
            work.append(index)
    first = len(work)
    others = sorted([*results, *work])
    work += postings
    loaded = _parsed_in_parts(config, problems, sources, classified, results, others, work, first, cache, start)
    return replace(loaded, problems=(*project.problems, *loaded.problems))  # (as `load_content`)


PARTS_FROM = 1000  # postings' files from which a one-off build makes its site a few postings at a time
PART = 64  # postings in a part


def _knows_parses(parsed: ParseCache) -> bool:
    """Return True when the cache holds a parse, in memory or on disk (a warm cache: the build then reads the
    postings' parses from it, as `load_content` does)."""
    from .parsestore import ParseStore

    return not parsed.is_empty() if isinstance(parsed, ParseStore) else bool(parsed)


class _Files(Sequence[tuple[ContentFile, Source]]):
    """The files at some places of the project, as `_parse_files` takes them, made when asked for (a big site's
    15,000 pairs were a megabyte of the build's process)."""

    def __init__(self, places: list[int], classified: list[ContentFile | Problem], sources: list[Source]) -> None:
        self.places, self.classified, self.sources = places, classified, sources

    def __len__(self) -> int:
        return len(self.places)

    @overload
    def __getitem__(self, index: int) -> tuple[ContentFile, Source]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[ContentFile, Source]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[place] for place in range(*index.indices(len(self)))]
        place = self.places[index]
        return cast(ContentFile, self.classified[place]), self.sources[place]


def _parsed_in_parts(config: SiteConfig, problems: list[Problem], sources: list[Source],
                     classified: list[ContentFile | Problem], results: dict[int, Parsed | Problem], others: list[int],
                     work: list[int], first: int, cache: BuildCache, start: PartsStart) -> Loaded:
    """Return what `load_in_parts` returns, parsing the files at the places `work` lists (the postings' from `first`
    on, posting after posting); `others` are the places of all the files but the postings'."""
    from .parsestore import ParseStore

    assert cache.schemas is not None
    schemas, convert = cache.schemas, cache.converter
    schemas.prepare()  # once, before the workers fork
    storage = _storage(len(work), cache)
    store = cache.parsed if isinstance(cache.parsed, ParseStore) else None
    pack = store.pack() if store is not None else None
    files = _Files(work, classified, sources)
    postings = _Postings([cast(ContentFile, classified[place]) for place in work[first:]])
    others_loaded: Loaded | None = None  # (once the other files are parsed)
    take: Callable[[tuple[Parsed, ...]], None] | None = None
    kept: list[Parsed] = []
    own_problems: list[Problem] = []
    try:
        done = 0
        for part in iter_chunks(_parse_for_pack, (schemas, convert, storage, pack is not None), files, cache.jobs,
                                progress=stage_progress(cache, "parse")):
            for rest, entry in part:
                file, source = files[done]
                done += 1
                item = _received(file, rest, storage)
                if unread(item):  # (a file that changed is read again, and reported, as `parse_cached` does)
                    item, entry = parse_file(file, source, schemas, convert), None
                if done <= first:
                    if not unread(item):
                        cache.parsed[cache_key(file, source)] = item
                    results[work[done - 1]] = item
                    continue
                if take is None:  # (the other files are parsed)
                    others_loaded = _others_loaded(sources, results, others, config)
                    take = start(others_loaded, postings.facts)
                if entry is not None and pack is not None:
                    pack.add(*entry)
                own_problems.extend(item.problems)
                kept.extend(_for_checks(item))
                postings.add(item, take)
        if take is None:
            others_loaded = _others_loaded(sources, results, others, config)
            take = start(others_loaded, postings.facts)
        postings.add(None, take)
    except BaseException:
        if pack is not None:
            pack.abandon()
        raise
    if pack is not None and store is not None:
        store.take_pack(pack)
    assert others_loaded is not None
    return replace(others_loaded, parsed=(*others_loaded.parsed, *kept),
                   problems=(*problems, *others_loaded.problems, *own_problems))


class _Postings:
    """The postings' parses as they come (every file of a posting one after another), handed on `PART`
    complete postings at a time."""

    def __init__(self, files: list[ContentFile]) -> None:
        self.needed: dict[str, int] = {}  # files still to come, by posting (its key: one string for all its files)
        facts = set()
        last = ""
        for file in files:
            key = last = last if file.key == last else file.key
            self.needed[key] = self.needed.get(key, 0) + 1
            if file.kind == "facts":
                facts.add(key)
        self.facts = frozenset(facts)  # the keys of the postings' facts files
        self.waiting: list[Parsed] = []  # the parses of postings not handed on yet
        self.complete = 0  # postings complete among them

    def add(self, item: Parsed | None, take: Callable[[tuple[Parsed, ...]], None]) -> None:
        """Add a posting's file's parse; hand on the complete postings when they are `PART` (or, given None
        after the last file, all that are left)."""
        if item is not None:
            self.waiting.append(item)
            key = item.file.key
            self.needed[key] -= 1
            if self.needed[key]:
                return
            self.complete += 1
            if self.complete < PART:
                return
        ready = [parsed for parsed in self.waiting if not self.needed[parsed.file.key]]
        self.waiting = [parsed for parsed in self.waiting if self.needed[parsed.file.key]]
        self.complete = 0
        if ready:
            take(tuple(ready))


def _others_loaded(sources: list[Source], results: Mapping[int, Parsed | Problem], others: list[int],
                   config: SiteConfig) -> Loaded:
    """Return the files but the postings' as `load_content` would (their parses, catalogues and problems)."""
    gathered = _gathered([sources[index] for index in others], [results[index] for index in others], config)
    return Loaded(config, gathered.parsed, gathered.catalogues, gathered.problems)


def _for_checks(item: Parsed) -> list[Parsed]:
    """Return what the checks after assembly read of a posting's parse: its text's links, or its facts when they
    name an image (`linkcheck`)."""
    if item.file.kind == "text" and item.links and item.file.lang:
        return [Parsed(item.file, None, NO_HTML, (), "", item.links)]
    if item.file.kind == "facts" and item.data is not None and isinstance(item.data.value, dict) and any(
            name in item.data.value for name in IMAGE_FIELDS):
        return [item]
    return []


Entry = tuple[str, bytes]  # a parse's name and body in a pack of the disk cache


def _parse_for_pack(context: tuple[Schemas, LazyConverter, Shared | None, bool],
                    files: Sequence[tuple[ContentFile, Source]]) -> list[tuple[tuple[Any, ...], Entry | None]]:
    """Return what `_parse_files` returns (a worker's task), each parse with its entry in the disk cache (if
    wanted: the last item of `context`), or None for none."""
    from .parsestore import entry

    schemas, convert, storage, entries = context
    parses = _parses(files, schemas, convert)
    made = [entry(cache_key(file, source), item) if entries and not unread(item) else None
            for (file, source), item in zip(files, parses, strict=True)]
    return list(zip(_sent(parses, storage), made, strict=True))


def stage_progress(cache: BuildCache, stage: str) -> Callable[[int, int], None] | None:
    """Return the progress callback of one stage, if the caller wants progress."""
    report = cache.progress
    return None if report is None else lambda done, total: report(stage, done, total)


def _storage(count: int, cache: BuildCache) -> Shared | None:
    """Return the temporary file the parse workers of a one-off build write the texts' HTML to, when they are
    many; None to send it back with the parses (or where no such file can be made)."""
    return None if count < STORED_FROM or cache.jobs < 2 or cache.reuse.remember else shared_file()


STORED_FROM = 1000  # files to parse, from which a one-off build stores their texts' HTML (some 600 bytes each)


def _parse_files(context: tuple[Schemas, LazyConverter, Shared | None],
                 files: Sequence[tuple[ContentFile, Source]]) -> list[tuple[Any, ...]]:
    """Return the parses of some files (a worker's task), each as its fields but the file (`Parsed(file, *rest)`).

    The caller has the files: a copy of each would come back with its parse (10,000 postings' were some
    6 MB of the build's memory, and more to pickle and load). Given a `storage`, the texts' HTML is written
    to it, and each parse has, instead of its `Html`, where that is: (offset, length, digest, ids).
    """
    schemas, convert, storage = context
    return _sent(_parses(files, schemas, convert), storage)


def _parses(files: Sequence[tuple[ContentFile, Source]], schemas: Schemas, convert: LazyConverter) -> list[Parsed]:
    """Return the parses of some files, made of the paths, positions and strings their data have in common."""
    shared: dict[Any, Any] = {}
    return [with_shared_parts(parse_file(file, source, schemas, convert), shared) for file, source in files]


def _sent(parses: list[Parsed], storage: Shared | None) -> list[tuple[Any, ...]]:
    """Return the parses as a worker sends them: their fields but the file, their texts' HTML in `storage`."""
    rests = [but_the_file(item) for item in parses]
    return rests if storage is None else _stored(rests, storage)


def _stored(parses: list[tuple[Any, ...]], storage: Shared) -> list[tuple[Any, ...]]:
    """Return the parses (as `_parse_files` makes them) with their texts' HTML written to `storage`, in one
    write, and where each is in place of it; the parses as they are if the write fails (a full disk)."""
    texts = [rest[1].packed if rest[1] else b"" for rest in parses]
    offsets = storage.append_each(texts)
    if offsets is None:
        return parses
    return [(rest[0], (offset, len(text), rest[1].digest, rest[1].ids), *rest[2:]) if text else rest
            for rest, text, offset in zip(parses, texts, offsets, strict=True)]


def warm_up(cache: BuildCache) -> None:
    """Load now what the first parse would load: the schemas (jsonschema) and the Markdown converter.

    `serve` calls it once it is up, so that the first save after a start from a warm cache is as quick
    as the others.
    """
    if cache.schemas is None:
        cache.schemas = Schemas()
    cache.schemas.prepare()
    cache.schemas.validator("site")
    cache.converter.prepare()
    import nh3  # noqa: F401 - the sanitizer every parse of a text uses
