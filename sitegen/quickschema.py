"""Content stage: a quick yes to "does this value satisfy its JSON Schema?", without importing jsonschema.

Importing jsonschema and building its validators takes longer than the rest of a small site's parse,
and its validators walk a document through generators and error objects even when nothing is wrong.
Nearly every file an editor commits is valid, so `quick_check` compiles a schema once into plain
functions that answer, for each value:

- True: valid, surely: jsonschema would find no error, and the build skips it;
- False: invalid, surely (used inside `oneOf`, whose branches must be told apart);
- None: not known here: a keyword or a value this module does not judge exactly. The caller asks
  jsonschema, which stays the authority and explains every problem (`schema.py`).

Each keyword below follows jsonschema's own code for Draft 2020-12 with the site's type checker (an
integer is an int, never a bool). Where following it exactly would take more than a few lines
(`uniqueItems` over mixed values, `enum` of non-strings, formats other than `date`, references other
than `#/$defs/…`), the answer is None. A property test compares the two on random documents.
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

Verdict = bool | None
Check = Callable[[Any], Verdict]

# Keywords that never make a value invalid: annotations, and definitions reached through `$ref`.
ANNOTATIONS = frozenset({
    "$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default", "deprecated",
    "readOnly", "writeOnly",
})  # and every keyword that starts with "x-", such as the site's own "x-expected"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # jsonschema's own test before date.fromisoformat


def _unknown(_: Any) -> Verdict:
    return None


def _valid(_: Any) -> Verdict:
    return True


def _invalid(_: Any) -> Verdict:
    return False


def is_object(value: Any) -> bool:
    return isinstance(value, dict)


def is_array(value: Any) -> bool:
    return isinstance(value, list)


def is_string(value: Any) -> bool:
    return isinstance(value, str)


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


TYPES: dict[str, Callable[[Any], bool]] = {
    "object": is_object, "array": is_array, "string": is_string, "number": is_number,
    "integer": is_integer, "boolean": lambda value: isinstance(value, bool), "null": lambda value: value is None,
}


def quick_check(schema: Any, root: Mapping[str, Any] | None = None) -> Check:
    """Return a function that judges values against `schema` (whose `$ref`s point into `root`)."""
    if schema is True:
        return _valid
    if schema is False:
        return _invalid
    if not isinstance(schema, Mapping):
        return _unknown
    root = schema if root is None else root
    if schema is not root and "$id" in schema:
        return _unknown  # a resource of its own, against which its `$ref`s would resolve
    checks = [_keyword(name, value, schema, root) for name, value in schema.items()
              if name not in ANNOTATIONS and not name.startswith("x-")]
    return _all_of(checks)


def _all_of(checks: Sequence[Check]) -> Check:
    """Return a check that every one of `checks` passes: False as soon as one fails, None if one cannot tell."""
    if not checks:
        return _valid
    if len(checks) == 1:
        return checks[0]

    return lambda value: _all(each(value) for each in checks)


def _all(verdicts: Iterable[Verdict]) -> Verdict:
    """Return True when every verdict is True: False at the first False, else None if one cannot tell."""
    result: Verdict = True
    for verdict in verdicts:
        if verdict is False:
            return False
        if verdict is None:
            result = None
    return result


def _when(test: Callable[[Any], bool], check: Callable[[Any], Verdict]) -> Check:
    """Return `check` applied to the values that pass `test`; other values pass (as JSON Schema keywords do)."""
    return lambda value: check(value) if test(value) else True


def _keyword(name: str, value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    """Return the check of one keyword of `schema`, or one that cannot tell."""
    maker = KEYWORDS.get(name)
    return maker(value, schema, root) if maker is not None else _unknown


def _type(names: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    wanted = [names] if isinstance(names, str) else names
    if not isinstance(wanted, list) or not all(isinstance(n, str) and n in TYPES for n in wanted):
        return _unknown
    tests = [TYPES[n] for n in wanted]
    return lambda value: any(test(value) for test in tests)


def _properties(properties: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if not isinstance(properties, Mapping):
        return _unknown
    checks = [(name, quick_check(sub, root)) for name, sub in properties.items()]

    def check(value: Any) -> Verdict:
        return _all(each(value[name]) for name, each in checks if name in value)
    return _when(is_object, check)


def _required(names: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if not isinstance(names, list):
        return _unknown
    return _when(is_object, lambda value: all(name in value for name in names))


def _additional(extra: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if "patternProperties" in schema:
        return _unknown
    known = schema.get("properties", {})
    check = quick_check(extra, root)
    return _when(is_object, lambda value: _all(check(value[key]) for key in value if key not in known))


def _property_names(names: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    check = quick_check(names, root)
    return _when(is_object, lambda value: _all(map(check, value)))


def _items(items: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if "prefixItems" in schema:
        return _unknown
    check = quick_check(items, root)
    return _when(is_array, lambda value: _all(map(check, value)))


def _bound(test: Callable[[Any], bool], size: Callable[[Any], Any], fails: Callable[[Any, Any], bool]) -> Callable[
        [Any, Mapping[str, Any], Mapping[str, Any]], Check]:
    """Return a keyword maker for a limit (`minLength`, `minimum`, …): values passing `test` must not fail it."""
    def make(limit: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
        if not is_number(limit):
            return _unknown
        return _when(test, lambda value: not fails(size(value), limit))
    return make


def _identity(value: Any) -> Any:
    return value


def _unique(flag: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if flag is not True:
        return _valid if flag is False else _unknown

    def check(value: Any) -> Verdict:
        if not all(type(item) is str for item in value):
            return None  # jsonschema's equality of mixed values (1 and True, 1 and 1.0) is not followed here
        return len(set(value)) == len(value)
    return _when(is_array, check)


def _pattern(pattern: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if not isinstance(pattern, str):
        return _unknown
    compiled = functools.cache(functools.partial(re.compile, pattern))  # when first needed: most are for a few fields
    return _when(is_string, lambda value: compiled().search(value) is not None)


def _format(name: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if name != "date":
        return _unknown  # other formats depend on which optional packages jsonschema finds installed
    return _when(is_string, _is_day)


def _is_day(value: str) -> Verdict:
    if DATE.fullmatch(value) is None:
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        return None
    return True


def _enum(options: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if not isinstance(options, list) or not all(type(option) is str for option in options):
        return _unknown
    allowed = frozenset(options)
    return lambda value: None if isinstance(value, str) and type(value) is not str else (
        type(value) is str and value in allowed)


def _const(constant: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    return _enum([constant], schema, root)


def _one_of(branches: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    return _branches(branches, root, lambda verdicts: None if None in verdicts else verdicts.count(True) == 1)


def _any_of(branches: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    return _branches(branches, root,
                     lambda verdicts: True if True in verdicts else (None if None in verdicts else False))


def _branches(branches: Any, root: Mapping[str, Any], verdict: Callable[[list[Verdict]], Verdict]) -> Check:
    """Return a check of a value against every branch, the branches' verdicts folded by `verdict`."""
    if not isinstance(branches, list):
        return _unknown
    checks = [quick_check(branch, root) for branch in branches]
    return lambda value: verdict([each(value) for each in checks])


