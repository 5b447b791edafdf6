"""Templates: the Jinja environment over the project's templates, and their compilation in a worker.

Compiling the templates is a good part of a small site's cold build, and it needs none of what the
rest of the build imports (Markdown, YAML, Babel, the checks): the command line forks a worker that
compiles them before it imports the rest, and the build takes the compiled code when it renders.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Mapping, MutableMapping
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any, cast

import jinja2
import markupsafe
from markupsafe import Markup

from .fingerprint import template_names
from .fragments import CachedBlocks, LoopEnvironment
from .loader import TEMPLATE_DIR, QuickCodeGenerator, TemplateLoader
from .model import Problem, Project
from .parallel import Started
from .templatecheck import StringKeys, check_templates, string_keys_in_templates
from .translations import Translator

# the filters that format with the page's locale (`i18n.make_formatters` makes them)
FILTERS = ("month_range", "long_date", "months", "minutes", "number", "money", "country", "language_name")
Formatters = Callable[[str], Mapping[str, Callable[..., str]]]  # a locale → its filters by name


# callables that never take the context, the environment or the evaluation context: UI strings (`t`) and macros
CALLED_AS_THEY_ARE = (Translator, jinja2.runtime.Macro)
MARK = "jinja_pass_arg"  # where `pass_context` and its like leave their mark on a function


class QuickContext(jinja2.runtime.Context):
    """A template context that calls UI strings, macros and unmarked functions at once.

    Jinja's `call` looks on each callable, and on its `__call__`, for the mark `pass_context` and its like
    leave: three attribute look-ups that fail, 1.3 µs, on each of some 190 calls a posting page renders.
    UI strings and macros never have the mark; a plain function, or a method of one, has it only in the
    function's own attributes, and a built-in one never (it cannot be given attributes). Any other
    callable, and a marked function, is called as Jinja calls it.
    """

    def __init__(self, environment: jinja2.Environment, parent: dict[str, Any], name: str | None,
                 blocks: dict[str, Callable[[jinja2.runtime.Context], Any]],
                 globals: MutableMapping[str, Any] | None = None) -> None:
        super().__init__(environment, parent, name, blocks)
        if globals is not None:
            self.globals_keys = global_names(globals)

    @jinja2.utils.internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # (Jinja's names)
        kind = type(__obj)
        if kind not in CALLED_AS_THEY_ARE and not (
                kind is BuiltinFunctionType
                or (kind is FunctionType and MARK not in __obj.__dict__)
                or (kind is MethodType and type(function := __obj.__func__) is FunctionType  # type: ignore[attr-defined]
                    and MARK not in function.__dict__)):
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)  # (what Jinja's `call` gives only to callables that take the context)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja's `call` does
            return __self.environment.undefined("value was undefined because a callable raised a StopIteration "
                                                "exception")


def global_names(names: MutableMapping[str, Any]) -> set[str]:
    """Return the names of a template's globals (what Jinja's `Context` takes a set of: each include, import and
    page makes one): a template's globals are a `ChainMap` (its own, the environment's), whose keys Python code
    lists (some 3 µs, ten times a posting page); those of its maps, joined in C, are the same names."""
    maps = getattr(names, "maps", None)
    return set().union(*maps) if isinstance(maps, list) else set(names)


def quick_escape(value: Any) -> Markup:
    """Return what `markupsafe.escape` returns: a plain string escaped without `Markup`'s own `__new__`.

    Templates escape each value they output (some 220 a posting page), most of them plain strings (UI strings,
    facts): `escape` makes its result with `Markup(…)`, whose `__new__` is Python code that asks the escaped
    string for an `__html__` it never has; `str.__new__(Markup, …)` makes the very same string. Markup itself
    is returned as it is (`escape` makes a copy of it: `Markup.__html__` is the markup). Anything else
    (numbers, subclasses, objects with `__html__`) goes to `escape` itself.
    """
    kind = value.__class__
    if kind is str and ESCAPE_INNER is not None:
        return str.__new__(Markup, ESCAPE_INNER(value))
    if kind is Markup:
        return cast(Markup, value)
    return markupsafe.escape(value)


ESCAPE_INNER: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)  # (MarkupSafe 2.1 and later)


class QuickTemplate(jinja2.Template):
    """A template whose output is escaped by `quick_escape`, where its code calls Jinja's `escape` (which the
    compiled module imports from `jinja2.runtime`, and its functions look up as a global)."""

    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: dict[str, Any],  # type: ignore[override]
                        globals: dict[str, Any]) -> jinja2.Template:
        if namespace.get("escape") is markupsafe.escape:  # (the code's own name for it: `jinja2.runtime`'s)
            namespace["escape"] = quick_escape
        return super()._from_namespace(environment, namespace, globals)


def make_environment(project: Project, formatters: Formatters,
                     bytecode: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """Return a strict, autoescaping Jinja environment over the project's templates (in memory)."""
    sources = {s.src_path[len(TEMPLATE_DIR):]: s.data.decode("utf-8") for s in project.templates}
    env = LoopEnvironment(
        loader=TemplateLoader(sources),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=bytecode,
        extensions=[CachedBlocks],
        # Jinja's optimizer folds constant expressions: a quarter of the time it takes to compile the
        # site's templates, for which it makes the very same code (rendering gives the same bytes either way).
        optimized=False,
        # Each build's templates are an environment of their own (`pipeline._environment`, by their digests):
        # none changes under it, so it never asks whether one did (on every include, some 14 a page).
        auto_reload=False,
    )
    env.context_class = QuickContext
    if hasattr(jinja2.Template, "_from_namespace"):  # (Jinja's, which every way of making a template goes through)
        env.template_class = QuickTemplate
    env.code_generator_class = QuickCodeGenerator
    for name in FILTERS:
        env.filters[name] = _locale_filter(name, formatters)
    return env


