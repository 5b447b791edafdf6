"""Templates from memory, each parsed at most once: the checks read its tree, and compiling it reuses the tree
and the list of its nodes the checks made.

A cold build used to parse every template three times: to find the variables it reads (fingerprints),
the UI strings it uses (checks), and to compile it. Parsing is most of a small site's cold build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from types import CodeType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame

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
        """Return the compiled template (see `code`)."""
        _, _, uptodate = self.get_source(environment, name)
        return environment.template_class.from_code(environment, self.code(environment, name), globals or {}, uptodate)

    def code(self, environment: jinja2.Environment, name: str) -> CodeType:
        """Return a template's compiled code: as compiled before, from the bytecode cache, else compiled from its
        tree (parsed if need be); TemplateSyntaxError if it does not compile.

        Jinja's own `load`, but for the tree: compiling may rewrite it, so it is handed over, not kept. The
        checks compile each template without making a `Template` of it (which runs its module: a worker only
        sends the code).
        """
        source, filename, _ = self.get_source(environment, name)
        code = self.compiled.get(name)
        if code is None:
            bcc = environment.bytecode_cache
            bucket = bcc.get_bucket(environment, name, filename, source) if bcc is not None else None
            code = bucket.code if bucket is not None else None
            if code is None:
                tree, every = self.trees.pop(name, None), self.nodes.pop(name, None)
                if tree is not None and every is not None:
                    vars(tree)[EVERY_NODE] = every  # for `QuickCodeGenerator`
                code = environment.compile(tree or source, name, filename)
                if bcc is not None and bucket is not None:
                    bucket.code = code
                    bcc.set_bucket(bucket)
            self.compiled[name] = code
        return code


EVERY_NODE = "every_node"  # the attribute of a tree to compile that holds its nodes (`template_nodes`), if given


class QuickCodeGenerator(CodeGenerator):
    """Jinja's code generator, but for the look-ups of a template's `extends`, blocks and imports, made in one list
    of its nodes.

    Jinja's `visit_Template` walks the whole tree three times for them (`find`, then `find_all` twice,
    through generators nested as deep as the tree): 40M instructions of the 540M the site's templates took
    to parse and compile. The list is the one the checks made (`EVERY_NODE`), else one walk's; the nodes found, and
    their order, are the same, and so is the code (a test compares it with Jinja's own).
    """

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        every: list[nodes.Node] = vars(node).pop(EVERY_NODE, None) or _walk(node)

        def find_all(node_type: type[nodes.Node] | tuple[type[nodes.Node], ...]) -> Iterator[nodes.Node]:
            return (found for found in every if isinstance(found, node_type))

        def find(node_type: type[nodes.Node]) -> nodes.Node | None:
            return next(find_all(node_type), None)

        vars(node).update(find_all=find_all, find=find)  # this tree's own, while it compiles
        try:
            super().visit_Template(node, frame)
        finally:
            del vars(node)["find_all"], vars(node)["find"]


def _walk(tree: nodes.Node) -> list[nodes.Node]:
    """Return every node below `tree`, parents before their children, in the template's order (as `find_all`
    finds them)."""
    found: list[nodes.Node] = []
    todo = list(reversed(list(tree.iter_child_nodes())))
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(reversed(list(node.iter_child_nodes())))
    return found


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
    found = _walk(template_tree(env, name, source))
    if isinstance(loader, TemplateLoader) and name in loader.sources and name in loader.trees:
        loader.nodes[name] = found
    return found
