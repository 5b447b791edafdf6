"""careers-site's command line: `build` the site, or `serve` it with live reload (`build.py` runs it).

The one module that prints and exits: the pipeline's never do. It lives in the package, not in `build.py`,
because Python keeps the compiled code of a module it imports, never of the script it runs: the 600 lines
compiled again on every command were 8 ms of each, a tenth of a warm build of the real site.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TextIO, cast

if TYPE_CHECKING:
    import argparse
    import datetime as dt
    from collections.abc import Callable, Sequence

    from sitegen.environment import Compiling
    from sitegen.model import BuildResult, Project
    from sitegen.pipeline import BuildCache

DESCRIPTION = "careers-site command line: `build` the site, or `serve` it with live reload."
BUG_HINT = ("this is a bug in careers-site, not in your content: please open an issue in the careers-site "
            "repository with the lines above")


class Adding(Protocol):
    """What a command's arguments are added to: its argparse parser, or `PlainOptions`."""

    def add_argument(self, *names: str, **options: Any) -> Any: ...


def usage_error(message: str) -> Exception:
    """Return the error a value's type raises for argparse to report (argparse imported only then)."""
    import argparse

    return argparse.ArgumentTypeError(message)


def iso_date(text: str) -> str:
    """Return a YYYY-MM-DD date given on the command line, or raise a usage error."""
    import datetime as dt
    import re

    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        dt.date.fromisoformat(text)
    except ValueError:
        raise usage_error(f"'{text}' is not a date in the form YYYY-MM-DD") from None
    return text


def port_number(text: str) -> int:
    """Return a TCP port from 1 to 65535, or raise a usage error."""
    if not (text.isascii() and text.isdigit() and 1 <= int(text[:6]) <= 65535):
        raise usage_error(f"'{text}' is not a port number from 1 to 65535")
    return int(text)


def job_count(text: str) -> int:
    """Return a number of worker processes from 1 to 64, or raise a usage error."""
    if not (text.isascii() and text.isdigit() and 1 <= int(text[:3]) <= 64):
        raise usage_error(f"'{text}' is not a number of workers from 1 to 64")
    return int(text)


def base_url(text: str) -> str:
    """Return a usable base URL, or raise a usage error that says what is wrong with it."""
    from sitegen.config import base_url_problem

    reason = base_url_problem(text)
    if reason:
        raise usage_error(f"'{text}' is not usable: {reason}")
    return text


TODAY_HELP = ("the build date, YYYY-MM-DD, which decides which postings are closed "
              "(default: SOURCE_DATE_EPOCH, else today)")


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the argument parser of the command line: with `command`, that command's arguments only (the
    others are listed, for `--help`, without theirs).

    Building every command's arguments took a build 1.5 ms, before its templates' worker starts (so in
    both processes): `main` builds those of the command it is given (`named_command`), and of the others not
    even a parser (each asks `gettext` for its headings, which looks for catalogues on disk every time): the
    usage line names them all still, as the whole parser's does.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="build.py", description=DESCRIPTION)
    parser.add_argument("--project", default=".", type=Path,
                        help="folder holding content/, templates/ and assets/ (default: .)")
    listed = {} if command is None else {"metavar": "{" + ",".join(COMMAND_ARGUMENTS) + "}"}
    commands = parser.add_subparsers(dest="command", required=True, **listed)
    for name, (summary, add_arguments) in COMMAND_ARGUMENTS.items():
        if command is None or command == name:
            add_arguments(commands.add_parser(name, help=summary))
    return parser


def named_command(argv: Sequence[str]) -> str | None:
    """Return the command `argv` names, if it plainly names one (else None: every command's parser is built, and
    argparse says what is wrong)."""
    tokens = iter(argv)
    for token in tokens:
        if token == "--project":
            next(tokens, None)
        elif token in COMMAND_ARGUMENTS:
            return token
        elif not token.startswith("--project="):
            return None  # --help, a mistake: argparse's to answer
    return None


class PlainOptions:
    """A command's options as its `add_argument` calls ask for them, when each is a plain one (`--name`, given a
    value, or `store_true`): by option, its attribute's name and what it was given (type, default, action)."""

    def __init__(self) -> None:
        self.options: dict[str, tuple[str, dict[str, Any]]] = {}
        self.plain = True  # False once a positional, a short option or another kind of option is asked for

    def add_argument(self, *names: str, **options: Any) -> None:
        if (len(names) != 1 or not names[0].startswith("--") or set(options) - {"type", "default", "help", "action"}
                or options.get("action", "store_true") != "store_true"):
            self.plain = False
        else:
            self.options[names[0]] = (names[0][2:].replace("-", "_"), options)


