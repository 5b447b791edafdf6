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

from collections.abc import Callable, Sequence
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

from .reuse import Reuse

SCOPE = "__cached_scope__"  # set in a page's variables when its blocks may be kept: (shared digest, language)


class CachedBlocks(Extension):
    """The `cached` tag. The environment's `cached_blocks` is the `Reuse` to keep outputs in, or None."""

    tags = {"cached"}  # noqa: RUF012 - Jinja's own attribute

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endcached",), drop_needle=True)
        names = sorted({node.name for statement in body for node in statement.find_all(nodes.Name)
                        if node.ctx == "load"})
        # The scope is read as a variable, so that the templates that reach a cached block name it (render
        # finds them by their variables, as fingerprints do).
        call = self.call_method("_render", [nodes.ContextReference(), nodes.Name(SCOPE, "load"),
                                            nodes.Const(parser.name), nodes.Const(lineno), key, nodes.Const(names)])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render(self, context: jinja2.runtime.Context, scope: Any, template: str | None, lineno: int, key: Any,
                names: Sequence[str], caller: Callable[[], Markup]) -> Markup:
        reuse = kept_blocks(self.environment)
        if reuse is None or not isinstance(scope, tuple):  # outside serve, the scope is undefined
            return caller()
        values = tuple(value for name in names
                       if (value := context.resolve_or_missing(name)) is not jinja2.utils.missing
                       and not callable(value))
        return reuse.get(("cached block", template, lineno, id(key)), (scope, key, values), caller)


def keep_blocks(env: jinja2.Environment, reuse: Reuse | None) -> None:
    """Have `cached` blocks kept in `reuse` (serve), or rendered every time (None)."""
    vars(env)["cached_blocks"] = reuse  # an attribute of our own (Environment.extend never replaces one)


def kept_blocks(env: jinja2.Environment) -> Reuse | None:
    """Return where `cached` blocks are kept, if they are."""
    reuse: Reuse | None = getattr(env, "cached_blocks", None)
    return reuse