def _all_of_keyword(branches: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    if not isinstance(branches, list):
        return _unknown
    return _all_of([quick_check(branch, root) for branch in branches])


def _not(branch: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    check = quick_check(branch, root)

    def negated(value: Any) -> Verdict:
        verdict = check(value)
        return None if verdict is None else not verdict
    return negated


def _ref(target: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Check:
    prefix = "#/$defs/"
    if not isinstance(target, str) or not target.startswith(prefix) or "/" in target[len(prefix):]:
        return _unknown
    definitions = root.get("$defs")
    name = target[len(prefix):]
    if not isinstance(definitions, Mapping) or name not in definitions or "~" in name or "%" in name:
        return _unknown
    made: list[Check] = []  # compiled on first use, so that a definition may refer to itself

    def check(value: Any) -> Verdict:
        if not made:
            made.append(quick_check(definitions[name], root))
        return made[0](value)
    return check


KEYWORDS: dict[str, Callable[[Any, Mapping[str, Any], Mapping[str, Any]], Check]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "items": _items,
    "minProperties": _bound(is_object, len, lambda size, limit: size < limit),
    "maxProperties": _bound(is_object, len, lambda size, limit: size > limit),
    "minItems": _bound(is_array, len, lambda size, limit: size < limit),
    "maxItems": _bound(is_array, len, lambda size, limit: size > limit),
    "minLength": _bound(is_string, len, lambda size, limit: size < limit),
    "maxLength": _bound(is_string, len, lambda size, limit: size > limit),
    "minimum": _bound(is_number, _identity, lambda number, limit: number < limit),
    "maximum": _bound(is_number, _identity, lambda number, limit: number > limit),
    "exclusiveMinimum": _bound(is_number, _identity, lambda number, limit: number <= limit),
    "exclusiveMaximum": _bound(is_number, _identity, lambda number, limit: number >= limit),
    "uniqueItems": _unique,
    "pattern": _pattern,
    "format": _format,
    "enum": _enum,
    "const": _const,
    "oneOf": _one_of,
    "anyOf": _any_of,
    "allOf": _all_of_keyword,
    "not": _not,
    "$ref": _ref,
}
