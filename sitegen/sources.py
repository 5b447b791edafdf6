"""Input files: read once, in sorted order; what each content file is, from its name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .model import Problem, Project, Source
from .slugs import is_slug, slugify

COLLECTIONS = ("pages", "jobs", "people", "process")
FACTS_COLLECTIONS = ("jobs", "people", "process")
SITE_FILE = "content/_site.yaml"

Kind = Literal["site", "strings", "facts", "text"]


@dataclass(frozen=True, slots=True)
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


def read_project(root: Path) -> Project:
    """Return every file below content/, templates/ and assets/, sorted by path."""
    trees = {folder: _read_tree(root, folder) for folder in ("content", "templates", "assets")}
    return Project(
        content=trees["content"][0],
        templates=trees["templates"][0],
        assets=trees["assets"][0],
        problems=tuple(p for _, problems in trees.values() for p in problems),
    )


def _read_tree(root: Path, folder: str) -> tuple[tuple[Source, ...], list[Problem]]:
    """Return the files of one folder as sources, skipping hidden and editor backup files.

    Symbolic links are read only when they lead to a file inside the project.
    """
    base = root / folder
    if not base.is_dir():
        return (), []
    inside = root.resolve()
    sources, problems = [], []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if _ignored(path.relative_to(base)):
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.exists():
                problems.append(Problem(rel, None, "broken symbolic link", "remove it, or point it at a file"))
                continue
            if inside not in target.parents:
                problems.append(Problem(rel, None, "symbolic link points outside the project",
                                        "copy the file into the project instead"))
                continue
            if target.is_dir():
                problems.append(Problem(rel, None, "symbolic links to folders are not followed",
                                        "move the folder here instead"))
                continue
        if path.is_file():
            sources.append(_source(root, path))
    return tuple(sources), problems


def _ignored(rel: Path) -> bool:
    """Return True for dot files, dot folders and editor leftovers."""
    return any(part.startswith(".") for part in rel.parts) or rel.name.endswith(("~", ".swp"))


def _source(root: Path, path: Path) -> Source:
    """Return a source with its bytes and their SHA-256."""
    data = path.read_bytes()
    return Source(path.relative_to(root).as_posix(), data, hashlib.sha256(data).hexdigest())


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
    collection = parts[0]
    if name.endswith(".yaml") and collection in FACTS_COLLECTIONS and name.count(".") == 1:
        return _checked_stem(ContentFile(src_path, "facts", collection, name[: -len(".yaml")]))
    if name.endswith(".md"):
        pieces = name[: -len(".md")].split(".")
        if len(pieces) == 2 and pieces[1] in langs:
            return _checked_stem(ContentFile(src_path, "text", collection, pieces[0], pieces[1]))
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
    hint = f"rename it {folded}{rest}" if folded else "use lowercase letters, digits and hyphens"
    return Problem(file.src_path, None, f"file name '{file.stem}' is not a slug", hint)


def _bad_lang(src_path: str, lang: str, langs: tuple[str, ...]) -> Problem:
    """Return the problem for a language suffix that the site does not have."""
    hint = f"use one of the site's languages: {', '.join(langs)}; or add '{lang}' to content/_site.yaml"
    return Problem(src_path, None, f"unknown language '{lang}'", hint)