def plain_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """Return what argparse reads in a plain command line, without argparse; None for any other (argparse reads it,
    and says what is wrong, or prints the help).

    Plain: `--project PATH` (or `--project=PATH`) first, if at all, then a command whose options are all plain
    (`PlainOptions`: `build`, `check`, `serve`), then its options, each written whole (`--out x`, `--out=x`,
    `--strict`), no value starting with '-', and every value its type takes. Importing argparse and building the
    parser were some 17M instructions before the templates' worker starts, in both processes. The arguments
    are a `SimpleNamespace` with the attributes argparse's `Namespace` would have (a test holds the two to the
    same, on command lines made at random).
    """
    from types import SimpleNamespace

    tokens = list(argv)
    project = "."
    while tokens and tokens[0].partition("=")[0] == "--project":
        _, equals, value = tokens[0].partition("=")
        if not equals:
            if len(tokens) < 2 or tokens[1].startswith("-"):
                return None
            value, tokens = tokens[1], tokens[1:]
        project, tokens = value, tokens[1:]
    if not tokens or tokens[0] not in COMMAND_ARGUMENTS:
        return None
    command, rest = tokens[0], tokens[1:]
    known = PlainOptions()
    COMMAND_ARGUMENTS[command][1](known)
    if not known.plain:
        return None
    given: dict[str, Any] = {}
    while rest:
        name, equals, value = rest[0].partition("=")
        if name not in known.options:
            return None
        dest, options = known.options[name]
        if options.get("action") == "store_true":
            if equals:
                return None
            given[dest], rest = True, rest[1:]
            continue
        if not equals:
            if len(rest) < 2 or rest[1].startswith("-"):
                return None
            value, rest = rest[1], rest[1:]
        rest = rest[1:]
        try:  # (each value given, as argparse does, though the last is the one kept)
            given[dest] = options["type"](value) if "type" in options else value
        except Exception:  # a value its type refuses: argparse says so (or fails as it would have)
            return None
    values: dict[str, Any] = {"project": Path(project), "command": command}
    for dest, options in known.options.values():
        default = options.get("default", False if options.get("action") == "store_true" else None)
        values[dest] = given[dest] if dest in given else (
            options["type"](default) if "type" in options and isinstance(default, str) else default)
    return cast("argparse.Namespace", SimpleNamespace(**values))


def _build_arguments(build: Adding) -> None:
    build.add_argument("--out", default="dist", type=Path, help="output folder (default: dist)")
    build.add_argument("--base-url", type=base_url, help="absolute URL the site is served from (overrides _site.yaml)")
    build.add_argument("--strict", action="store_true", help="treat warnings (e.g. missing translations) as errors")
    build.add_argument("--preview", action="store_true",
                       help="a copy for review: noindex everywhere, a banner, no JSON-LD, sitemap or feeds")
    build.add_argument("--today", type=iso_date, help=TODAY_HELP)
    build.add_argument("--verbose", action="store_true", help="list every notice instead of one line per kind")
    build.add_argument("--profile", action="store_true", help="print the time each stage took")
    build.add_argument("--jobs", type=job_count, help="worker processes (default: one per core; same output)")
    build.add_argument("--no-cache", action="store_true",
                       help="do not read or write the build cache in the user's cache folder")


def _serve_arguments(serve: Adding) -> None:
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", default=8000, type=port_number, help="port to listen on (default: 8000)")
    serve.add_argument("--out", type=Path, help="output folder (default: a temporary folder)")
    serve.add_argument("--today", type=iso_date, help=TODAY_HELP)


def _check_arguments(check: Adding) -> None:
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--today", type=iso_date, help=TODAY_HELP)
    check.add_argument("--verbose", action="store_true", help="list every notice instead of one line per kind")
    check.add_argument("--jobs", type=job_count, help="worker processes (default: one per core; same problems)")


def _diff_arguments(diff: Adding) -> None:
    diff.add_argument("old", type=Path, help="the folder of the earlier build (e.g. the base branch's)")
    diff.add_argument("new", type=Path, help="the folder of the later build")
    diff.add_argument("--old-problems", type=Path, help="what the earlier build printed (its stderr)")
    diff.add_argument("--new-problems", type=Path, help="what the later build printed, to list new warnings")


