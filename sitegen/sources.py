"""Load stage: the input files, read once in sorted order, confined to the project; what each content file is."""

from __future__ import annotations

import bisect
import errno
import functools
import hashlib
import io
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from .model import Problem, Project, Source
from .records import record
from .slugs import MAX_SLUG, is_slug, slugify

COLLECTIONS = ("pages", "jobs", "people", "process")
FACTS_COLLECTIONS = ("jobs", "people", "process")
SITE_FILE = "content/_site.yaml"

ASSET_NAME = re.compile(r"^assets(?:/[A-Za-z0-9_()-][A-Za-z0-9._()-]*)+$")

Kind = Literal["site", "strings", "facts", "text"]


@record
class ContentFile:
    """A content file's role: site config, string catalogue, facts (YAML) or text (Markdown)."""

    src_path: str
    kind: Kind
    collection: str = ""
    stem: str = ""
    lang: str | None = None

    @property
    def key(self) -> str:
        """Return the translation key: the path below `content/` without language or suffix."""
        return f"{self.collection}/{self.stem}"


def read_project(root: Path, keep_content: bool = True) -> Project:
    """Return every file below content/, templates/ and assets/, sorted by path.

    Without `keep_content` (a one-off build), content files but `_site.yaml` are hashed and their bytes
    let go: the parse reads each again (`Source.read`), so that a big site is not in memory twice.
    """
    trees = {folder: _read_tree(root, folder, keep_content or folder != "content") for folder in FOLDERS}
    assets = tuple(a for a in trees["assets"][0] if ASSET_NAME.match(a.src_path))
    named = [Problem(a.src_path, None, "asset name has characters that addresses must escape",
                     "rename it with letters, digits, '.', '-', '_' and parentheses only")
             for a in trees["assets"][0] if not ASSET_NAME.match(a.src_path)]
    return Project(
        content=trees["content"][0],
        templates=trees["templates"][0],
        assets=assets,
        problems=(*(p for _, problems in trees.values() for p in problems), *named),
    )


FOLDERS = ("content", "templates", "assets")


def refresh_project(root: Path, project: Project, changed: Iterable[str]) -> Project:
    """Return `project` with the files at `changed` (paths below `root`) read again, added or removed.

    Only plain files are refreshed one by one: a folder, a link, an oddly named asset, or a project that
    had problems when read means reading the whole project again, which finds the same problems.
    """
    if project.problems:
        return read_project(root)
    folders = dict(zip(FOLDERS, (project.content, project.templates, project.assets), strict=True))
    trees: dict[str, dict[str, Source]] | None = None  # each folder's files by path, once a file came or went
    for path in changed:
        try:
            rel = Path(path).absolute().relative_to(root.absolute()).as_posix()
        except ValueError:
            continue
        parts = rel.split("/")
        if parts[0] not in FOLDERS or any(_ignored_name(part) for part in parts[1:]):
            continue
        full = root / rel
        if len(parts) == 1 or any((root / "/".join(parts[:i])).is_symlink() for i in range(1, len(parts) + 1)):
            return read_project(root)
        if full.is_dir() or (parts[0] == "assets" and not ASSET_NAME.match(rel)):
            return read_project(root)
        sources: list[Source] = []
        problems: list[Problem] = []
        if full.is_file():
            _add(rel, full, sources, problems, True, "")  # (serve: the bytes are kept)
        elif full.exists():
            return read_project(root)
        if problems:
            return read_project(root)
        if trees is None and len(sources) == 1 and (saved := _replaced(folders[parts[0]], sources[0])) is not None:
            folders[parts[0]] = saved  # a save: the file is where it was
            continue
        if trees is None:
            trees = {folder: {s.src_path: s for s in files} for folder, files in folders.items()}
        trees[parts[0]].pop(rel, None)
        trees[parts[0]].update((s.src_path, s) for s in sources)
    if trees is not None:
        folders = {folder: _in_order(trees[folder], old) for folder, old in folders.items()}
    return Project(folders["content"], folders["templates"], folders["assets"])


