"""Templates: `{% cached key %}…{% endcached %}`, a block whose output `serve` keeps from one build to the next.

Like Hugo's `partialCached`: a list of 5,000 postings renders each posting's card again only when that
posting changed. The kept output is used again when the block is the same (same template and line),
for the same key (the posting: the very object the last build showed there), in a page of the same language, with
the same templates, strings, configuration and assets (the build's shared digest), and with the same
values for every variable the block names itself. A macro the block calls must take what it shows as
arguments: what it would read from the page around it is not part of the key. Outside `serve`, the
block is rendered every time.
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

from .reuse import Reuse

SCOPE = "__cached_scope__"  # set in a page's variables when its blocks may be kept: (shared digest, language)


LOOKUP = "__cached_blocks__"  # the global through which blocks find their kept output


class Missed:
    """A block's output that was not kept: where to keep it once the block is rendered (no place outside serve)."""

    __slots__ = ("inputs", "key", "reuse")

    def __init__(self, reuse: Reuse | None = None, key: Any = None, inputs: tuple[Any, ...] = ()) -> None:
        self.reuse, self.key, self.inputs = reuse, key, inputs

    def keep(self, output: Markup) -> Markup:
        """Keep a block's output where it was missed, and return it."""
        if self.reuse is not None:
            self.reuse.keep(self.key, self.inputs, output)
        return output


NOT_KEPT = Missed()


class Lookup:
    """Finds blocks' kept outputs, by subscription: `lookup[(scope, template, line, key, values)]`.

    A subscription, unlike a call, costs a template no more than a dictionary look-up; a list of
    5,000 cards makes 5,000 of them.
    """

    __slots__ = ("environment",)

    def __init__(self, environment: jinja2.Environment) -> None:
        self.environment = environment

    def __getitem__(self, where: tuple[Any, str | None, int, Any, tuple[Any, ...]]) -> Markup | Missed:
        """Return the block's kept output, or where to keep the output about to be rendered."""
        scope, template, lineno, key, named = where
        reuse = kept_blocks(self.environment)
        if reuse is None or not isinstance(scope, tuple):  # outside serve, the scope is undefined
            return NOT_KEPT
        # a list, not a generator: this runs once per card of a 5,000-posting list
        values = tuple([value for value in named if not (isinstance(value, jinja2.Undefined) or callable(value))])
        place, inputs = ("cached block", template, lineno, id(key)), (scope, key, values)
        found = reuse.known(place, inputs)
        return Missed(reuse, place, inputs) if found is None else found


class CachedBlocks(Extension):
    """The `cached` tag. The environment's `cached_blocks` is the `Reuse` to keep outputs in, or None.

    The block compiles to plain statements, not a call block (which makes a macro for its body every
    time it runs): `{% set found = lookup[(scope, template, line, key, (names…))] %}{% if found is not
    string %}{% set out %}body{% endset %}{{ found.keep(out) }}{% else %}{{ found }}{% endif %}`, where
    the two outputs are the block's markup as it is (the body is escaped as usual).
    """

    tags = {"cached"}  # noqa: RUF012 - Jinja's own attribute

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        environment.globals[LOOKUP] = Lookup(environment)

    def parse(self, parser: Parser) -> list[nodes.Node]:
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endcached",), drop_needle=True)
        used = [node for statement in body for node in statement.find_all(nodes.Name)]
        # what the block reads from around it (what it sets itself is not there yet when it is looked up)
        names = sorted({node.name for node in used if node.ctx == "load"} - {node.name for node in used
                                                                            if node.ctx == "store"})
        unique = parser.free_identifier(lineno).name
        found, out = f"__cached_{unique}_found", f"__cached_{unique}_out"
        # The scope is read as a variable, so that the templates that reach a cached block name it (render
        # finds them by their variables, as fingerprints do).
        where = nodes.Tuple([nodes.Name(SCOPE, "load"), nodes.Const(parser.name), nodes.Const(lineno), key,
                             nodes.Tuple([nodes.Name(name, "load") for name in names], "load")], "load")
        kept = nodes.Name(found, "load")
        keep = nodes.Call(nodes.Getattr(kept, "keep", "load"), [nodes.Name(out, "load")], [], None, None)
        return [
            nodes.Assign(nodes.Name(found, "store"), nodes.Getitem(nodes.Name(LOOKUP, "load"), where, "load")),
            nodes.If(nodes.Not(nodes.Test(kept, "string", [], [], None, None)),
                     [nodes.AssignBlock(nodes.Name(out, "store"), None, body), _as_is(keep)],
                     [], [_as_is(kept)]),
        ]


def _as_is(markup: nodes.Expr) -> nodes.Node:
    """Return the output of a block's markup (escaped when it was rendered) without escaping it again.

    Escaping markup only copies it, in a call per block: 5,000 of them in a long job list.
    """
    return nodes.ScopedEvalContextModifier([nodes.Keyword("autoescape", nodes.Const(False))],
                                           [nodes.Output([markup])])


def keep_blocks(env: jinja2.Environment, reuse: Reuse | None) -> None:
    """Have `cached` blocks kept in `reuse` (serve), or rendered every time (None)."""
    vars(env)["cached_blocks"] = reuse  # an attribute of our own (Environment.extend never replaces one)


def kept_blocks(env: jinja2.Environment) -> Reuse | None:
    """Return where `cached` blocks are kept, if they are."""
    reuse: Reuse | None = getattr(env, "cached_blocks", None)
    return reuse
