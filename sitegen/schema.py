"""JSON Schema checks of parsed YAML, turned into located, hinted problems.

A document the quick check passes (`quickschema.py`) has no problem; any other is checked by jsonschema,
whose errors are explained here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Problem, YamlData
from .quickschema import Check, quick_check
from .slugs import slugify
from .yamlfile import dotted

PACKAGE = Path(__file__).resolve().parent  # the package's data files (package_data in pyproject.toml)

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_NAMES = (
    "site", "strings", "posting", "posting-text", "person", "person-text", "step", "step-text", "page",
)


class Schemas:
    """The content schemas: a quick check of each, and jsonschema's validators for what a quick check cannot pass.

    Both are made on first use: a build whose parses are all cached reads no schema, and a build whose
    files are all valid never imports jsonschema (`quickschema.py`).
    """

    def __init__(self) -> None:
        self._quick: dict[str, Check] = {}
        self._validators: dict[str, Draft202012Validator] | None = None

    def quick(self, name: str) -> Check:
        """Return the quick check of one schema."""
        if name not in self._quick:
            self._quick[name] = quick_check(read_schema(name))
        return self._quick[name]

    def validator(self, name: str) -> Draft202012Validator:
        """Return jsonschema's validator of one schema (all of them are made, and jsonschema imported, once)."""
        if self._validators is None:
            self._validators = load_validators()
        return self._validators[name]

    def prepare(self) -> None:
        """Make every quick check now: before workers fork, so that each does not make its own."""
        for name in SCHEMA_NAMES:
            self.quick(name)


def read_schema(name: str) -> Any:
    """Return one schema shipped in `sitegen/schemas/`, as parsed JSON."""
    return json.loads((PACKAGE / "schemas" / f"{name}.schema.json").read_text("utf-8"))


def load_validators() -> dict[str, Draft202012Validator]:
    """Return jsonschema's validator for each content schema."""
    make = validator_maker()
    return {name: make(read_schema(name)) for name in SCHEMA_NAMES}


def validator_maker() -> Callable[[Any], Draft202012Validator]:
    """Return a function that makes the site's kind of validator for a schema: Draft 2020-12, formats checked."""
    from jsonschema import Draft202012Validator, FormatChecker, validators

    # A whole number is an int: 6.0 is refused where a count of months is meant (JSON Schema accepts it).
    # quickschema.py follows the same rule.
    strict = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    validator_class = validators.extend(Draft202012Validator, type_checker=strict)  # type: ignore[no-untyped-call]
    checker = FormatChecker()
    return lambda schema: validator_class(schema, format_checker=checker)


def check_schema(schemas: Schemas, name: str, doc: YamlData, src_path: str) -> list[Problem]:
    """Return one problem per schema violation in `doc`, located at the offending key."""
    if schemas.quick(name)(doc.value) is True:
        return []
    validator = schemas.validator(name)
    errors = sorted(validator.iter_errors(doc.value), key=lambda e: [str(p) for p in e.absolute_path])
    return [problem for error in errors for problem in _explain(error, doc, src_path)]


def _explain(error: ValidationError, doc: YamlData, src_path: str) -> Iterator[Problem]:
    """Yield people-readable problems for one jsonschema error."""
    path = tuple(error.absolute_path)
    field = dotted(path)
    line, column = doc.where(path)
    kind = error.validator
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        for extra in sorted(set(error.instance) - set(allowed), key=str):
            l2, c2 = doc.where((*path, extra))
            yield Problem(src_path, l2, f"unknown field '{extra}'", _suggest(str(extra), allowed), c2)
    elif kind == "required":
        missing = str(error.message).split("'")[1]
        yield Problem(src_path, line, f"missing required field '{missing}'",
                      f"add '{missing}: …' to {field or 'this file'}", column)
    elif kind in {"enum", "type", "pattern", "format", "minimum", "exclusiveMinimum", "maximum", "minLength",
                  "maxLength"}:
        yield from _explain_value(error, doc, src_path, field, schema)
    elif kind == "oneOf" and (branch := _closest_branch(error)):
        for sub in branch:
            yield from _explain(sub, doc, src_path)
    elif kind == "oneOf":
        line, column = doc.where_value(path)
        yield Problem(src_path, line, f"'{field}' is {_a(_json_type(error.instance))}, which it may not be",
                      f"it must be {schema.get('description', 'one of the forms the schema allows')}", column)
    else:
        yield Problem(src_path, line, f"'{field or 'file'}': {error.message}", "", column)


def _closest_branch(error: ValidationError) -> list[ValidationError]:
    """Return the errors of the `oneOf` branch whose type the value has (the one the editor meant)."""
    errors = list(error.context or ())
    wrong_type = [e for e in errors if e.validator == "type" and len(e.relative_schema_path) <= 2]
    meant = {e.relative_schema_path[0] for e in errors if e not in wrong_type}
    failed_type = {e.relative_schema_path[0] for e in wrong_type}
    branches = sorted(meant - failed_type)
    return [e for e in errors if e.relative_schema_path[0] == branches[0]] if len(branches) == 1 else []