def _replaced(sources: tuple[Source, ...], source: Source) -> tuple[Source, ...] | None:
    """Return a folder's sources with `source` in the place of the one at its path; None if none has its path.

    Found by bisection, the sources being in path order: a save of one file among 15,000 costs no pass over
    them (four passes were 5 ms of a save, before its browsers reload).
    """
    at = bisect.bisect_left(sources, _path_order(source.src_path), key=lambda old: _path_order(old.src_path))
    if at == len(sources) or sources[at].src_path != source.src_path:
        return None
    return (*sources[:at], source, *sources[at + 1:])


def _path_order(path: str) -> list[str]:
    """Return what sorts paths as the project is read: folder by folder, each folder's names in order."""
    return path.split("/")


def _in_order(tree: dict[str, Source], old: tuple[Source, ...]) -> tuple[Source, ...]:
    """Return a folder's sources in path order (the old order when no file came or went: a save)."""
    paths = [s.src_path for s in old]
    if len(paths) != len(tree) or not all(map(tree.__contains__, paths)):
        paths = sorted(tree, key=_path_order)
    return tuple(map(tree.__getitem__, paths))


def _read_tree(root: Path, folder: str, keep: bool = True) -> tuple[tuple[Source, ...], list[Problem]]:
    """Return the files of one folder as sources, skipping hidden and editor backup files.

    Every entry is resolved, the folder itself included: anything that leads outside the project is
    refused, and so are links to folders, loops and files that are not regular files.
    """
    inside = root.resolve()
    base = root / folder
    if base.is_symlink():
        target, problem = _link_target(base, folder + "/", inside)
        if problem is not None:
            return (), [problem]
        if target is None or not target.is_dir():
            return (), [Problem(folder + "/", None, "is a symbolic link to something that is not a folder",
                                "make it a folder of the project")]
    if not base.is_dir():
        return (), []
    sources: list[Source] = []
    problems: list[Problem] = []
    _walk(root, base, inside, sources, problems, keep, f"{root.absolute()}{os.sep}")
    return tuple(sources), problems


def _walk(root: Path, folder: Path, inside: Path, sources: list[Source], problems: list[Problem],
          keep: bool, at: str) -> None:
    """Add the readable files below `folder` to `sources`, in sorted order, and the problems met.

    Paths stay strings until a symbolic link needs resolving: a big site has tens of thousands of files.
    `at` is the project's folder, absolute and ending with a separator: where a file's path leads from.
    """
    prefix = folder.relative_to(root).as_posix() + "/"
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda entry: entry.name)
    except OSError as exc:
        problems.append(Problem(prefix, None, f"cannot read the folder: {exc.strerror}", "check its permissions"))
        return
    for entry in entries:
        rel = prefix + entry.name
        if _ignored_name(entry.name):
            continue
        if entry.is_symlink():
            path = Path(entry.path)
            target, problem = _link_target(path, rel, inside)
            if problem is not None:
                problems.append(problem)
            elif target is not None and target.is_dir():
                problems.append(Problem(rel, None, "symbolic links to folders are not followed",
                                        "move the folder here instead"))
            elif target is not None and not target.is_file():
                problems.append(Problem(rel, None, "not a regular file (a pipe, socket or device)", "remove it"))
            elif target is not None:
                _add(rel, target, sources, problems, keep, str(target))
        elif entry.is_dir(follow_symlinks=False):
            _walk(root, Path(entry.path), inside, sources, problems, keep, at)
        elif entry.is_file(follow_symlinks=False):
            _add(rel, entry.path, sources, problems, keep, at)
        else:
            problems.append(Problem(rel, None, "not a regular file (a pipe, socket or device)", "remove it"))