def _locale_filter(name: str, formatters: Formatters) -> Callable[..., str]:
    """Return a filter that formats with the locale of the page being rendered."""

    @jinja2.pass_context
    def run(context: jinja2.runtime.Context, value: Any, *args: Any) -> str:
        return formatters(context["locale"])[name](value, *args)

    run.__name__ = name
    return run


# the compiled code (marshalled, by template name), the UI string keys and variables the templates use,
# and the templates that do not compile
Compiled = tuple[dict[str, bytes], StringKeys, dict[str, frozenset[str]], list[Problem]]
Bytecode = Callable[[], "jinja2.BytecodeCache | None"]  # opens the cache of compiled templates, if any
Compiling = Started[tuple[Any, ...], Compiled]  # its context starts with the project whose templates it compiles


def compiling(project: Project, bytecode: Bytecode, load: bool = True) -> Started[tuple[Project, Bytecode], Compiled]:
    """Return the project's templates being compiled by a forked worker (see `compiled_templates`), which writes
    them to the cache `bytecode` opens once it has sent them (`LaterWrites`; `load` False: a cache with nothing
    to load, opened only then)."""
    later = LaterWrites(bytecode, load)
    return Started(compiled_templates, (project, later.opened), then=later.write)


class LaterWrites(jinja2.BytecodeCache):
    """The cache of compiled templates `opening` opens (if any), whose writes wait for `write`.

    A worker that compiles the templates sends them first, then writes them (`Started`'s `then`): the build
    has them a millisecond sooner (writing 21 signed files is a sixtieth of compiling them). Where the cache
    has no compiled template yet (`load` False: a project's first build), it is opened only to be written:
    opening it (the generator's stamp, the signing key, its folders) was some 20 million instructions of a
    first build's worker before it compiled anything.
    """

    def __init__(self, opening: Bytecode, load: bool = True) -> None:
        self.opening, self.load = opening, load
        self.cache: jinja2.BytecodeCache | None = None
        self.buckets: list[jinja2.bccache.Bucket] = []

    def opened(self) -> jinja2.BytecodeCache | None:
        """Open the cache (unless there is nothing to load from it); return this one in front of it, or None if
        there is none."""
        if not self.load:
            return self  # (the writes are kept for `write`, which opens the cache)
        self.cache = self.opening()
        return self if self.cache is not None else None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.cache is not None:
            self.cache.load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.buckets.append(bucket)

    def write(self) -> None:
        """Write the compiled templates to the cache."""
        if self.cache is None and not self.load and self.buckets:
            self.cache = self.opening()
        if self.cache is not None:
            for bucket in self.buckets:
                self.cache.dump_bytecode(bucket)
        self.buckets.clear()


def compiled_templates(context: tuple[Project, Bytecode]) -> Compiled:
    """Return the project's templates compiled (taken from the cache `bytecode` opens where it has them, and
    added to it), what they use, and the ones that do not compile."""
    project, bytecode = context
    env = make_environment(project, _not_rendered, bytecode())
    keys, names = template_uses(env, project)
    problems = check_templates(env, project)
    codes = env.loader.compiled if isinstance(env.loader, TemplateLoader) else {}
    return {name: marshal.dumps(code) for name, code in codes.items()}, keys, names, problems


def template_uses(env: jinja2.Environment, project: Project) -> tuple[StringKeys, dict[str, frozenset[str]]]:
    """Return the UI string keys the project's templates use, and the variables each reads; before they
    compile (compiling may rewrite the trees they are read from)."""
    return string_keys_in_templates(env, project), template_names(env, project)


def take_compiled(env: jinja2.Environment, codes: Mapping[str, bytes]) -> None:
    """Give the environment's loader the code a worker compiled (`compiled_templates`), to load, not compile."""
    if isinstance(env.loader, TemplateLoader):
        env.loader.compiled.update({name: marshal.loads(code) for name, code in codes.items()})


def _not_rendered(locale: str) -> Mapping[str, Callable[..., str]]:
    """The formatters of an environment that only compiles: none is ever asked for."""
    raise RuntimeError(f"templates compiled for another process do not render ({locale})")
