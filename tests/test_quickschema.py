"""The quick schema check agrees with jsonschema wherever it answers, and answers for the site's own files."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.frontmatter import parse_front_matter
from sitegen.parse import SCHEMA_OF, LazyConverter, parse_file
from sitegen.quickschema import quick_check
from sitegen.schema import SCHEMA_NAMES, Schemas, read_schema, validator_maker
from sitegen.sources import ContentFile, classify, read_project
from sitegen.yamlfile import parse_yaml

REPO = Path(__file__).resolve().parent.parent
MAKE = validator_maker()

# Values as YAML gives them, with the look-alikes that JSON Schema tells apart: 1, 1.0 and True; "1" and 1.
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.5, -0.5]),
    st.sampled_from(["", "a", "ab", "A1", "en", "fr-CA", "2026-02-30", "2026-03-01", "x y", "https://a.b/c",
                     "mailto:x@y.z", "FULL_TIME", "INTERN"]),
    st.text(max_size=4),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c", "en"]),
                                                                       inner, max_size=3),
    max_leaves=8,
)
def _one(keywords: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Return schemas of one of `keywords`, with a value drawn from `values`."""
    return st.tuples(st.sampled_from(keywords), values).map(lambda pair: {pair[0]: pair[1]})


PATTERNS = ["^a", "b$", "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "^(https://[^\\s]+|mailto:[^\\s]+)$", "[0-9]"]
LEAF_KEYWORDS = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(
        ["object", "array", "string", "number", "integer", "boolean", "null", ["string", "integer"], ["null"]])}),
    _one(["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"], st.integers(0, 3)),
    _one(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"], st.sampled_from([0, 1, 0.5, 2])),
    st.fixed_dictionaries({"pattern": st.sampled_from(PATTERNS)}),
    st.fixed_dictionaries({"format": st.sampled_from(["date", "uri", "email"])}),
    st.fixed_dictionaries({"enum": st.lists(st.sampled_from(["a", "en", "FULL_TIME", "1"]), min_size=1, max_size=3)
                           | st.lists(SCALARS, min_size=1, max_size=3)}),
    st.fixed_dictionaries({"const": SCALARS}),
    st.fixed_dictionaries({"uniqueItems": st.booleans()}),
    st.fixed_dictionaries({"required": st.lists(st.sampled_from(["a", "b", "en"]), max_size=2, unique=True)}),
    st.fixed_dictionaries({"description": st.just("annotation"), "x-expected": st.just("annotation")}),
    st.fixed_dictionaries({"$ref": st.just("#/$defs/word")}),
    st.fixed_dictionaries({"if": st.just({"type": "string"})}),  # not judged by the quick check
)


def _schemas(leaf: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.fixed_dictionaries({"properties": st.dictionaries(st.sampled_from(["a", "b", "en"]), inner, max_size=2)},
                                  optional={"additionalProperties": st.booleans() | inner}),
            st.fixed_dictionaries({"items": inner}, optional={"prefixItems": st.lists(inner, max_size=1)}),
            st.fixed_dictionaries({"propertyNames": inner}),
            _one(["oneOf", "anyOf", "allOf"], st.lists(inner, min_size=1, max_size=3)),
            st.fixed_dictionaries({"not": inner}),
            st.tuples(inner, inner).map(lambda pair: {**pair[0], **pair[1]} if all(
                isinstance(p, dict) for p in pair) else pair[0]),
        )
    return st.recursive(leaf | st.booleans(), extend, max_leaves=6)


SCHEMAS = _schemas(LEAF_KEYWORDS)


def _root(schema: Any) -> Any:
    """Return `schema` with the definitions its references may name."""
    if not isinstance(schema, dict):
        return schema
    return {**schema, "$defs": {"word": {"type": "string", "pattern": "^[a-z]+$"}}}


def _agrees(schema: Any, value: Any) -> None:
    verdict = quick_check(schema)(value)
    if verdict is None:
        return
    errors = list(MAKE(schema).iter_errors(value))
    assert verdict is (not errors), (schema, value, [e.message for e in errors])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCHEMAS.map(_root), VALUES)
def test_a_quick_verdict_is_jsonschemas_on_random_schemas(schema: Any, value: Any) -> None:
    _agrees(schema, value)