def _notify_arguments(notify: Adding) -> None:
    notify.add_argument("site", type=Path, help="the folder just built and deployed (not a preview)")
    notify.add_argument("--previous", type=Path, help="the jobs.json published before this deploy, if any")
    notify.add_argument("--endpoint", default=None, help="the API's address (a local fake in tests)")


def _new_arguments(new: Adding) -> None:
    new.add_argument("kind", choices=["posting", "person"])
    new.add_argument("name", help="the posting's slug (e.g. data-intern) or the person's name")


def _translations_arguments(translations: Adding) -> None:
    translations.add_argument("--strict", action="store_true",
                              help="exit 1 unless every text and string is present and up to date")
    translations.add_argument("--mark-synced", nargs="+", metavar="PATH",
                              help="record that these translations match their current source")


# each command: what `--help` says of it, and what adds its arguments (in the order `--help` lists them)
COMMAND_ARGUMENTS: dict[str, tuple[str, Callable[[Adding], None]]] = {
    "build": ("build the site into an output folder", _build_arguments),
    "serve": ("build, serve, rebuild on change and reload the browser", _serve_arguments),
    "check": ("validate everything without writing output", _check_arguments),
    "diff": ("summarise what changed between two built sites (Markdown)", _diff_arguments),
    "notify-google": ("after a deploy, tell Google's Indexing API about new and removed postings", _notify_arguments),
    "new": ("create the files of a new posting or person in every language", _new_arguments),
    "translations": ("show the translation status of every text and string", _translations_arguments),
}


def print_problems(result: BuildResult, stream: TextIO, verbose: bool = False) -> None:
    """Print errors and warnings one a line; notices too, but one line per kind when a kind repeats."""
    from sitegen.problemlines import problem_lines

    for line in problem_lines(result.problems, verbose):
        print(line, file=stream)


def counts(result: BuildResult) -> str:
    """Return ', 2 warnings, 5 notices' for the problems that did not fail the build ('' when none)."""
    parts = []
    for severity in ("warning", "notice"):
        count = sum(1 for p in result.problems if p.severity == severity)
        if count:
            parts.append(f"{count} {severity}{'s' * (count != 1)}")
    return "".join(f", {part}" for part in parts)


def summary(result: BuildResult, seconds: float, out: str) -> str:
    """Return the closing line: 'built 12 pages (en 5, fr 5) in 0.12 s, 1 notice -> dist/'."""
    langs = ", ".join(f"{lang} {count}" for lang, count in result.pages_per_lang.items())
    return f"built {result.page_count} pages ({langs}) in {seconds:.2f} s{counts(result)} -> {out.rstrip('/')}/"


def _build_date(args: argparse.Namespace) -> dt.date:
    """Return the date a build is for (`--today`, else SOURCE_DATE_EPOCH, else today): `datetime` is imported only
    once the templates' worker has started, which does without it."""
    from sitegen.clock import build_date

    return build_date(args.today)


