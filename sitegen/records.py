"""Records: classes that behave as `@dataclass(frozen=True, slots=True)` ones, and take a fifth of the time to define.

A dataclass compiles six methods from source as its module is imported (`__init__`, `__repr__`,
`__eq__`, `__hash__`, and `__setattr__` and `__delattr__` that refuse changes): 0.7 ms a class, 30 ms
for the generator's records, a tenth of the real site's cold build. `record` compiles only `__init__`
(the one that must be quick for each of the thousands of records a build makes, and whose parameters
differ by class); the others are functions every record shares, which read the class's fields. The
classes are dataclasses all the same (`dataclasses.fields` and `replace` work on them), and compare,
hash, print, pickle and refuse changes as frozen dataclasses do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError
from operator import attrgetter
from typing import Any, TypeVar, cast, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T]) -> type[T]:
    """Return `cls` as a frozen dataclass with slots (see the module's docstring)."""
    made: Any = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=True)  # compiles nothing
    fields = dataclasses.fields(made)
    if len(fields) != len(made.__dataclass_fields__) or any(f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__}: a record has no keyword-only, ClassVar or InitVar field")
    made.__init__ = _init(made, fields)
    made._record_names = tuple(f.name for f in fields)
    shown = [f.name for f in fields if f.repr]
    made._record_format = f"{made.__qualname__}({', '.join(f'{name}=%r' for name in shown)})"
    made._record_shown = staticmethod(_values(shown))
    made._record_compared = staticmethod(_values([f.name for f in fields if f.compare]))  # (never a method)
    made._record_hashed = staticmethod(_values([f.name for f in fields if (f.compare if f.hash is None else f.hash)]))
    made.__repr__, made.__eq__, made.__hash__ = _repr, _eq, _hash
    made.__setattr__, made.__delattr__ = _refuse_set, _refuse_delete
    made.__getstate__, made.__setstate__ = _getstate, _setstate
    return cast("type[T]", made)


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
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
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, name) for name in self._record_names]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(self._record_names, state, strict=True):
        object.__setattr__(self, name, value)
