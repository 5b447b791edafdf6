"""Records: immutable classes with slots, as quick to define as Python allows.

The generator's data (sources, parses, pages, postings, problems, …) are records: made once, never
changed, compared and hashed by their fields, printed, and pickled to and from the workers. They used
to be `@dataclass(frozen=True, slots=True)` classes, whose definition compiles six methods from source
and builds each class twice (once more for its slots): 0.7 ms a class, 30 ms for the generator's 43
records, a tenth of the real site's cold build. `record` reads the fields from the class's annotations
and `field(…)` specifiers, builds the class once, with slots, and compiles only `__init__` (the method
that must be quick for each of the thousands of records a build makes, and whose parameters differ by
class), when the first instance is made. Equality, hashing, `repr`, pickling and the refusal of
changes are functions every record shares, which read the class's fields. A record behaves as the
frozen dataclass with slots would, field for field (the tests compare the two); it is not a
dataclass: `replace` and `fields` are this module's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, cast, dataclass_transform

T = TypeVar("T")


class _Missing:
    """No default: the field's value must be given."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenRecordError(AttributeError):
    """A record's field was assigned or deleted: records never change (`replace` makes a changed copy)."""


class Field:
    """A record's field: its name, its default or default factory, and whether it is a parameter of
    `__init__`, shown by `repr`, compared by `==` and hashed (as `dataclasses.Field`)."""

    __slots__ = ("compare", "default", "default_factory", "hash", "init", "name", "repr")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool, compare: bool,
                 hash: bool | None) -> None:
        self.name = ""
        self.default, self.default_factory = default, default_factory
        self.init, self.repr, self.compare, self.hash = init, repr, compare, hash

    def __repr__(self) -> str:
        return f"Field(name={self.name!r})"


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING, init: bool = True,
          repr: bool = True, compare: bool = True, hash: bool | None = None) -> Any:
    """Return the specifier of a field with a default, a default factory, or no `__init__` parameter (set by
    `__post_init__`), or one that `repr`, `==` or `hash` leave out: as `dataclasses.field`."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, compare, hash)


NOT_A_FIELD = re.compile(r"\s*(?:typing\s*\.\s*|dataclasses\s*\.\s*)?(?:ClassVar|InitVar|KW_ONLY)\b")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """Return `cls` as a record (see the module's docstring): a new class, with slots, of the same name."""
    if cls.__bases__ != (object,):
        raise TypeError(f"{cls.__name__}: a record has no base class")
    fields = _fields(cls)
    names = tuple(f.name for f in fields)
    namespace = {key: value for key, value in cls.__dict__.items()
                 if key not in names and key not in ("__dict__", "__weakref__")}
    shown = [f.name for f in fields if f.repr]
    namespace.update(
        __slots__=names, __qualname__=cls.__qualname__, __init__=_first_init(cls.__qualname__, fields),
        __match_args__=tuple(f.name for f in fields if f.init),
        __repr__=_repr, __eq__=_eq, __hash__=_hash, __setattr__=_refuse_set, __delattr__=_refuse_delete,
        __getstate__=_getstate, __setstate__=_setstate,
        _record_fields=fields, _record_names=names,
        _record_parameters=tuple(f.name for f in fields if f.init),
        _record_fixed=frozenset(f.name for f in fields if not f.init),
        _record_format=f"{cls.__qualname__}({', '.join(f'{name}=%r' for name in shown)})",
        _record_shown=staticmethod(_values(shown)),
        _record_compared=staticmethod(_values([f.name for f in fields if f.compare])),  # (never a method)
        _record_hashed=staticmethod(_values([f.name for f in fields if (f.compare if f.hash is None else f.hash)])),
    )
    kind: Any = type(cls)
    made = kind(cls.__name__, cls.__bases__, namespace)
    made.__init__.record = made
    return cast("type[T]", made)


def _annotations(cls: type) -> dict[str, Any]:
    """Return a class's own annotations, as `inspect.get_annotations` does: the class's `__annotations__`, which
    `from __future__ import annotations` keeps as text. `inspect` is not imported for it: its imports were some
    4 ms of a build with nothing to do (which imports neither Jinja nor Markdown, which import it)."""
    own = cls.__dict__.get("__annotations__")  # noqa: RUF063 - inspect below, where it is not there
    if isinstance(own, dict):
        return own
    import inspect  # (a Python that keeps annotations otherwise)

    return inspect.get_annotations(cls)


def _fields(cls: type) -> tuple[Field, ...]:
    """Return a class's fields, in the order of its annotations, as `dataclass` would find them."""
    fields, defaulted = [], ""
    for name, annotation in _annotations(cls).items():
        if not isinstance(annotation, str) or NOT_A_FIELD.match(annotation):
            raise TypeError(f"{cls.__name__}.{name}: a record's annotations are its fields' types, written as "
                            "text (`from __future__ import annotations`); it has no ClassVar, InitVar or KW_ONLY")
        value = cls.__dict__.get(name, MISSING)
        if type(value).__name__ == "Field" and type(value).__module__ == "dataclasses":
            raise TypeError(f"{cls.__name__}.{name}: a record's fields are specified with sitegen.records.field")
        made = value if isinstance(value, Field) else Field(value, MISSING, True, True, True, None)
        made.name = name
        if made.default is not MISSING and type(made.default).__hash__ is None:
            raise ValueError(f"{cls.__name__}.{name}: mutable default {type(made.default)} is not allowed: "
                             "use default_factory")
        if made.init and (made.default is not MISSING or made.default_factory is not MISSING):
            defaulted = name
        elif made.init and defaulted:
            raise TypeError(f"{cls.__name__}: non-default argument {name!r} follows default argument {defaulted!r}")
        fields.append(made)
    return tuple(fields)


def fields(item: Any) -> tuple[Field, ...]:
    """Return the fields of a record or record class, in order."""
    try:
        return cast("tuple[Field, ...]", item._record_fields)
    except AttributeError:
        raise TypeError("fields() takes a record or a record class") from None


def is_record(item: Any) -> bool:
    """Return True when `item` is a record (an instance, not a class)."""
    return hasattr(type(item), "_record_fields")


def replace(item: T, /, **changes: Any) -> T:
    """Return a copy of a record with some fields changed, as `dataclasses.replace` does: `__init__` (and
    `__post_init__`) run again, and a field that is not an `__init__` parameter cannot be given."""
    cls: Any = type(item)
    for name in cls._record_fixed.intersection(changes):
        raise ValueError(f"field {name} is declared with init=False, it cannot be specified with replace()")
    for name in cls._record_parameters:
        if name not in changes:
            changes[name] = getattr(item, name)
    return cast(T, cls(**changes))


def _first_init(qualname: str, fields: tuple[Field, ...]) -> Callable[..., None]:
    """Return the `__init__` a record has until its first instance is made: it compiles the record's own
    `__init__` (see `_init`), puts it in its place and runs it.

    Compiling an `__init__` costs about as much as the rest of the class; a process uses a few of the
    records it imports (a template worker, `check`, a build with nothing to do), so each compiles
    only when first needed.
    """
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        made = __init__.record  # type: ignore[attr-defined]  # (set once the class is made)
        init = _init(made, fields)
        type.__setattr__(made, "__init__", init)
        init(self, *args, **kwargs)

    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


def _init(cls: type, fields: tuple[Field, ...]) -> Callable[..., None]:
    """Return the `__init__` a frozen dataclass has: each field set from its parameter, default or factory,
    then `__post_init__`, if the class has one."""
    names: dict[str, Any] = {"__set": object.__setattr__, "__no_value": MISSING}
    parameters, lines = [], []
    for f in fields:
        value = f.name
        if f.default_factory is not MISSING:
            names[f"__factory_{f.name}"] = f.default_factory
            if f.init:
                parameters.append(f"{f.name}=__no_value")
                value = f"__factory_{f.name}() if {f.name} is __no_value else {f.name}"
            else:
                value = f"__factory_{f.name}()"
        elif f.default is not MISSING:
            names[f"__default_{f.name}"] = f.default
            if f.init:
                parameters.append(f"{f.name}=__default_{f.name}")
            else:
                value = f"__default_{f.name}"
        elif f.init:
            parameters.append(f.name)
        else:
            continue  # set by __post_init__
        lines.append(f"    __set(__self, {f.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        lines.append("    __self.__post_init__()")
    source = f"def __init__(__self, {', '.join(parameters)}) -> None:\n" + "\n".join(lines or ["    pass"])
    scope: dict[str, Any] = {}
    exec(source, names, scope)
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """Return a function that gives a record's values of these fields, as a tuple."""
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda item: (one(item),)
    return attrgetter(*names) if names else (lambda item: ())


def _repr(self: Any) -> str:
    return self._record_format % self._record_shown(self)  # type: ignore[no-any-return]


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self._record_compared(self) == other._record_compared(other)


def _hash(self: Any) -> int:
    return hash(self._record_hashed(self))


def _refuse_set(self: Any, name: str, value: Any) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _refuse_delete(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, name) for name in self._record_names]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(self._record_names, state, strict=True):
        object.__setattr__(self, name, value)