def run_build(args: argparse.Namespace) -> int:
    """Build once; return 0 on success and 1 on content problems."""
    from sitegen.sources import read_project

    started = time.perf_counter()
    out = args.out if args.out.is_absolute() else args.project / args.out
    # read once: for the record, then for the build, which reads content files' bytes again as it parses them
    project = read_project(args.project, keep_content=False)
    read = time.perf_counter() - started
    if recorded(args, out) and (same := nothing_to_do(args, out, _build_date(args), project)) is not None:
        print_problems(same, sys.stderr, args.verbose)  # a successful build's record: never errors
        print(summary(same, time.perf_counter() - started, str(args.out)))
        return 0
    from sitegen.parallel import default_jobs

    jobs = args.jobs or default_jobs()
    compiling = templates_compiling(args, project) if jobs > 1 else None  # while the build's modules are imported
    from sitegen.pipeline import BuildCache, build
    from sitegen.reuse import Reuse
    from sitegen.signed import Discarded

    cache = (disk_cache(args.project, "preview" if args.preview else "build") if not args.no_cache
             else BuildCache(descriptions=Discarded()))  # (no next build to keep postings' descriptions for)
    cache.jobs, cache.compiling = jobs, compiling
    cache.rendering = started_up  # (the collector stays off while the site is made: see `start_up`)
    cache.reuse = Reuse(remember=False)  # one build: nothing to keep for a next one (serve keeps it)
    bars = ProgressBars() if sys.stderr.isatty() and not os.environ.get("CI") else None
    cache.progress = bars.update if bars is not None else None
    saving: list[Callable[[], None]] = []  # what waits for the new parses to be written (while the site is made)
    if not args.no_cache:
        cache.parsed_done = lambda: saving.append(parses_saved_aside(cache, project, jobs > 1))
    try:
        result = build(args.project, out, args.base_url, cache, strict=args.strict, today=_build_date(args),
                       preview=args.preview, project=project)
    finally:
        for written in saving:
            written()
        if bars is not None:
            bars.close()
        if compiling is not None:
            compiling.stop()  # (the build took its result, unless it stopped before)
    if not args.no_cache:  # what is left: what the templates use, parses made later (none, today)
        save_cache(args.project, cache, prune=not saving)  # (the parses' writer pruned the files gone)
    print_problems(result, sys.stderr, args.verbose)
    if args.profile:
        stages = ", ".join(f"{stage} {read if stage == 'read' else seconds:.2f} s" for stage, seconds in cache.timings)
        print(f"profile: {stages} ({cache.jobs} worker{'s' * (cache.jobs != 1)})", file=sys.stderr)
    if not result.ok:
        count = len(result.errors)
        print(f"build failed: {count} problem{'s' * (count != 1)}; nothing was written", file=sys.stderr)
        return 1
    print(summary(result, time.perf_counter() - started, str(args.out)))
    return 0


def recorded(args: argparse.Namespace, out: Path) -> bool:
    """Return whether the cache has a record of a build into `out`, which this build may be the same as.

    A cold build has none: it goes on at once (the templates' worker starts sooner), without computing the
    build's digest or importing what compares it.
    """
    from sitegen.cache import cache_folder
    from sitegen.record import record_path

    return not args.no_cache and record_path(cache_folder(args.project), out).is_file()


def nothing_to_do(args: argparse.Namespace, out: Path, today: dt.date, project: Project) -> BuildResult | None:
    """Return the last build's result when this build would write exactly what `out` holds, else None.

    Tried before the build's own modules (Jinja, Markdown, the checks) are imported: with nothing
    changed, a build reads the project, compares its record and stops.
    """
    from sitegen.cache import cache_folder, private_folder, stamp
    from sitegen.record import Recorder, build_options, replay_build
    from sitegen.write import unsafe_output

    folder = cache_folder(args.project)
    if unsafe_output(out, args.project) or not private_folder(folder, create=True):
        return None  # the build says why an output is unsafe
    return replay_build(project, out, Recorder(folder, stamp()), args.base_url, today,
                        build_options(args.strict, args.preview, False))[1]


def templates_compiling(args: argparse.Namespace, project: Project) -> Compiling | None:
    """Return the project's templates being compiled by a forked worker, when no build compiled them yet.

    Forked before the build imports its own modules (Markdown, YAML, Babel, the checks): it compiles
    while they are imported and the content is parsed. None when the cache has them: a warm build
    loads them in a moment.

    Jinja and the template modules, which both processes need, are imported first, once: the worker has
    them as it starts (importing them in each was some 35 ms of processor time more, and no sooner done).
    So is the digest of the generator's code, which names the folders of the cache both open (3 to 7 ms),
    when the cache holds compiled templates: on a project's first build, the worker opens the cache only
    once it has sent the templates, to write them, and each process makes the digest when it needs it.
    """
    from sitegen.cache import cache_folder, kept_any, load_saved, stamp

    folder = None if args.no_cache else cache_folder(args.project)
    if folder is not None and project.templates_key() in load_saved(folder).string_keys:
        return None
    from sitegen import environment, signed  # (for both processes, see above)

    if folder is None:
        return environment.compiling(project, _no_cache)
    load = kept_any(folder, "templates")
    if load:
        stamp()
    return environment.compiling(project, partial(signed.template_cache, folder), load)


def _no_cache() -> None:
    """Open no cache of compiled templates (`--no-cache`, `check`)."""
    return None


