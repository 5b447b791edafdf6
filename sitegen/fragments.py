"""Templates: `{% cached key %}…{% endcached %}`, a block whose output `serve` keeps from one build to the next.

Like Hugo's `partialCached`: a list of 5,000 postings renders each posting's card again only when that
posting changed. The kept output is used again when the block is the same (its template, line and rank), for
the same key (the posting: the very object the last build showed there), in a page of the same language,
with the same templates, strings, configuration and assets (the build's shared digest), and with the
same values for every variable the block names itself. A macro the block calls must take what it shows
as arguments: what it would read from the page around it is not part of the key. Outside `serve`, a
process rendering pages keeps each block's last output (`Memo`), found again for the very same key and
equal values: a posting page's people and steps, the same tuples for every posting that names the same
ones, are rendered once a worker, not once a page.

A loop whose body is one block keyed by the loop's item (`{% for item in postings %}{% cached item %}…
{% endcached %}{% endfor %}`) is kept whole: `serve` joins the kept cards in one pass, without running
the loop, and renders only the cards it lacks (`CachedLoops`).
"""

from __future__ import annotations

import copy
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from .reuse import Reuse

SCOPE = "__cached_scope__"  # set in a page's variables when its blocks may be kept: (shared digest, language)


LOOKUP = "__cached_blocks__"  # the global through which blocks find their kept output
LOOPS = "__cached_loops__"  # the global through which loops of cached blocks find their kept outputs


class Memo:
    """A one-off build's `cached` blocks in one process: each block's last output, with what it was made from.

    Found again for the very same key object and equal values (a block renders each posting's people: the
    same tuple for every posting that names the same people); one output a block, so that a list of 5,000
    cards, each its own key, keeps one card and not the list.
    """

    __slots__ = ("last", "shown")

    def __init__(self) -> None:
        self.last: dict[Any, tuple[tuple[Any, ...], Markup]] = {}
        # where the outputs a page shows go, each with its language (the scope's, `inputs[0][1]`), while it renders
        # (for its typesetting, which takes each one's typeset text: `typography._around`); None: nowhere
        self.shown: list[tuple[str, str]] | None = None

    def known(self, place: Any, inputs: tuple[Any, ...]) -> Markup | None:
        """Return the block's last output if it was made from the same key (`inputs[1]`) and equal inputs."""
        kept = self.last.get(place)
        if kept is None or kept[0][1] is not inputs[1] or kept[0] != inputs:
            return None
        self._show(kept[1], inputs)
        return kept[1]

    def keep(self, place: Any, inputs: tuple[Any, ...], output: Markup) -> None:
        """Keep the block's output, in place of its last."""
        self.last[place] = (inputs, output)
        self._show(output, inputs)

    def _show(self, output: Markup, inputs: tuple[Any, ...]) -> None:
        """Note a block's output as the page shows it, with the page's language, if a page is rendering."""
        if self.shown is not None:
            self.shown.append((output.strip(), inputs[0][1]))


class Missed:
    """A block's output that was not kept: where to keep it once the block is rendered (`serve`'s `Reuse`, a one-off
    build's `Memo`, or no place)."""

    __slots__ = ("inputs", "key", "reuse")

    def __init__(self, reuse: Reuse | Memo | None = None, key: Any = None, inputs: tuple[Any, ...] = ()) -> None:
        self.reuse, self.key, self.inputs = reuse, key, inputs

    def keep(self, output: Markup) -> Markup:
        """Keep a block's output where it was missed, and return it."""
        if self.reuse is not None:
            self.reuse.keep(self.key, self.inputs, output)
        return output


NOT_KEPT = Missed()


class Finder:
    """What finds kept outputs for templates, by subscription: a subscription, unlike a call, costs a
    template no more than a dictionary look-up (a list of 5,000 cards may make 5,000 of them)."""

    __slots__ = ("environment",)

    def __init__(self, environment: jinja2.Environment) -> None:
        self.environment = environment

    def _serving(self, scope: Any) -> Reuse | None:
        """Return where serve keeps outputs; None outside serve (where the scope is undefined, too)."""
        reuse = kept_blocks(self.environment)
        return reuse if reuse is not None and isinstance(scope, tuple) else None