def _explain_value(
    error: ValidationError, doc: YamlData, src_path: str, field: str, schema: Mapping[str, Any],
) -> Iterator[Problem]:
    """Yield the problem for a value of the wrong kind, located at the value itself."""
    line, column = doc.where_value(tuple(error.absolute_path))
    name = f"'{field}'" if field else "the file"
    kind = error.validator
    expected: Any = error.validator_value
    if kind == "enum":
        options = ", ".join(str(v) for v in expected)
        yield Problem(src_path, line, f"{name} is '{error.instance}', which is not allowed",
                      f"use one of: {options}", column)
    elif kind == "type":
        hint = _type_hint(error.instance, expected)
        if examples := schema.get("examples"):
            hint += f"; write it as in {field.rsplit('.', 1)[-1]}: {_yaml_example(examples[0])}"
        yield Problem(src_path, line, f"{name} must be {_a(expected)}", hint, column)
    elif kind == "pattern" and "propertyNames" in error.relative_schema_path:
        l2, c2 = doc.where((*error.absolute_path, str(error.instance)))
        yield Problem(src_path, l2, f"invalid key '{error.instance}'",
                      f"keys must be {_expected(schema)}", c2)
    elif kind == "format" and expected == "date" and (why := _not_a_day(error.instance)):
        yield Problem(src_path, line, f"{name} is '{error.instance}', which is not a date: {why}",
                      "write a day that exists, as YYYY-MM-DD", column)
    elif kind in {"pattern", "format"}:
        what = _expected(schema)
        yield Problem(src_path, line, f"{name} has an invalid value '{error.instance}'",
                      f"it must be {what}{_slug_hint(schema, error.instance)}", column)
    elif kind == "minLength":
        yield Problem(src_path, line, f"{name} is empty", "write a value, or remove the field", column)
    elif kind == "maxLength":
        yield Problem(src_path, line, f"{name} is longer than {expected} characters", "shorten it", column)
    else:
        yield Problem(src_path, line, f"{name} is {error.instance}, which is out of range",
                      f"it must be {_bound(kind, expected)}", column)


def _expected(schema: Mapping[str, Any]) -> str:
    """Return what a value must look like, in words: the schema's `x-expected`, else its description."""
    return str(schema.get("x-expected") or schema.get("description") or f"match {schema.get('pattern', '')}")


def _not_a_day(value: Any) -> str | None:
    """Return why a YYYY-MM-DD text names no day ('June 2027 has 30 days'), or None."""
    import calendar
    import re

    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(value))
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    last = calendar.monthrange(year, month)[1]
    if day < 1 or day > last:
        return f"{calendar.month_name[month]} {year} has {last} days"
    return None


def _yaml_example(value: Any) -> str:
    """Return a schema example written as YAML flow text: [FULL_TIME, INTERN], {from: 2026-02, to: 2026-03}."""
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_example(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_example(v)}" for k, v in value.items()) + "}"
    return str(value)


def _type_hint(value: Any, expected: Any) -> str:
    """Return what the value is instead; for a YAML word read as a number or a boolean, how to quote it."""
    found = _json_type(value)
    if found in ("integer", "number") and expected == "integer" and isinstance(value, float):
        return f"it is {value!r}: write it without a decimal point"
    if expected == "string" and found in ("boolean", "integer", "number", "null"):
        return f"it is read as {_a(found)} here: quote it"
    return f"it is {_a(found)} here"


def _bound(kind: Any, limit: Any) -> str:
    """Return a numeric bound as words: 'at least 1', 'more than 0', 'at most 60'."""
    words = {"minimum": "at least", "exclusiveMinimum": "more than", "maximum": "at most"}
    return f"{words.get(str(kind), '')} {limit}"


def _slug_hint(schema: Mapping[str, Any], value: Any) -> str:
    """Return ', e.g. '<slug>'' when a slug pattern failed and the value can be folded into one."""
    if "hyphens" not in _expected(schema) or not isinstance(value, str):
        return ""
    suggestion = slugify(value)
    return f": use '{suggestion}'" if suggestion else ""


def _suggest(word: str, allowed: list[str]) -> str:
    """Return a 'did you mean' hint, or the list of allowed fields."""
    import difflib  # (only for a field no schema allows: a build without one never imports it)

    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed fields: " + ", ".join(allowed) if allowed else "remove it"


def _json_type(value: Any) -> str:
    """Return the JSON Schema type name of a Python value from YAML."""
    names = {bool: "boolean", int: "integer", float: "number", str: "string",
             list: "array", dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _a(type_name: Any) -> str:
    """Return a type name as people say it: 'a string', 'a list', 'a mapping'."""
    words = {"string": "a text", "integer": "a whole number", "number": "a number",
             "array": "a list", "object": "a mapping of fields", "boolean": "true or false",
             "null": "empty"}
    if isinstance(type_name, list):
        return " or ".join(words.get(str(t), str(t)) for t in type_name)
    return words.get(str(type_name), str(type_name))