class ProgressBars:
    """Progress bars on the terminal, one per stage, shown only when a stage takes more than a second."""

    def __init__(self, stream: TextIO = sys.stderr, delay: float = 1.0) -> None:
        self.bars: dict[str, Any] = {}
        self.stream, self.delay = stream, delay

    def update(self, stage: str, done: int, total: int) -> None:
        """Show that `done` of `total` items of `stage` are finished."""
        from tqdm import tqdm

        if stage not in self.bars:
            self.bars[stage] = tqdm(total=total, desc=stage, unit=" files" if stage == "parse" else " pages",
                                    delay=self.delay, file=self.stream, leave=False)
        bar = self.bars[stage]
        bar.update(done - bar.n)

    def close(self) -> None:
        """Remove the bars from the terminal."""
        for bar in self.bars.values():
            bar.close()


def disk_cache(project: Path, kind: str = "build") -> BuildCache:
    """Return a build cache backed by the user's cache folder for this project, for a kind of build."""
    from sitegen.cache import cache_folder, load_saved, private_folder, stamp
    from sitegen.parsestore import ParseStore
    from sitegen.pipeline import BuildCache
    from sitegen.record import Recorder
    from sitegen.signed import description_store, template_cache

    folder = cache_folder(project)
    saved = load_saved(folder)
    recorder = Recorder(folder, stamp()) if private_folder(folder, create=True) else None
    return BuildCache(parsed=ParseStore(folder), string_keys=saved.string_keys, template_names=saved.template_names,
                      templates=template_cache(folder), recorder=recorder,
                      descriptions=description_store(folder, kind, remember=kind == "serve"))


def save_cache(project: Path, cache: BuildCache, prune: bool = True) -> None:
    """Save the parses the build made and what its templates use, for the next build."""
    cache_saver(project, cache, prune)()


def started_thread(work: Callable[[], None], name: str) -> threading.Thread:
    """Return a thread that runs `work`, started."""
    thread = threading.Thread(target=work, name=name)
    thread.start()
    return thread


def parses_saved_aside(cache: BuildCache, project: Project, fork: bool) -> Callable[[], None]:
    """Start writing the parses made so far to the disk cache beside the build, and removing those of files the
    project no longer has (the parse stage is over: they are written while the site is made); return what
    waits for the end.

    Many are written by a forked process (when the build may `fork` workers), on the core the build's workers
    leave idle while it assembles the site: on a thread, their JSON would hold the interpreter's lock half the
    time (10,000 postings' parses took 3 s there, and slowed the assembly as much, against 1.1 s in a process
    of their own). That process lists them and the project's files itself: the build's process only forgets
    which parses are new (the lists were 4 MB of it at N=5000), and holds nothing of the work. A few are
    written on a thread, which costs no fork; so are many with one worker, or where no process can be forked.
    """
    from sitegen.parsestore import ParseStore

    store = cache.parsed
    if not isinstance(store, ParseStore):
        return lambda: None

    def current() -> set[tuple[str, str]]:
        return {(source.src_path, source.digest) for source in project.content}

    if fork and store.new_count() >= ASIDE:
        from sitegen.parallel import forked

        if (wait := forked(lambda: store.write(store.take(current())))) is not None:
            store.taken()  # (in this process: the forked one has them)
            return wait  # (else no process can be forked here: the thread)
    pending = store.take(current())
    return started_thread(lambda: store.write(pending), "careers-site-cache").join


ASIDE = 200  # cache entries from which they are written by a process of their own


def cache_saver(project: Path, cache: BuildCache, prune: bool = True) -> Callable[[], None]:
    """Return a function that saves what `save_cache` would save now, even while later builds run."""
    from sitegen.cache import Saved, cache_folder, save_saved
    from sitegen.parsestore import ParseStore

    store = cache.parsed if isinstance(cache.parsed, ParseStore) else None
    pending = store.take(cache.current if prune else None) if store is not None else None
    saved = Saved(dict(cache.string_keys), dict(cache.template_names)) if cache.changed else None
    cache.changed = False

    def save() -> None:
        if store is not None and pending is not None:
            store.write(pending)
        if saved is not None:
            save_saved(cache_folder(project), saved)

    return save


