"""Templates from memory, each parsed at most once: the checks read its tree, and compiling it reuses the tree.

A cold build used to parse every template three times: to find the variables it reads (fingerprints),
the UI strings it uses (checks), and to compile it. Parsing is most of a small site's cold build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from types import CodeType
from typing import Any

import jinja2
from jinja2 import nodes

TEMPLATE_DIR = "templates/"


class TemplateLoader(jinja2.BaseLoader):
    """The project's templates by name (below `templates/`), with the trees the checks parsed."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources
        self.trees: dict[str, nodes.Template] = {}
        self.nodes: dict[str, list[nodes.Node]] = {}  # each tree's nodes, for the checks (see `template_nodes`)
        self.compiled: dict[str, CodeType] = {}  # by name: what `load` compiled, or a worker compiled for it

    def get_source(self, environment: jinja2.Environment, name: str) -> tuple[str, str, Callable[[], bool]]:
        if name not in self.sources:
            raise jinja2.TemplateNotFound(name)
        return self.sources[name], TEMPLATE_DIR + name, lambda: True

    def tree(self, environment: jinja2.Environment, name: str) -> nodes.Template:
        """Return a template's tree, parsed once; TemplateSyntaxError if it does not parse."""
        if name not in self.trees:
            self.trees[name] = environment.parse(self.sources[name], name, TEMPLATE_DIR + name)
        return self.trees[name]

    def load(self, environment: jinja2.Environment, name: str,
             globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:
        """Return the compiled template: as compiled before, from the bytecode cache, else compiled from its tree
        (parsed if need be).

        Jinja's own `load`, but for the tree: compiling may rewrite it, so it is handed over, not kept.
        """
        source, filename, uptodate = self.get_source(environment, name)
        code = self.compiled.get(name)
        if code is None:
            bcc = environment.bytecode_cache
            bucket = bcc.get_bucket(environment, name, filename, source) if bcc is not None else None
            code = bucket.code if bucket is not None else None
            if code is None:
                self.nodes.pop(name, None)
                code = environment.compile(self.trees.pop(name, None) or source, name, filename)
                if bcc is not None and bucket is not None:
                    bucket.code = code
                    bcc.set_bucket(bucket)
            self.compiled[name] = code
        return environment.template_class.from_code(environment, code, globals or {}, uptodate)


def template_tree(env: jinja2.Environment, name: str, source: str) -> nodes.Template:
    """Return a template's tree: the one its loader keeps, or parsed now; TemplateSyntaxError if it does not parse."""
    if isinstance(env.loader, TemplateLoader) and name in env.loader.sources:
        return env.loader.tree(env, name)
    return env.parse(source, name, TEMPLATE_DIR + name)


def template_nodes(env: jinja2.Environment, name: str, source: str) -> list[nodes.Node]:
    """Return every node of a template's tree below its root, parents before their children, in the
    template's order (as `find_all` finds them), listed once for all the checks that read them;
    TemplateSyntaxError if it does not parse.

    Each `find_all` walks the whole tree through nested generators: the checks' three walks cost the
    templates' worker more than parsing a fifth of the templates.
    """
    loader = env.loader
    if isinstance(loader, TemplateLoader) and name in loader.nodes:
        return loader.nodes[name]
    found: list[nodes.Node] = []
    todo = list(reversed(list(template_tree(env, name, source).iter_child_nodes())))
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(reversed(list(node.iter_child_nodes())))
    if isinstance(loader, TemplateLoader) and name in loader.sources and name in loader.trees:
        loader.nodes[name] = found
    return found