def named_values(named: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return the values a block names that its output depends on: functions and undefined names left out."""
    # a list, not a generator: this runs once per card of a 5,000-posting list
    return tuple([value for value in named if not (isinstance(value, jinja2.Undefined) or callable(value))])


class Lookup(Finder):
    """Finds blocks' kept outputs: `lookup[(scope, template, line, key, values)]`."""

    __slots__ = ()

    def __getitem__(self, where: tuple[Any, str | None, str, Any, tuple[Any, ...]]) -> Markup | Missed:
        """Return the block's kept output, or where to keep the output about to be rendered."""
        scope, template, line, key, named = where
        reuse = self._serving(scope)
        if reuse is None:
            memo = block_memo(self.environment)
            if memo is None or not isinstance(scope, tuple):
                return NOT_KEPT
            block, values = (template, line), (scope, key, named_values(named))
            last = memo.known(block, values)
            return Missed(memo, block, values) if last is None else last
        place, inputs = ("cached block", template, line, id(key)), (scope, key, named_values(named))
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
        environment.globals[LOOPS] = LoopLookup(environment)

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
        # finds them by their variables, as fingerprints do). The block's place is its template, its line and
        # its rank among the template's blocks (a line may hold two).
        place = nodes.Const(f"{lineno}.{unique}")
        where = nodes.Tuple([nodes.Name(SCOPE, "load"), nodes.Const(parser.name), place, key,
                             nodes.Tuple([nodes.Name(name, "load") for name in names], "load")], "load")
        kept = nodes.Name(found, "load")
        keep = nodes.Call(nodes.Getattr(kept, "keep", "load"), [nodes.Name(out, "load")], [], None, None)
        return [
            nodes.Assign(nodes.Name(found, "store"), nodes.Getitem(nodes.Name(LOOKUP, "load"), where, "load")),
            nodes.If(nodes.Not(nodes.Test(kept, "string", [], [], None, None)),
                     [nodes.AssignBlock(nodes.Name(out, "store"), None, body), _as_is(keep)],
                     [], [_as_is(kept)]),
        ]


class LoopPlan:
    """A loop of cached blocks some of whose items' outputs are not kept: `join` renders those, keeps all."""

    __slots__ = ("entries", "inputs", "items", "joins", "kept", "outputs", "place", "reuse")

    def __init__(self, reuse: Reuse | None = None, place: Any = None, inputs: tuple[Any, ...] = (),
                 items: list[Any] | None = None, outputs: list[str | None] | None = None,
                 kept: tuple[int, Entries] = (0, {})) -> None:
        self.reuse, self.place, self.inputs = reuse, place, inputs
        self.items, self.outputs = items or [], outputs or []
        self.joins, self.entries = kept
        self.kept = reuse is not None  # False outside serve: the template runs its loop as it was

    def join(self, one: Any) -> Markup:
        """Return the loop's output: the kept outputs, and `one(item)` (the body, a macro) for the others."""
        outputs = [str(one(item)) if output is None else output
                   for item, output in zip(self.items, self.outputs, strict=True)]
        if self.reuse is not None:
            # The items themselves are kept with their output, so that an identity is never another's. The
            # entries kept before stay (another page may list other items at this place) until the loop has
            # been joined KEPT_JOINS times without them: replaced items go, a page's that still shows them stays.
            joins, entries = self.joins + 1, self.entries
            if len(entries) > len(self.items) + KEPT_JOINS:
                entries = {key: entry for key, entry in entries.items() if entry[2] > joins - KEPT_JOINS}
            else:
                entries = entries.copy()  # the last build's stay as they were
            entries.update((id(item), (item, output, joins)) for item, output in zip(self.items, outputs, strict=True))
            self.reuse.keep(self.place, self.inputs, (joins, entries))
        return Markup("".join(outputs))


Entries = dict[int, tuple[Any, str, int]]  # id(item) → the item, its output, the join that last kept it
WHOLE = LoopPlan()
KEPT_JOINS = 64


class LoopLookup(Finder):
    """Finds a loop's kept outputs: `loops[(scope, template, line, items, values)]`.

    Returns the loop's whole output when every item's is kept (each found by the item's identity: serve
    builds from the very same objects wherever nothing changed), else a `LoopPlan`.
    """

    __slots__ = ()

    def __getitem__(self, where: tuple[Any, str | None, str, Any, tuple[Any, ...]]) -> Markup | LoopPlan:
        scope, template, line, items, named = where
        reuse = self._serving(scope)
        if reuse is None:
            return WHOLE
        # the scope in the place too: each language's page keeps its own (its cards are other objects)
        place, inputs = ("cached loop", template, line, scope), (scope, named_values(named))
        kept: tuple[int, Entries] = reuse.known(place, inputs) or (0, {})
        items, entries = list(items), kept[1]
        # an identity found is the very item: the kept entries hold their items alive
        outputs = [entry[1] if (entry := entries.get(id(item))) is not None else None for item in items]
        if None in outputs:
            return LoopPlan(reuse, place, inputs, items, outputs, kept)
        return Markup("".join(output or "" for output in outputs))  # none is None


class CachedLoops(NodeTransformer):
    """Rewrites `{% for x in seq %}` whose body is one `cached x` block (and text around it) so that serve
    finds the loop's output in one look-up (`LoopLookup`), and renders the body, as a macro, only for the
    items whose output is not kept:

        {% set s = seq %}{% set plan = loops[(scope, template, line, s, (names…))] %}
        {% if plan is string %}{{ plan }}
        {% elif plan.kept %}{% macro one(x) %}the block's own body{% endmacro %}{{ plan.join(one) }}
        {% else %}{% for x in s %}body{% endfor %}{% endif %}

    A loop with an `else`, a filter, `recursive`, another statement, or a body that reads `loop` is left
    as it is, and so is a block keyed by anything but the loop's item.
    """

    def __init__(self, environment: jinja2.Environment) -> None:
        self.environment, self.count = environment, 0

    def visit_For(self, node: nodes.For) -> nodes.Node | list[nodes.Node]:  # Jinja's visitor naming
        visited = self.generic_visit(node)
        if not isinstance(visited, nodes.For) or (where := _cached_body(visited)) is None:
            return visited
        node = visited
        self.count += 1
        name = f"__cached_loop_{self.count}"
        item = node.target.name  # type: ignore[attr-defined]
        invariant = [value for value in where.items[4].items  # type: ignore[attr-defined]
                     if not (isinstance(value, nodes.Name) and value.name == item)]
        seq, plan = nodes.Name(name + "_seq", "load"), nodes.Name(name + "_plan", "load")
        look = nodes.Getitem(nodes.Name(LOOPS, "load"), nodes.Tuple(
            [where.items[0], where.items[1], where.items[2], seq, nodes.Tuple(invariant, "load")], "load"), "load")
        # the macro renders the block's own body, without its look-up: the loop keeps the outputs
        body = [part for statement in node.body if not isinstance(statement, nodes.Assign)
                for part in (_block_body(statement) if isinstance(statement, nodes.If) else [statement])]
        body = copy.deepcopy(body, {id(self.environment): self.environment})  # the nodes hold the environment
        macro = nodes.Macro(name + "_one", [nodes.Name(item, "param")], [], body)
        join = nodes.Call(nodes.Getattr(plan, "join", "load"), [nodes.Name(name + "_one", "load")], [], None, None)
        loop = nodes.For(nodes.Name(item, "store"), seq, node.body, [], None, False)
        rewritten: list[nodes.Node] = [
            nodes.Assign(nodes.Name(name + "_seq", "store"), node.iter),
            nodes.Assign(nodes.Name(name + "_plan", "store"), look),
            nodes.If(nodes.Test(plan, "string", [], [], None, None), [_as_is(plan)], [], [
                nodes.If(nodes.Getattr(plan, "kept", "load"), [macro, _as_is(join)], [], [loop])]),
        ]
        for new in rewritten:
            new.set_lineno(node.lineno)
            new.set_environment(self.environment)
        return rewritten


def _block_body(block: nodes.If) -> list[nodes.Node]:
    """Return the body of a `cached` block from the statement it compiles to (`{% set out %}body{% endset %}`)."""
    capture = block.body[0]
    assert isinstance(capture, nodes.AssignBlock)
    return list(capture.body)


def _cached_body(node: nodes.For) -> nodes.Tuple | None:
    """Return the look-up of the one `cached` block keyed by the loop's item that is the loop's body, or None."""
    if node.else_ or node.test is not None or node.recursive or not isinstance(node.target, nodes.Name):
        return None
    looks = [n for n in node.body if isinstance(n, nodes.Assign) and isinstance(n.node, nodes.Getitem)
             and isinstance(n.node.node, nodes.Name) and n.node.node.name == LOOKUP]
    if len(looks) != 1 or not isinstance(where := looks[0].node.arg, nodes.Tuple):  # type: ignore[attr-defined]
        return None
    key = where.items[3]
    if not (isinstance(key, nodes.Name) and key.name == node.target.name):
        return None
    found = looks[0].target.name  # type: ignore[attr-defined]
    for statement in node.body:
        if statement is looks[0] or (isinstance(statement, nodes.Output) and all(
                isinstance(part, nodes.TemplateData) for part in statement.nodes)):
            continue
        if not (isinstance(statement, nodes.If) and isinstance(statement.test, nodes.Not)
                and isinstance(test := statement.test.node, nodes.Test)
                and isinstance(test.node, nodes.Name) and test.node.name == found):
            return None
    if any(name.name == "loop" for statement in node.body for name in statement.find_all(nodes.Name)):
        return None
    return where


class LoopEnvironment(jinja2.Environment):
    """A Jinja environment whose templates' loops of cached blocks are kept whole (`CachedLoops`)."""

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if "cached" not in source:  # no block: the tree is not walked again (a sixth of parsing the site's templates)
            return tree
        result: nodes.Template = CachedLoops(self).visit(tree)
        return result


def _as_is(markup: nodes.Expr) -> nodes.Node:
    """Return the output of a block's markup (escaped when it was rendered) without escaping it again.

    Escaping markup only copies it, in a call per block: 5,000 of them in a long job list.
    """
    return nodes.ScopedEvalContextModifier([nodes.Keyword("autoescape", nodes.Const(False))],
                                           [nodes.Output([markup])])


def carry_loops(reuse: Reuse, shared: str) -> None:
    """Keep the loops' outputs of pages this build kept without rendering them (those of the same templates,
    strings and configuration: `shared`), so that the next build that renders such a page finds its cards."""
    reuse.carry_where(lambda key: isinstance(key, tuple) and len(key) == 4 and key[0] == "cached loop"
                      and key[3][0] == shared)


def keep_blocks(env: jinja2.Environment, reuse: Reuse | None) -> None:
    """Have `cached` blocks kept in `reuse` (serve), or rendered every time (None)."""
    vars(env)["cached_blocks"] = reuse  # an attribute of our own (Environment.extend never replaces one)


def memo_blocks(env: jinja2.Environment, memo: Memo | None) -> None:
    """Have `cached` blocks kept in `memo` while a one-off build renders in this process (None: no longer)."""
    vars(env)["block_memo"] = memo


def block_memo(env: jinja2.Environment) -> Memo | None:
    """Return where a one-off build keeps `cached` blocks' last outputs, if it does."""
    memo: Memo | None = getattr(env, "block_memo", None)
    return memo


def kept_blocks(env: jinja2.Environment) -> Reuse | None:
    """Return where `cached` blocks are kept, if they are."""
    reuse: Reuse | None = getattr(env, "cached_blocks", None)
    return reuse