def run_serve(args: argparse.Namespace) -> int:
    """Serve with live reload until interrupted."""
    from concurrent.futures import ThreadPoolExecutor

    from sitegen.cache import cache_folder, private_folder
    from sitegen.parallel import default_jobs
    from sitegen.serve import preview_url, serve

    started_up()
    cache = disk_cache(args.project, "serve")
    cache.jobs = default_jobs()
    saved: list[bool] = []
    # The cache is written on a thread of its own, in order, so that a save never waits for it: after a
    # start on a cold cache, the first build's parses are thousands of files.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="careers-site-cache")

    def report(result: BuildResult, seconds: float) -> None:
        print_problems(result, sys.stderr)
        if result.ok:
            print(summary(result, seconds, "preview"), flush=True)
        else:
            print("build failed; the preview shows the problems until they are fixed", file=sys.stderr, flush=True)
        writer.submit(cache_saver(args.project, cache, prune=not saved))  # new parses, for the next serve or build
        saved.append(True)

    def started() -> None:
        print(f"serving on {preview_url(args.host, args.port)} (Ctrl+C to stop)", flush=True)

    out = args.out
    if out is None and private_folder(cache_folder(args.project), create=True):
        out = cache_folder(args.project) / "preview"
    try:
        serve(args.project, args.host, args.port, out, report, args.today, started, cache)
    finally:
        writer.shutdown(wait=True)  # what the builds made is saved before the process ends
    return 0


def run_translations(args: argparse.Namespace) -> int:
    """Print the translation table, or mark translations as synced; 1 on problems."""
    from sitegen.pipeline import BuildCache
    from sitegen.report import format_report, plan_mark_synced, translation_report
    from sitegen.sources import read_project

    started_up()
    project = read_project(args.project)
    if args.mark_synced:
        paths = [_project_path(args.project, p) for p in args.mark_synced]
        edits, problems = plan_mark_synced(project, BuildCache(), paths)
        for problem in problems:
            print(problem, file=sys.stderr)
        for path, text in edits:
            (args.project / path).write_text(text, encoding="utf-8")
            print(f"marked {path} as synced with its source")
        return 1 if problems else 0
    report = translation_report(project, BuildCache())
    if isinstance(report, list):
        for problem in report:
            print(problem, file=sys.stderr)
        return 1
    print(format_report(report))
    return 1 if args.strict and not report.complete else 0


def _project_path(project: Path, given: str) -> str:
    """Return a path relative to the project, as problems name files."""
    path = Path(given)
    if path.is_absolute() or (Path.cwd() / path).exists():
        try:
            return (Path.cwd() / path).resolve().relative_to(project.resolve()).as_posix()
        except ValueError:
            return given
    return path.as_posix()


def run_check(args: argparse.Namespace) -> int:
    """Validate content, schemas, links, templates and translations; write nothing."""
    from sitegen.clock import build_date
    from sitegen.parallel import default_jobs
    from sitegen.sources import read_project

    started = time.perf_counter()
    project = read_project(args.project)
    jobs = args.jobs or default_jobs()
    # the templates compile in a worker while the checks' modules are imported and the content parsed (Jinja
    # and the template modules imported first, once, as for a build)
    from sitegen import environment

    compiling = environment.compiling(project, _no_cache) if jobs > 1 else None
    from sitegen.pipeline import BuildCache, compile_site

    started_up()
    try:
        result = compile_site(project, None, BuildCache(jobs=jobs, compiling=compiling), args.strict,
                              check_only=True, today=build_date(args.today))
    finally:
        if compiling is not None:
            compiling.stop()
    print_problems(result, sys.stderr, args.verbose)
    if not result.ok:
        count = len(result.errors)
        print(f"check failed: {count} problem{'s' * (count != 1)}", file=sys.stderr)
        return 1
    langs = ", ".join(f"{lang} {count}" for lang, count in result.pages_per_lang.items())
    seconds = time.perf_counter() - started
    print(f"checked {result.page_count} pages ({langs}) in {seconds:.2f} s: no errors{counts(result)}")
    return 0


def run_new(args: argparse.Namespace) -> int:
    """Write the scaffold of a new posting or person; refuse to overwrite anything."""
    from sitegen.loading import BuildCache, Loaded, load_content
    from sitegen.pipeline import build_date
    from sitegen.scaffold import person_files, posting_files
    from sitegen.sources import read_project

    started_up()
    loaded = load_content(read_project(args.project), None, BuildCache())
    if not isinstance(loaded, Loaded):
        for problem in loaded:
            print(problem, file=sys.stderr)
        return 1
    today = build_date()
    planned = posting_files(loaded.config, args.name, today) if args.kind == "posting" \
        else person_files(loaded.config, args.name)
    if not isinstance(planned, list):
        print(planned, file=sys.stderr)
        return 2
    missing = [(path, text) for path, text in planned if not (args.project / path).exists()]
    if not missing:
        print(f"{planned[0][0]}: already exists, in every language (choose another name; nothing was written)",
              file=sys.stderr)
        return 1
    for path, _ in planned:
        if (path, _) not in missing:
            print(f"kept {path} (it exists)")
    for path, text in missing:
        (args.project / path).parent.mkdir(parents=True, exist_ok=True)
        (args.project / path).write_text(text, encoding="utf-8")
        print(f"created {path}")
    print("replace every TODO, then run: python3 build.py check")
    return 0


