"""Render stage: what each page is made from, as one digest, so that an unchanged page is not rendered again.

A page's fingerprint covers everything its output can depend on: the generator's code and libraries, every
template, asset name, UI string and the site configuration, the build date, and the values of exactly the
context variables that its template (with everything it includes, imports or extends) names. Two builds
that give a page the same fingerprint give it the same bytes, so the previous output's file can be kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import jinja2
from jinja2 import meta, nodes

from .loader import TEMPLATE_DIR, template_nodes
from .model import Project, Site
from .records import is_record

REACHING = (nodes.Extends, nodes.FromImport, nodes.Import, nodes.Include)  # the nodes that name another template


def template_names(env: jinja2.Environment, project: Project) -> dict[str, frozenset[str]]:
    """Return, for each template, the variables it or any template it reaches may read."""
    direct: dict[str, set[str]] = {}
    reaches: dict[str, set[str] | None] = {}
    for source in project.templates:
        name = source.src_path[len(TEMPLATE_DIR):]
        try:
            every = template_nodes(env, name, source.data.decode("utf-8"))
        except (jinja2.TemplateSyntaxError, UnicodeDecodeError):
            continue  # reported by check_templates; such a build renders nothing
        direct[name] = {node.name for node in every if isinstance(node, nodes.Name) and node.ctx == "load"}
        # Jinja's own reading of what a template extends, includes or imports, given just those nodes
        # (it would walk the whole tree for them once more)
        reaching = [node for node in every if isinstance(node, REACHING)]
        referenced = list(meta.find_referenced_templates(nodes.Template(reaching)))
        reaches[name] = None if None in referenced else {str(r) for r in referenced}
    return {name: frozenset(_closure(name, direct, reaches)) for name in direct}


def _closure(start: str, direct: Mapping[str, set[str]], reaches: Mapping[str, set[str] | None]) -> set[str]:
    """Return the names read by `start` and every template it reaches (all of them, for a computed name)."""
    seen, todo, names = {start}, [start], set()
    while todo:
        current = todo.pop()
        names |= direct.get(current, set())
        targets = reaches.get(current, set())
        for target in (direct if targets is None else targets):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return names


def site_digest(site: Site, extra: Iterable[str]) -> str:
    """Return the digest every page shares: configuration, strings, and the build's other inputs."""
    digest = hashlib.sha256()
    for part in (repr(site.config), repr(sorted((k, sorted(v.items())) for k, v in site.strings.items())), *extra):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


class Digests:
    """Digests of values' `repr`, kept by the values' identity from one build to the next.

    `serve` builds pages from the very same objects as the last build wherever nothing changed (see
    `reuse`), so their digests are found again instead of being made from their text. A tuple of
    records (the postings of a list, the pages of the site) is digested from its items' digests, so a
    list in which one posting changed costs one posting. Values are kept alive while their digest is
    kept, so an identity is never taken by another object. Lists and dicts (made for one page: its trail,
    its sharing image) are digested from what they hold each time, and not kept.

    A tuple of records keeps its items' entries with its own: a build that finds the tuple as it was (a save
    in the other language finds that language's postings so) keeps them too, for the next build that makes
    the tuple anew (a save in that language again). Kept only with the tuple, they were forgotten after
    such a save, and the next digested 5,000 postings from their text again (200 ms).
    """

    __slots__ = ("_current", "_previous")

    def __init__(self) -> None:
        # id → (the value, its digest), and for a tuple of records its items' entries by id
        self._previous: dict[int, Digested] = {}
        self._current: dict[int, Digested] = {}

    def of(self, value: Any) -> str:
        """Return a digest of `value`'s `repr` (of its items' digests, for a tuple of records or a mapping)."""
        if isinstance(value, (str, int, float, bool)) or value is None:
            return repr(value)  # cheaper to write out than to look up
        if isinstance(value, (list, dict)):  # made for one page (its trail, its image): kept, it would only weigh
            return self._make(value)
        current = self._current
        kept = current.get(id(value))
        if kept is None or kept[0] is not value:
            kept = self._previous.get(id(value))
            if kept is None or kept[0] is not value:
                kept = self._made(value)
            elif len(kept) > 2:
                current.update(kept[2])  # (its items' entries, for the next build that makes the tuple anew)
            current[id(value)] = kept
        digest: str = kept[1]
        return digest

    def turn(self) -> None:
        """End a build: the digests of values it did not use are forgotten."""
        self._previous, self._current = self._current, {}

    def _items(self, records: tuple[Any, ...]) -> list[Digested]:
        """Return the entries of `records` (each as `of` keeps it), with the look-ups written out: a list of
        5,000 postings, one of which a save changed, is digested again on every save."""
        current, previous, entries = self._current, self._previous, []
        for record in records:
            key = id(record)
            kept = current.get(key) or previous.get(key)
            if kept is None or kept[0] is not record:
                digest = self.of(record)
                kept = current.get(key) or (record, digest)  # (a plain value's digest is not kept)
            else:
                current[key] = kept
            entries.append(kept)
        return entries

    def _made(self, value: Any) -> Digested:
        """Return the entry of a value not kept: a tuple of records with its items' entries."""
        if isinstance(value, tuple) and value and is_record(value[0]):
            entries = self._items(value)
            text = "(" + ",".join([entry[1] for entry in entries]) + ")"
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            return (value, digest, dict(zip(map(id, value), entries, strict=True)))
        return (value, self._make(value))

    def _make(self, value: Any) -> str:
        if isinstance(value, Mapping):
            text = "{" + ",".join(f"{key!r}:{self.of(item)}" for key, item in value.items()) + "}"
        else:
            text = repr(value)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


Digested = tuple[Any, ...]  # what `Digests` keeps of a value: (the value, its digest[, its items' entries by id])


def language_digest(context: Mapping[str, Any], names: Collection[str], whole_site: Callable[[], str],
                    digests: Digests) -> str:
    """Return a digest of what every page of a language sees and its template names (`site`: the whole site).

    Functions in the context (translators, URL helpers) are covered by the shared digest.
    """
    return _digest("", context, names, whole_site, digests)


def page_fingerprint(shared: str, language: str, context: Mapping[str, Any], names: Collection[str],
                     digests: Digests) -> str:
    """Return a page's fingerprint: the shared digest, its language's, and the page's own data its template names.

    `posting`, when it is the page's own, is covered by the page's value, which holds it.
    """
    return _digest(shared + language, context, names, lambda: "", digests)


def _digest(start: str, context: Mapping[str, Any], names: Collection[str], whole_site: Callable[[], str],
            digests: Digests) -> str:
    """Return a digest of `start` and the values of `names` in `context`, functions left out."""
    digest = hashlib.sha256(start.encode("ascii"))
    page = context.get("page") if "page" in names else None
    for name in sorted(names):
        if name not in context or callable(context[name]):
            continue
        if name == "posting" and page is not None and context[name] is getattr(page, "posting", None):
            continue
        value = whole_site() if name == "site" else digests.of(context[name])
        digest.update(f"{name}\0{value}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def whole_site_digest(site: Site, digests: Digests) -> str:
    """Return a digest of everything in the site (for templates that read `site` itself)."""
    digest = hashlib.sha256()
    for part in (site.pages, site.postings, site.people, site.steps):
        digest.update(digests.of(part).encode("ascii"))
    return digest.hexdigest()
