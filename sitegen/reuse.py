"""Serve stage: the results of pure steps kept from one build to the next, found again by their inputs.

`serve` builds the same site again after every save. Most of it is made of the very same objects as
the last time: the cache hands back the same parse for an unchanged file, so the page made from it,
its fingerprint and its entries in the feeds can be the last build's too. `Reuse.get` returns the
result kept under a key when its inputs are the objects it was made from (a tuple comparison, which
takes an identical item as equal at once; an equal one is as good, as every step is pure);
`Reuse.same` hands back the last build's object when a new one is equal to it, so that the steps
after it find their inputs unchanged.

Each step must be a pure function of its inputs. A build keeps what it used; `turn` drops the rest.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class Reuse:
    """Results by key, each with the inputs it was made from, for the next build to find."""

    __slots__ = ("_current", "_previous", "remember")

    def __init__(self, remember: bool = True) -> None:
        """`remember=False` (a one-off build, which has no next build) keeps nothing and finds nothing."""
        self._previous: dict[Hashable, tuple[tuple[Any, ...], Any]] = {}
        self._current: dict[Hashable, tuple[tuple[Any, ...], Any]] = {}
        self.remember = remember

    def get(self, key: Hashable, inputs: tuple[Any, ...], make: Callable[..., T], *args: Any) -> T:
        """Return `make(*args)`, or what it returned for the same key and the same (or equal) input objects.

        `inputs` are every object the result depends on (`args` that are plain strings or numbers, the
        key holds).
        """
        kept = self._find(key, inputs)
        result: T = make(*args) if kept is None else kept[1]
        if self.remember:
            self._current[key] = (inputs, result)
        return result

    def known(self, key: Hashable, inputs: tuple[Any, ...]) -> Any:
        """Return what `get` would return for these inputs without making it, or None when it would make it."""
        kept = self._find(key, inputs)
        if kept is None:
            return None
        self._current[key] = kept
        return kept[1]

    def keep(self, key: Hashable, inputs: tuple[Any, ...], result: Any) -> None:
        """Keep `result` as what `get` returns for these inputs (made elsewhere, e.g. by a worker)."""
        if self.remember:
            self._current[key] = (inputs, result)

    def _find(self, key: Hashable, inputs: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any] | None:
        """Return what is kept under `key` if it was made from the same objects as `inputs` (or equal ones)."""
        kept = self._current.get(key) or self._previous.get(key)
        return kept if kept is not None and kept[0] == inputs else None  # the same objects: at once; equal: as good

    def each(self, key: Hashable, context: tuple[Any, ...], items: Sequence[Any], make: Callable[..., T],
             beside: Sequence[Any] | None = None) -> list[T]:
        """Return `[make(item) for item in items]` (or `make(item, other)` for the items and `beside`
        zipped), taking the result kept under `key` for the very same item object (with an equal object
        beside it) when `context` is equal to the last build's.

        Items must be immutable (frozen records): the same object is the same value. An unchanged item
        costs one look-up by identity, so a save that changed one posting of five thousand makes one.
        """
        found = self.found(key, context, items, beside)
        results = [result if result is not None else make(item) if beside is None else make(item, other)
                   for item, other, result in zip(items, items if beside is None else beside, found, strict=True)]
        self.keep_each(key, context, items, results, beside, found)
        return results

    def found(self, key: Hashable, context: tuple[Any, ...], items: Sequence[Any],
              beside: Sequence[Any] | None = None) -> list[Any]:
        """Return what `each` would take for every item, None where it would make it (results are never None)."""
        kept = self._find(key, context)
        if kept is None:
            return [None] * len(items)
        old: dict[int, tuple[Any, Any, Any]] = kept[1][0]
        if beside is None:
            return [entry[2] if (entry := old.get(id(item))) is not None else None for item in items]
        return [entry[2] if (entry := old.get(id(item))) is not None and (entry[1] is other or entry[1] == other)
                else None for item, other in zip(items, beside, strict=True)]

    def keep_each(self, key: Hashable, context: tuple[Any, ...], items: Sequence[Any], results: Sequence[Any],
                  beside: Sequence[Any] | None = None, found: Sequence[Any] | None = None,
                  made: Sequence[int] | None = None) -> None:
        """Keep the result of every item (made here or elsewhere, e.g. by a worker), for `each` and `found`.

        `found` (what `found` returned) lets a build that made a few results (or changed a found one) add
        them to the last build's entries instead of listing every item again; `made`, when the caller knows
        them, are the places of those results (else they are looked for). The kept entries hold their
        items, so an identity found again is the same live object.
        """
        if not self.remember:
            return
        others = items if beside is None else beside
        kept = self._find(key, context) if found is not None else None
        if kept is not None and found is not None:
            entries, stale = kept[1]
            if made is None:
                made = [index for index, (result, was) in enumerate(zip(results, found, strict=True))
                        if was is None or result is not was]
            if stale + len(made) <= len(items):  # else list them all again, which drops the stale entries
                if made:
                    entries = entries.copy()  # the last build's entries stay as they were
                    entries.update((id(items[i]), (items[i], others[i], results[i])) for i in made)
                self._current[key] = (context, (entries, stale + len(made)))
                return
        listed = zip(items, others, results, strict=True)
        self._current[key] = (context, (dict(zip(map(id, items), listed, strict=True)), 0))

    def carry(self, *keys: Hashable) -> None:
        """Keep what the last build made under `keys`, unless this build made it again: a step that took a
        whole result from the last build (with `get`) carries the parts it was made of, for the next build."""
        if not self.remember:
            return
        for key in keys:
            if key not in self._current and (kept := self._previous.get(key)) is not None:
                self._current[key] = kept

    def carry_where(self, wanted: Callable[[Hashable], bool]) -> None:
        """Keep what the last build made under every key `wanted` accepts, unless this build made it again."""
        if self.remember:
            self.carry(*[key for key in self._previous if key not in self._current and wanted(key)])

    def same(self, key: Hashable, value: T) -> T:
        """Return the object kept under `key` if it equals `value`, else `value` (kept for the next build)."""
        kept = self._current.get(key) or self._previous.get(key)
        if kept is not None and kept[1] == value:
            value = kept[1]
        if self.remember:
            self._current[key] = ((), value)
        return value

    def turn(self) -> None:
        """End a build: what it did not use is forgotten."""
        self._previous, self._current = self._current, {}


def other_places(new: Sequence[Any], old: Sequence[Any]) -> list[int]:
    """Return the places where two sequences of the same length hold other objects: a save's few files among
    15,000, found without a step of Python's per file (a pass in Python took 1 to 2 ms of a save, and the
    files, their grouping and the link check each made one)."""
    return list(itertools.compress(range(len(new)), map(operator.is_not, new, old)))