def environment_error(exc: OSError) -> str:
    """Return one line for a failure of the file system or the network: what failed and where."""
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where} (the previous output, if any, is unchanged)"


def run_diff(args: argparse.Namespace) -> int:
    """Print the Markdown summary of what changed from one built site to another."""
    from sitegen.diff import compare, read_built

    started_up()
    for folder in (args.old, args.new):
        if not folder.is_dir():
            print(f"error: {folder} is not a folder (give two built sites)", file=sys.stderr)
            return 2
    languages = {p.name for p in (*args.old.iterdir(), *args.new.iterdir()) if p.is_dir() and len(p.name) <= 8
                 and (p / "index.html").is_file()}
    problems = [path.read_text("utf-8").splitlines() if path and path.is_file() else None
                for path in (args.old_problems, args.new_problems)]
    print(compare(read_built(args.old), read_built(args.new), languages, *problems), end="")
    return 0


def run_notify_google(args: argparse.Namespace) -> int:
    """Send URL_UPDATED / URL_DELETED for postings that appeared or went away; off unless a token is set."""
    import os

    from sitegen.indexing import ENDPOINT, TOKEN_VARIABLE, notifications, publish, read_previous

    current = args.site / "jobs.json"
    if not current.is_file():
        print(f"error: {current} does not exist: only a production build is announced, never a preview",
              file=sys.stderr)
        return 1
    items = notifications(read_previous(args.previous), current.read_text("utf-8"))
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        print(f"Indexing API not configured ({TOKEN_VARIABLE} is not set): {len(items)} change(s) not sent")
        return 0
    lines = publish(items, token, args.endpoint or ENDPOINT)
    for line in lines:
        print(line, file=sys.stderr if line.startswith("error:") else sys.stdout)
    print(f"sent {sum(not line.startswith('error:') for line in lines)} of {len(items)} notification(s)")
    return 1 if any(line.startswith("error:") for line in lines) else 0


COMMANDS = {"build": run_build, "serve": run_serve, "check": run_check, "new": run_new, "diff": run_diff,
            "translations": run_translations, "notify-google": run_notify_google}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 content or environment problems, 2 usage)."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    given = sys.argv[1:] if argv is None else argv
    args = plain_arguments(given) or make_parser(named_command(given)).parse_args(given)
    from sitegen.model import SetupError

    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {environment_error(exc)}", file=sys.stderr)
        return 1
    except Exception:
        import traceback  # (only for a bug)

        traceback.print_exc()
        print(f"internal error: {BUG_HINT}", file=sys.stderr)
        return 3


def leave(code: int) -> NoReturn:
    """Exit with `code` once the output is flushed, without the interpreter's teardown.

    The teardown frees every object and module one by one: a tenth of a small site's build, for a
    process whose files are all closed by then. Under a profiler or a tracer (cProfile, coverage),
    which write their reports at exit, the process exits as usual.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            stream.flush()
    if sys.getprofile() is None and sys.gettrace() is None:
        os._exit(code)
    sys.exit(code)


def start_up() -> None:
    """Keep the cycle collector off while the process starts: `started_up` turns it on again.

    Importing the generator and its libraries makes some 100,000 objects that live as long as the
    process (modules, classes, functions, compiled patterns), and nothing to collect: the collections
    they set off walked them again and again, a twentieth of the real site's cold build. A one-off build
    keeps it off until its pages render (`BuildCache.rendering`): receiving the parses and assembling the
    site make what lives until the end too, and hardly a cycle (at N=5000, 832 collections found 18
    objects to free, and took 0.39 s of the build's process, 0.29 s of it in five full ones). Its workers
    that parse or render collect their own (`parallel.iter_chunks`).
    """
    gc.disable()


def started_up() -> None:
    """Set aside for good what start-up made (`gc.freeze`: no collection walks it again) and turn the cycle
    collector on again, for what the command makes from now on (Jinja's macros make cycles on every page).

    Nothing is done unless `start_up` turned the collector off: `main` called in a process of its own
    (tests, a script) leaves the process's collector as it is.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
