"""The build: load → parse → validate → assemble → render → write. Never prints."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, MutableMapping
from operator import attrgetter
from pathlib import Path

import jinja2

from .assemble import SiteInParts, assemble_site
from .clock import build_date
from .environment import Compiled, Compiling, compiling, make_environment, take_compiled, template_uses
from .fragments import keep_blocks
from .i18n import check_catalogues, load_locales, make_formatters
from .ids import template_ids
from .inplace import InPlace
from .jobs import Minimums, load_minimums
from .linkcheck import link_problems
from .loading import BuildCache, Loaded, load_content, load_in_parts, stage_progress
from .model import BuildResult, OutputFile, Problem, Project
from .parse import Parsed
from .record import build_options, replay_build
from .records import replace
from .render import render_site
from .signed import flush
from .sources import SITE_FILE, read_project
from .templatecheck import StringKeys, check_templates, undefined_string_keys
from .translations import strings_of
from .typography import typeset_plain
from .write import (
    Sink,
    Staging,
    kept_fingerprints,
    output_lock,
    staged,
    unsafe_destinations,
    unsafe_output,
)

__all__ = ["BuildCache", "build", "build_date", "build_in_place", "compile_site"]

def build(root: Path, out: Path | None, base_url: str | None = None,
          cache: BuildCache | None = None, strict: bool = False, today: dt.date | None = None,
          preview: bool = False, live: bool = False, project: Project | None = None) -> BuildResult:
    """Build the project at `root` into `out` (None: check only); write nothing on errors.

    `preview` builds a copy that search engines must never index; `live` builds for `serve`, which
    may pass the `project` it already read.
    """
    if out is not None and (reason := unsafe_output(out, root)):
        return BuildResult((), (Problem(str(out), None, "unsafe output folder", reason),))
    cache = cache or BuildCache()
    cache.timings.clear()
    started = time.perf_counter()
    project = project or read_project(root)
    cache.time("read", started)
    today = today or build_date()
    recorder = cache.recorder if out is not None else None
    key = ""
    if recorder is not None and out is not None:
        key, same = replay_build(project, out, recorder, base_url, today, build_options(strict, preview, live))
        if same is not None:
            _forget_parses(cache, project)
            return same  # the output is already what this build would write
    if out is None:
        result = compile_site(project, base_url, cache, strict, today=today, preview=preview, live=live)
    else:
        with staged(out) as staging:  # pages go to disk as they are rendered; the swap happens only on success
            previous = kept_fingerprints(out) if out.exists() else {}
            result = compile_site(project, base_url, cache, strict, today=today, previous=previous, preview=preview,
                                  live=live, staging=staging)
            if result.ok:
                started = time.perf_counter()
                staging.commit()
                cache.time("write", started)
                if recorder is not None:
                    recorder.keep(out, key, result)
    _forget_parses(cache, project)
    return result


def build_in_place(project: Project, writer: InPlace, base_url: str | None, cache: BuildCache,
                   today: dt.date | None = None, shown: Callable[[], None] | None = None) -> BuildResult:
    """Rebuild `project` for `serve` into the folder `writer` updates in place, rendering only what changed.

    The previous build's pages are known from `writer`, so nothing is read back from the folder; on
    errors, no file is written unless a template failed on some page (the preview shows the errors).
    `shown` is called as soon as the pages are written, while the sitemap, feeds and boards are made.
    """
    cache.timings.clear()
    with output_lock(writer.out):
        try:
            result = compile_site(project, base_url, cache, today=today, previous=writer.fingerprints, live=True,
                                  sink=writer, shown=shown)
            _forget_parses(cache, project)  # while a feed may still be being written
        finally:
            writer.settle()  # no file is still being written when the build is done, whatever happened
        if result.ok:
            writer.commit()
        else:
            writer.abandon()
    return result


def _forget_parses(cache: BuildCache, project: Project) -> None:
    """Keep in the cache only the parses of the files the project has now.

    After a build that read the same files as the last one but a few (serve), only those few are looked at.
    """
    content, last = project.content, cache.sources
    changed = ([(old, new) for old, new in zip(last, content, strict=True) if old is not new]
               if last is not None and len(last) == len(content) else None)
    if changed is not None and len(changed) <= FEW_CHANGED and cache.current is not None:
        added = {(new.src_path, new.digest) for _, new in changed}
        gone = {(old.src_path, old.digest) for old, _ in changed} - added
        current = (cache.current - gone) | added if changed else cache.current  # a new set: a saver may hold the old
        if gone:
            for key in [key for key in cache.parsed if (key[0], key[1]) in gone]:
                del cache.parsed[key]
    else:
        current = set(zip(map(attrgetter("src_path"), content), map(attrgetter("digest"), content), strict=True))
        if cache.current is None or cache.current - current or len(cache.parsed) > len(current):
            for key in [key for key in cache.parsed if (key[0], key[1]) not in current]:
                del cache.parsed[key]
    cache.current, cache.sources = current, content


FEW_CHANGED = 64  # files changed since the last build, up to which only they are looked at


def compile_site(
    project: Project, base_url: str | None, cache: BuildCache, strict: bool = False, check_only: bool = False,
    today: dt.date | None = None, previous: Mapping[str, str] | None = None, preview: bool = False,
    live: bool = False, sink: Sink | None = None, shown: Callable[[], None] | None = None,
    staging: Staging | None = None,
) -> BuildResult:
    """Return the built files and every problem, from the project's sources and the build date.

    Under `strict`, warnings (missing or stale translations, …) are errors; notices stay notices.
    `check_only` skips the finishing steps that cannot find problems (typography, sitemap, feeds).
    `today` decides which postings are closed; by default it is `build_date()`. Pages whose fingerprint
    `previous` (dest path → fingerprint of the previous output) records are kept rather than rendered.
    `shown` (serve, never strict) is called once every page and asset is with the `sink` and no problem so
    far is an error; the sitemap, feeds and job boards are made after it. A `staging` tree (a one-off build's)
    takes the place of a `sink`: the workers that render pages write them into it themselves.
    """
    result = _compile(project, base_url, cache, check_only, today or build_date(), previous or {}, preview, live,
                      sink, shown, staging)
    if strict and not preview and (placeholder := _placeholder_base_url(project, base_url)):
        result = replace(result, problems=(*result.problems, placeholder), outputs=())
    if not strict or not result.problems:
        return result
    problems = [replace(p, severity="error") if p.severity == "warning" else p for p in result.problems]
    return _failed(problems) if any(p.severity == "error" for p in problems) else result


def _placeholder_base_url(project: Project, base_url: str | None) -> Problem | None:
    """Return an error when a production build would publish under an example.com-style placeholder address."""
    from urllib.parse import urlsplit

    url = base_url
    if url is None:
        source = next((s for s in project.content if s.src_path == SITE_FILE), None)
        found = re.search(rb"(?m)^base_url:\s*['\"]?([^\s'\"#]+)", source.data) if source else None
        url = found.group(1).decode("utf-8", "replace") if found else None
    host = (urlsplit(url).hostname or "") if url else ""
    if not re.search(r"(^|\.)example\.(com|org|net)$", host):
        return None
    return Problem(SITE_FILE, None, f"base_url is still a placeholder ({url}): a production build needs the "
                   "address the site is published at",
                   "set base_url in _site.yaml, pass --base-url https://…, or build a preview with --preview")


def _compile(project: Project, base_url: str | None, cache: BuildCache, check_only: bool,
             today: dt.date, previous: Mapping[str, str], preview: bool = False, live: bool = False,
             sink: Sink | None = None, shown: Callable[[], None] | None = None,
             staging: Staging | None = None) -> BuildResult:
    """Return the built files and every problem, warnings included."""
    compiling = _compiling(project, cache)  # new templates compile in a worker while the content is parsed
    try:
        return _compiled(project, compiling, base_url, cache, check_only, today, previous, preview, live, sink,
                         shown, staging)
    finally:
        if compiling is not None:
            compiling.stop()  # (collected already, unless the build stopped before it needed the templates)


def _compiled(project: Project, compiling: Compiling | None, base_url: str | None, cache: BuildCache,
              check_only: bool, today: dt.date, previous: Mapping[str, str], preview: bool, live: bool,
              sink: Sink | None, shown: Callable[[], None] | None, staging: Staging | None) -> BuildResult:
    """Return what `_compile` returns, the templates being compiled by `compiling` (if not None) until the
    build needs them: it parses the content, assembles the site and checks its links meanwhile."""
    started = time.perf_counter()
    in_parts: list[SiteInParts] = []  # a big one-off build's site, made as its postings are parsed

    def begin(others: Loaded, facts: frozenset[str]) -> Callable[[tuple[Parsed, ...]], None]:
        # while the workers parse the postings: what the locales' tables leave, once trimmed, the site fills
        load_locales(lang.locale for lang in others.config.languages)
        in_parts.append(SiteInParts(others.parsed, replace(others.config, preview=preview, live=live),
                                    _strings(others), today, _minimums(cache),
                                    _reserved(project) | {key.split("/", 1)[1] for key in facts}))
        return in_parts[0].add

    in_parts_loaded = None if live else load_in_parts(project, base_url, cache, begin)
    loaded = in_parts_loaded or load_content(project, base_url, cache)
    in_parts_loaded = None  # (what it holds goes with `loaded`, once the checks are done)
    if compiling is not None and isinstance(loaded, Loaded) and not in_parts:  # (`begin` loaded them, if it ran)
        load_locales(lang.locale for lang in loaded.config.languages)  # what rendering will need, meanwhile
    started = cache.time("parse", started)
    if not isinstance(loaded, Loaded):
        return _failed(loaded)
    if cache.parsed_done is not None:
        cache.parsed_done()
    config, problems = replace(loaded.config, preview=preview, live=live), list(loaded.problems)
    if in_parts:
        site, assembly_problems = in_parts.pop().site()  # (what made the parts goes)
    else:
        site, assembly_problems = assemble_site(loaded.parsed, config, _strings(loaded), today, _minimums(cache),
                                                _reserved(project), cache.reuse)
    strings = site.strings
    problems.extend(assembly_problems)
    started = cache.time("assemble", started)
    if not live:  # serve checks links once the pages a save changed are written: they are shown sooner
        problems.extend(link_problems(site, loaded.parsed, project, cache.reuse))
    env, template_problems = (_received(compiling.result(), project, cache) if compiling is not None
                              else _templates(project, cache))
    problems.extend(template_problems)
    keep_blocks(env, cache.reuse if cache.reuse.remember else None)
    template_key = project.templates_key()
    used, _ = cache.string_keys[template_key]
    present = {p.file.lang for p in loaded.parsed if p.file.kind == "strings" and p.file.lang}
    problems.extend(check_catalogues(loaded.catalogues, config.lang_codes, present, used))
    if all(p.data is not None for p in loaded.parsed if p.file.kind == "strings"):
        problems.extend(undefined_string_keys(used, strings))  # else the broken catalogue is the one problem
    started = cache.time("check", started)
    if any(p.severity == "error" for p in problems):
        return _failed(problems)
    if not live and not cache.reuse.remember:  # a one-off build: what its pages need is in the site
        loaded = replace(loaded, parsed=())  # (the new parses are with the cache's writer)
        cache.let_go_of_parses()
    checked: list[list[Problem]] = []  # serve: the links' problems, found once the pages are written

    def written(so_far: list[Problem]) -> None:  # every page and asset is in place; feeds and boards follow
        links = link_problems(site, loaded.parsed, project, cache.reuse) if live else []
        checked.append(links)
        if shown is not None and not so_far and not any(p.severity == "error" for p in (*problems, *links)):
            shown()  # serve: browsers reload while the rest is made

    if cache.rendering is not None:
        cache.rendering()
    outputs, render_problems = render_site(site, env, project, polish=not check_only, jobs=cache.jobs,
                                           previous=previous, progress=stage_progress(cache, "render"),
                                           names=cache.template_names[template_key],
                                           sink=sink, staging=staging,
                                           descriptions=cache.descriptions, digests=cache.digests, reuse=cache.reuse,
                                           warm=live, shown=written)
    cache.time("render", started)
    if not check_only and live and cache.pruned:  # serve: what the pages rendered now replace is forgotten
        _forget_replaced(cache.descriptions, [o for o in outputs if not o.kept and o.fingerprint], previous)
    elif not check_only:
        _forget_descriptions(cache.descriptions, {o.fingerprint for o in outputs if o.fingerprint})
        cache.pruned = live
    flush(cache.descriptions)  # what the pages rendered now for the feeds is kept, in one file
    # a kept file's path is one the previous output lists, and `kept_fingerprints` lists none that is unsafe
    render_problems.extend(unsafe_destinations([o for o in outputs if not o.kept]))
    problems.extend(render_problems)
    if render_problems:
        return _failed(problems)
    if live:
        problems.extend(checked[0] if checked else link_problems(site, loaded.parsed, project, cache.reuse))
        if any(p.severity == "error" for p in problems):
            return _failed(problems)  # what was written is rendered again next time (`InPlace.abandon`)
    found = cache.reuse.get("problems", tuple(problems), _sorted, problems)  # serve: the same, mostly
    cache.reuse.turn()  # what this build did not use is forgotten (after a failed build, nothing is)
    cache.digests.turn()
    per_lang = Counter(page.lang for page in site.pages)
    html_count = sum(1 for o in outputs if o.dest_path.endswith(".html"))
    return BuildResult(
        outputs=tuple(sorted(outputs, key=attrgetter("dest_path"))),
        problems=found,
        pages_per_lang={lang: per_lang[lang] for lang in config.lang_codes},
        page_count=html_count,
        rendered=sum(1 for o in outputs if o.dest_path.endswith(".html") and not o.kept),
    )


def _minimums(cache: BuildCache) -> Minimums:
    """Return the legal minimum wages, read once per cache."""
    if cache.minimums is None:
        cache.minimums = load_minimums()
    return cache.minimums


def _reserved(project: Project) -> frozenset[str]:
    """Return the ids the project's templates write, which no id in a text may take."""
    return template_ids(t.data.decode("utf-8", "replace") for t in project.templates)


def _strings(loaded: Loaded) -> dict[str, dict[str, str]]:
    """Return the UI strings of every language, typeset."""
    return {lang: {key: typeset_plain(text, lang) for key, text in strings_of(doc).items()}
            for lang, (_, doc) in loaded.catalogues.items()}


def _templates(project: Project, cache: BuildCache) -> tuple[jinja2.Environment, list[Problem]]:
    """Return the Jinja environment of the project's templates, and the templates that do not compile.

    What the templates use (UI string keys, variables) is recorded in the cache first: compiling may
    rewrite the trees it is read from.
    """
    env = _environment(project, cache)
    key = project.templates_key()
    if key not in cache.string_keys or key not in cache.template_names:
        _keep_uses(cache, key, *template_uses(env, project))
    return env, check_templates(env, project)


def _compiling(project: Project, cache: BuildCache) -> Compiling | None:
    """Return the project's templates being compiled by a worker, when they are new to the cache (else None).

    The command line may have started the worker already (`cache.compiling`). The templates are new when
    the cache does not know the UI strings they use: no build compiled them, on disk or in this process.
    Only a process's first build forks one: a later one (`serve`'s, after a template is saved) parses a
    few files at most, so nothing would run beside the worker, and forking a large process costs time.
    """
    key = project.templates_key()
    early, cache.compiling = cache.compiling, None
    if early is not None and early.context[0].templates_key() == key:
        return early
    if early is not None:
        early.stop()  # it compiles other templates (a project read again)
    if cache.environment is not None or key in cache.string_keys or cache.jobs < 2:
        return None
    return compiling(project, lambda: cache.templates)


def _received(compiled: Compiled, project: Project, cache: BuildCache) -> tuple[jinja2.Environment, list[Problem]]:
    """Return the Jinja environment of the project's templates, with the code a worker compiled for them, and
    the templates that do not compile; keep in the cache what they use."""
    codes, string_keys, names, problems = compiled
    env = _environment(project, cache)
    take_compiled(env, codes)
    _keep_uses(cache, project.templates_key(), string_keys, names)
    return env, problems


def _keep_uses(cache: BuildCache, key: tuple[str, ...], string_keys: StringKeys,
               names: dict[str, frozenset[str]]) -> None:
    """Keep in the cache what the templates of `key` use, where it does not know it yet."""
    if key not in cache.string_keys:
        cache.string_keys, cache.changed = {key: string_keys}, True
    if key not in cache.template_names:
        cache.template_names, cache.changed = {key: names}, True


def _environment_key(project: Project) -> tuple[tuple[str, str], ...]:
    """Return what identifies the project's templates: each one's path and digest."""
    return tuple((t.src_path, t.digest) for t in project.templates)


def _environment(project: Project, cache: BuildCache) -> jinja2.Environment:
    """Return the Jinja environment of the project's templates: the last build's while they are the same."""
    key = _environment_key(project)
    if cache.environment is None or cache.environment[0] != key:
        cache.environment = (key, make_environment(project, make_formatters, cache.templates))
    return cache.environment[1]


def _forget_descriptions(descriptions: MutableMapping[str, str], current: set[str]) -> None:
    """Drop the descriptions of pages this build no longer has."""
    for fingerprint in [key for key in descriptions if key not in current]:
        del descriptions[fingerprint]


def _forget_replaced(descriptions: MutableMapping[str, str], rendered: list[OutputFile],
                     previous: Mapping[str, str]) -> None:
    """Drop the descriptions of the pages the `rendered` files replace (their previous fingerprints).

    A page's fingerprint covers the page, so no other page has it (were one shared, its description
    would only be made again). The descriptions of pages removed while serving stay until the next
    `serve` prunes the store.
    """
    now = {file.fingerprint for file in rendered}
    for fingerprint in {previous.get(file.dest_path) for file in rendered} - now:
        if fingerprint and fingerprint in descriptions:
            del descriptions[fingerprint]


def _failed(problems: list[Problem]) -> BuildResult:
    """Return a result with no output and the sorted problems."""
    return BuildResult((), _sorted(problems))


def _sorted(problems: list[Problem]) -> tuple[Problem, ...]:
    """Return problems without repeats, ordered by file and position."""
    return tuple(sorted(set(problems), key=Problem.sort_key))
