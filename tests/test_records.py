"""Records behave as frozen dataclasses with slots: made, compared, hashed, printed, pickled, copied, replaced.

Each record here has a twin: the same class as a `@dataclass(frozen=True, slots=True)`.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen import records
from sitegen.records import record


@record
class Place:
    """A record with every kind of field."""

    name: str
    line: int | None
    tags: tuple[str, ...] = ()
    notes: dict[str, int] = records.field(default_factory=dict, compare=False)
    shown: str = records.field(default="x", repr=False)
    size: int = records.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", len(self.name))


@dataclass(frozen=True, slots=True)
class Twin:
    """The same class, as a dataclass."""

    name: str
    line: int | None
    tags: tuple[str, ...] = ()
    notes: dict[str, int] = field(default_factory=dict, compare=False)
    shown: str = field(default="x", repr=False)
    size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", len(self.name))


@record
class One:
    """A record of one field."""

    value: str


@dataclass(frozen=True, slots=True)
class OneTwin:
    """The same, as a dataclass."""

    value: str


values = st.tuples(st.text(max_size=5), st.none() | st.integers(-3, 3),
                   st.lists(st.text(max_size=2), max_size=3).map(tuple),
                   st.dictionaries(st.text(max_size=2), st.integers(), max_size=2), st.text(max_size=3))


@given(values, values)
def test_a_record_compares_hashes_and_prints_as_the_same_dataclass(a: tuple, b: tuple) -> None:  # type: ignore[type-arg]
    mine, theirs = (Place(*a), Place(*b)), (Twin(*a), Twin(*b))
    assert (mine[0] == mine[1]) == (theirs[0] == theirs[1])
    assert (mine[0] != mine[1]) == (theirs[0] != theirs[1])
    assert hash(mine[0]) == hash(theirs[0])
    assert hash(One(a[0])) == hash(OneTwin(a[0])) and (One(a[0]) == One(b[0])) == (a[0] == b[0])
    assert repr(mine[0]).replace("Place(", "Twin(", 1) == repr(theirs[0])
    assert mine[0].size == theirs[0].size == len(a[0])
    assert mine[0] != theirs[0] and mine[0] != a  # another class is never equal


@given(values)
def test_a_record_pickles_copies_and_is_replaced_as_a_dataclass(a: tuple) -> None:  # type: ignore[type-arg]
    item = Place(*a)
    for again in (pickle.loads(pickle.dumps(item, protocol)) for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1)):
        assert again == item and again.notes == item.notes and again.shown == item.shown and again.size == item.size
    assert copy.deepcopy(item) == item and copy.copy(item) == item
    renamed = records.replace(item, name=item.name + "!")
    assert renamed.name == item.name + "!" and renamed.size == item.size + 1 and renamed.line == item.line
    twin = dataclasses.replace(Twin(*a), name=a[0] + "!")
    assert repr(renamed).replace("Place(", "Twin(", 1) == repr(twin) and renamed.size == twin.size
    with pytest.raises(ValueError, match="init=False"):
        records.replace(item, size=3)


def test_a_record_has_the_dataclass_defaults_and_refuses_changes() -> None:
    item = Place("a", 1)
    assert (item.tags, item.notes, item.shown) == ((), {}, "x")
    assert Place("b", 2).notes is not item.notes  # a factory's value is each record's own
    assert [f.name for f in records.fields(item)] == [f.name for f in dataclasses.fields(Twin)] == [
        "name", "line", "tags", "notes", "shown", "size"]
    def spec(f: records.Field | dataclasses.Field[object]) -> tuple[object, ...]:
        values = (f.default, f.default_factory, f.init, f.repr, f.compare, f.hash)
        return tuple("missing" if v in (records.MISSING, dataclasses.MISSING) else v for v in values)

    assert [spec(f) for f in records.fields(Place)] == [spec(f) for f in dataclasses.fields(Twin)]
    assert Place.__match_args__ == Twin.__match_args__
    assert (Place.__qualname__, Place.__module__) == ("Place", __name__)
    assert Place.__doc__ == "A record with every kind of field."
    assert records.is_record(item) and not records.is_record(Place) and not records.is_record(Twin("a", 1))
    with pytest.raises(AttributeError, match="cannot assign to field 'name'"):
        item.name = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="cannot delete field 'line'"):
        del item.line  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        item.other = 1  # type: ignore[attr-defined]
    assert not hasattr(item, "__dict__")  # slots
    with pytest.raises(TypeError):
        Place("a")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Place("a", 1, (), {}, "y", 3)  # type: ignore[call-arg]  # `size` is not a parameter
    assert Place(name="c", line=None, shown="z").shown == "z"


def test_a_record_takes_no_field_it_would_not_make_as_a_dataclass_does() -> None:
    with pytest.raises(TypeError):
        @record
        class Late:
            value: int = records.field(kw_only=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"sitegen\.records\.field"):
        @record
        class Theirs:
            value: int = field(default=1)
    with pytest.raises(TypeError, match="ClassVar"):
        @record
        class Shared:
            value: ClassVar[int] = 1
    with pytest.raises(TypeError, match="non-default argument 'second'"):
        @record
        class Unordered:  # (mypy says so too)
            first: int = 1
            second: int  # type: ignore[misc]
    with pytest.raises(ValueError, match="default_factory"):
        @record
        class Shared:
            value: list[int] = []  # noqa: RUF012
    with pytest.raises(TypeError, match="no base class"):
        @record
        class Child(One):
            other: int
    assert Place.__init__.__qualname__ == "Place.__init__"


def test_a_record_in_a_function_has_its_qualified_name() -> None:
    @record
    class Local:
        value: int

    assert Local.__qualname__.endswith("<locals>.Local") and repr(Local(1)).endswith("<locals>.Local(value=1)")