def _link_target(link: Path, rel: str, inside: Path) -> tuple[Path | None, Problem | None]:
    """Return where a symbolic link leads, or the problem when it is broken, loops or leaves the project."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:
        return None, Problem(rel, None, "symbolic link loop", "remove the link, or point it at a file")
    except OSError as exc:
        looped = exc.errno == errno.ELOOP
        return None, Problem(rel, None, "symbolic link loop" if looped else "broken symbolic link",
                             "remove the link, or point it at a file")
    if target != inside and inside not in target.parents:
        return None, Problem(rel, None, "symbolic link points outside the project",
                             "copy what it points to into the project instead")
    return target, None


def _add(rel: str, target: Path | str, sources: list[Source], problems: list[Problem], keep: bool,
         origin: str) -> None:
    """Read one regular file into `sources` (without `keep`, only its digest and `origin`, where it is read
    again: see `Source`), or record why it cannot be read."""
    try:
        with io.FileIO(target) as handle:  # scandir, or the link's check, found a regular file
            data = handle.readall()
    except OSError as exc:
        problems.append(Problem(rel, None, f"cannot read the file: {exc.strerror}", "check its permissions"))
        return
    if keep or rel == SITE_FILE:
        sources.append(Source(rel, data, hashlib.sha256(data).hexdigest()))
    else:
        sources.append(Source(rel, b"", hashlib.sha256(data).hexdigest(), origin))


def _ignored_name(name: str) -> bool:
    """Return True for dot files, dot folders and editor leftovers."""
    return name.startswith(".") or name.endswith(("~", ".swp"))


@functools.lru_cache(maxsize=1 << 16)  # serve classifies every file again after each save
def classify(src_path: str, langs: tuple[str, ...]) -> ContentFile | Problem:
    """Return what a content file is, or a problem naming what is wrong with its name."""
    parts = src_path.split("/")[1:]
    name = parts[-1]
    if parts == ["_site.yaml"]:
        return ContentFile(src_path, "site")
    if len(parts) == 1 and name.startswith("_strings.") and name.endswith(".yaml"):
        lang = name[len("_strings."):-len(".yaml")]
        if lang in langs:
            return ContentFile(src_path, "strings", lang=lang)
        return _bad_lang(src_path, lang, langs)
    if len(parts) != 2 or parts[0] not in COLLECTIONS:
        hint = "put pages in content/pages/, postings in content/jobs/, people in content/people/, " \
               "hiring steps in content/process/"
        return Problem(src_path, None, "file is outside the content folders", hint)
    collection = sys.intern(parts[0])  # (one object for the thousands of files of a collection, or a language)
    if name.endswith(".yaml") and collection in FACTS_COLLECTIONS and name.count(".") == 1:
        return _checked_stem(ContentFile(src_path, "facts", collection, name[: -len(".yaml")]))
    if name.endswith(".md"):
        pieces = name[: -len(".md")].split(".")
        if len(pieces) == 2 and pieces[1] in langs:
            return _checked_stem(ContentFile(src_path, "text", collection, pieces[0], sys.intern(pieces[1])))
        if len(pieces) == 2:
            return _bad_lang(src_path, pieces[1], langs)
        hint = f"name it {pieces[0]}.<language>.md, e.g. {pieces[0]}.{langs[0]}.md"
        return Problem(src_path, None, "file name does not say its language", hint)
    hint = "content files are <name>.<language>.md texts or <name>.yaml facts"
    return Problem(src_path, None, f"unexpected file '{name}'", hint)


def _checked_stem(file: ContentFile) -> ContentFile | Problem:
    """Return the file, or a problem when its name is not a slug (it makes URLs and references)."""
    if is_slug(file.stem):
        return file
    folded = slugify(file.stem)
    rest = file.src_path.rsplit("/", 1)[1][len(file.stem):]
    if len(file.stem) > MAX_SLUG:
        return Problem(file.src_path, None, f"file name is longer than {MAX_SLUG} characters",
                       f"rename it {folded}{rest}")
    hint = f"rename it {folded}{rest}" if folded else "use lowercase letters, digits and hyphens"
    return Problem(file.src_path, None, f"file name '{file.stem}' is not a slug", hint)


def _bad_lang(src_path: str, lang: str, langs: tuple[str, ...]) -> Problem:
    """Return the problem for a language suffix that the site does not have."""
    hint = f"use one of the site's languages: {', '.join(langs)}; or add '{lang}' to content/_site.yaml"
    return Problem(src_path, None, f"unknown language '{lang}'", hint)