GRID_SCHEMAS = [
    *({"type": name} for name in ["object", "array", "string", "number", "integer", "boolean", "null"]),
    {"type": ["string", "null"]},
    *({keyword: limit} for keyword in ["minLength", "maxLength", "minItems", "maxItems", "minProperties",
                                       "maxProperties"] for limit in [0, 1, 2]),
    *({keyword: limit} for keyword in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
      for limit in [0, 1, 0.5]),
    *({"pattern": pattern} for pattern in PATTERNS),
    {"format": "date"}, {"format": "uri"},
    {"enum": ["a", "en"]}, {"enum": [1, True, None]}, {"const": "a"}, {"const": 1},
    {"uniqueItems": True}, {"uniqueItems": False},
    {"required": ["a"]}, {"properties": {"a": {"type": "string"}}},
    {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
    {"additionalProperties": {"type": "integer"}}, {"propertyNames": {"pattern": "^[a-z]$"}},
    {"items": {"type": "string"}}, {"items": False}, {"prefixItems": [True], "items": False},
    {"oneOf": [{"type": "string"}, {"pattern": "^a"}]}, {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    {"allOf": [{"type": "string"}, {"minLength": 2}]}, {"not": {"type": "string"}},
    {"$ref": "#/$defs/word"}, {"$ref": "#/$defs/word", "minLength": 3},
    True, False, {}, {"description": "only words", "x-expected": "anything"}, {"if": {"type": "string"}},
]
GRID_VALUES = [
    None, True, False, 0, 1, 2, -1, 0.0, 0.5, 1.0, 2.5, "", "a", "ab", "b", "A", "en", "1", "2026-03-01",
    "2026-02-30", "2026-3-1", "https://a.b/c", "x y", [], ["a"], ["a", "a"], ["a", "b"], [1, True], [1, 1.0],
    [None], [["a"], ["a"]], {}, {"a": "x"}, {"a": 1}, {"b": 1}, {"a": "x", "b": 2}, {"ab": 1}, {1: "x"},
]


@pytest.mark.parametrize("schema", GRID_SCHEMAS, ids=repr)
def test_a_quick_verdict_is_jsonschemas_on_every_keyword_and_value(schema: Any) -> None:
    for value in GRID_VALUES:
        _agrees(_root(schema), value)


def test_the_quick_check_leaves_to_jsonschema_what_it_does_not_judge() -> None:
    assert quick_check({"format": "uri"})("not a uri") is None
    assert quick_check({"format": "date"})("2026-02-30") is None
    assert quick_check({"uniqueItems": True})([1, True]) is None
    assert quick_check({"enum": [1, True]})(1) is None
    assert quick_check({"$ref": "other.json"})("x") is None
    assert quick_check({"if": {"type": "string"}})("x") is None
    assert quick_check({"oneOf": [{"if": {}}, {"type": "string"}]})("x") is None
    assert quick_check({"type": "string", "if": {}})(1) is False  # a keyword that fails is enough


def _documents() -> dict[str, list[Any]]:
    """Return the documents of the real site and the fixture sites, by the name of their schema."""
    found: dict[str, list[Any]] = {name: [] for name in SCHEMA_NAMES}
    for root in [REPO, *sorted(path for path in (REPO / "tests" / "sites").iterdir() if path.is_dir())]:
        if not (root / "content").is_dir():
            continue
        for source in read_project(root).content:
            file = classify(source.src_path, ("en", "fr"))
            if not isinstance(file, ContentFile):
                continue
            text = source.data.decode("utf-8", "replace")
            data = (parse_front_matter(text, file.src_path)[0] if file.kind == "text"
                    else parse_yaml(text, file.src_path)[0])
            if data is not None and isinstance(data.value, dict):
                found[SCHEMA_OF[(file.kind, file.collection if file.kind in ("facts", "text") else "")]].append(
                    data.value)
    return found


DOCUMENTS = _documents()


def _places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return the path of every value inside `value`, itself included."""
    inside: list[Any] = list(value.items()) if isinstance(value, dict) else (
        list(enumerate(value)) if isinstance(value, list) else [])
    return [at, *(place for key, item in inside for place in _places(item, (*at, key)))]


def _changed(value: Any, place: tuple[Any, ...], how: str, new: Any) -> Any:
    """Return `value` with the value at `place` replaced or removed, or a field added beside it."""
    value = copy.deepcopy(value)
    if not place:
        return new if how == "replace" else value
    parent = value
    for key in place[:-1]:
        parent = parent[key]
    if how == "replace":
        parent[place[-1]] = new
    elif how == "remove":
        del parent[place[-1]]
    elif isinstance(parent, dict):
        parent[str(new)[:8]] = new
    return value


@st.composite
def _edited(draw: st.DrawFn, name: str) -> Any:
    """Return one of the documents of a schema, edited a few times the way a careless editor would."""
    value = draw(st.sampled_from(DOCUMENTS[name]))
    for _ in range(draw(st.integers(0, 3))):
        place = draw(st.sampled_from(_places(value)))
        value = _changed(value, place, draw(st.sampled_from(["replace", "remove", "add"])), draw(VALUES))
    return value


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_a_quick_verdict_is_jsonschemas_on_the_sites_schemas(name: str) -> None:
    schema = read_schema(name)
    assert DOCUMENTS[name], f"no document to start from for {name}"
    seen: set[Any] = set()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_edited(name))
    def agrees(value: Any) -> None:
        _agrees(schema, value)
        seen.add(quick_check(schema)(value))

    agrees()
    assert seen >= {True, False}, f"the quick check of {name} answered only {seen}"


class QuickOnly(Schemas):
    """Schemas whose jsonschema validators must not be needed."""

    def validator(self, name: str) -> Any:
        raise AssertionError(f"the quick check of {name} did not pass a file")


def test_the_real_sites_files_pass_the_quick_check() -> None:
    schemas, convert = QuickOnly(), LazyConverter()
    project = read_project(REPO)
    files = [(classify(source.src_path, ("en", "fr")), source) for source in project.content]
    assert len(files) > 20
    for file, source in files:
        assert isinstance(file, ContentFile), file
        assert not parse_file(file, source, schemas, convert).problems or file.src_path == "content/_site.yaml"


def test_a_build_of_valid_content_never_imports_jsonschema(tmp_path: Path) -> None:
    probe = ("import sys; from build import main\n"
             "assert main(['--project', sys.argv[1], 'build', '--out', sys.argv[2]]) == 0\n"
             "print('jsonschema' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe, str(REPO), str(tmp_path / "out")], cwd=REPO,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
