"""Content stage: YAML → `YamlData` with source positions, or located problems.

Content YAML is plain data: one document of mappings, lists and scalars. Anchors, aliases, tags other
than the core ones, nesting deeper than `MAX_DEPTH`, keys that are not text, numbers too long to be
numbers, non-finite floats and characters no page may contain are refused with their position, before
anything is constructed, so that no input can make the parser take more than linear time or memory.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

from .characters import bidi_character, forbidden_character
from .model import Problem, YamlData
from .yamlerrors import reader_problem, syntax_problem

Path_ = tuple[str | int, ...]
Tables = tuple[dict[Path_, tuple[int, int]], dict[Path_, tuple[int, int]]]

MAX_DEPTH = 20
MAX_NUMBER_LENGTH = 30
CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset({"!", *(CORE + name for name in ("str", "int", "float", "bool", "null", "seq", "map"))})
KEY_KINDS = {CORE + "int": "a whole number", CORE + "float": "a number", CORE + "bool": "true or false",
             CORE + "null": "empty"}


class _Loader(yaml.SafeLoader):
    """The safe loader, with dates left as text so that schemas check them."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same loader on libyaml when available: faster; its errors are reported by `_Loader`."""


_Loader.yaml_implicit_resolvers = _FastLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, src_path: str, line_offset: int = 0) -> tuple[YamlData | None, list[Problem]]:
    """Return the parsed data with positions (and any warnings), or None and the problems found."""
    try:
        problems = _event_problems(_FastLoader, text, src_path, line_offset) if _may_need_events(text) else []
        if problems:
            return None, problems
        return _compose(_FastLoader, text, src_path, line_offset)
    except yaml.YAMLError:
        pass  # parse again with the pure-Python loader, whose messages the hints know
    return _explain(text, src_path, line_offset)


def _explain(text: str, src_path: str, offset: int) -> tuple[YamlData | None, list[Problem]]:
    """Return the problems of a text libyaml refused, located and explained by the pure-Python loader."""
    try:
        problems = _event_problems(_Loader, text, src_path, offset)
        return (None, problems) if problems else _compose(_Loader, text, src_path, offset)
    except yaml.reader.ReaderError as exc:
        return None, [reader_problem(exc, text, src_path, offset)]
    except yaml.MarkedYAMLError as exc:
        return None, [syntax_problem(exc, text, src_path, offset)]
    except yaml.YAMLError as exc:
        return None, [Problem(src_path, 1 + offset, f"invalid YAML: {exc}", column=1)]


DOCUMENT_MARKER = re.compile(r"(?m)^(?:---|\.\.\.)")
LEADING = re.compile(r"(?m)^[ \t?:-]*")  # a line's indentation, and the indicators of compact collections after it
OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # YAML's line breaks but "\n" (content has "\n" only, unified)


def _may_need_events(text: str) -> bool:
    """Return False when the text can hold none of what `_event_problems` looks for, which it then need not.

    Anchors, aliases and tags need '&', '*' or '!'; a second document, a line that starts with '---' or '...'.
    Nesting: a block collection's child starts further right than it, or at the same column when it is a
    sequence in a mapping ('key:' then '- item' below it), whose items then start further right; a block
    collection starts at a line's indentation or just after the indicators of compact collections ('- - a',
    '- a: 1'). So block collections nest at most two levels for each column up to the widest such start,
    and flow collections, which hold no block collection, one level for each '[' or '{' in the text.
    Most content files are such texts, well within `MAX_DEPTH`: reading their events first was a
    twentieth of their parse. Any other text (one with a line break other than "\n" too) is read twice,
    as before.
    """
    if "&" in text or "*" in text or "!" in text or DOCUMENT_MARKER.search(text):
        return True
    if any(brk in text for brk in OTHER_BREAKS):  # lines that the patterns here, which know only "\n", would not see
        return True
    widest = max(map(len, LEADING.findall(text)), default=0)
    return 2 * (widest + 1) + text.count("[") + text.count("{") > MAX_DEPTH


def _event_problems(loader_class: type, text: str, src_path: str, offset: int) -> list[Problem]:
    """Return the problems of the event stream: anchors, aliases, tags, depth, extra documents.

    Raises the loader's YAMLError on a syntax error.
    """
    loader = loader_class(text)
    problems: list[Problem] = []
    depth = documents = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                problems.append(_event_problem(event, src_path, offset, "YAML anchors and aliases are not allowed",
                                               "write the value out in full where it is needed"))
            tag = getattr(event, "tag", None)
            if tag is not None and tag not in ALLOWED_TAGS:
                problems.append(_event_problem(event, src_path, offset, f"YAML tag '{_short_tag(tag)}' is not allowed",
                                               "remove the tag: content is plain text, numbers, lists and fields"))
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents == 2:
                    problems.append(_event_problem(event, src_path, offset, "the file holds a second YAML document",
                                                   "a line '---' starts a new document: remove it"))
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    problems.append(_event_problem(event, src_path, offset,
                                                   f"nesting is deeper than {MAX_DEPTH} levels",
                                                   "content needs only a few levels of fields and lists"))
                    return problems
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()
    return problems


def _event_problem(event: Any, src_path: str, offset: int, message: str, hint: str) -> Problem:
    """Return a problem where an event starts (its position is read only for a problem: most events have none).

    `event` is a parser's event, which always has its start marked (`yaml.Event` says it may not).
    """
    return Problem(src_path, event.start_mark.line + 1 + offset, message, hint, event.start_mark.column + 1)


def _short_tag(tag: str) -> str:
    """Return a tag as written: 'tag:yaml.org,2002:python/object' → '!!python/object'."""
    return "!!" + tag[len(CORE):] if tag.startswith(CORE) else tag


def _compose(loader_class: type, text: str, src_path: str, offset: int) -> tuple[YamlData | None, list[Problem]]:
    """Return the document with the positions of its keys and values, or the problems of its nodes."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlData(None, {(): (1 + offset, 1)}), []
        tables: Tables = ({}, {})
        problems: list[Problem] = []
        other: list[yaml.Node] = []
        value = _walk(node, (), tables, problems, src_path, offset, loader, other)
        if any(p.severity == "error" for p in problems):
            return None, problems
        if other:
            try:
                value = loader.construct_document(node)
            except (ValueError, OverflowError) as exc:  # (a number PyYAML cannot make, under another tag)
                return None, [Problem(src_path, 1 + offset, f"a value cannot be read: {exc}",
                                      "quote the values that are text", 1)]
        return YamlData(value, *tables), problems
    finally:
        loader.dispose()


TABLE = object()  # marks a table's key among the shared parts (no path, position or text is it)


def shared_parts(data: YamlData, shared: dict[Any, Any]) -> YamlData:
    """Return `data` made of the equal paths, positions and strings already in `shared` (which gets this
    file's new ones): the same value, tables and order.

    Files of one kind have the same keys at mostly the same lines, and many the same values: a parse
    stage that runs this over its files keeps one `('title',)`, one `(2, 1)` and one `'Paris'` for them
    all, where each file had its own (about two thirds of a posting's facts in memory); and one table of
    positions for all the files laid out alike (postings made from the same scaffold). Tables are
    never changed once made.
    """
    def one(path: Path_) -> Path_:
        found: Path_ | None = shared.get(path)
        if found is None:  # a new path, made of the texts already known
            found = shared[path] = tuple(shared.setdefault(part, part) if type(part) is str else part
                                         for part in path)
        return found

    def table(own: Mapping[Path_, tuple[int, int]]) -> dict[Path_, tuple[int, int]]:
        made = {one(path): shared.setdefault(at, at) for path, at in own.items()}
        found: dict[Path_, tuple[int, int]] = shared.setdefault((TABLE, tuple(made.items())), made)
        return found

    return YamlData(_shared_value(data.value, shared), table(data.positions), table(data.value_positions))


def _shared_value(value: Any, shared: dict[Any, Any]) -> Any:
    """Return `value` with its texts (keys included) the equal ones in `shared`; other values as they are."""
    kind = type(value)
    if kind is str:
        return shared.setdefault(value, value)
    if kind is dict:
        return {shared.setdefault(key, key) if type(key) is str else key: _shared_value(item, shared)
                for key, item in value.items()}
    if kind is list:
        return [_shared_value(item, shared) for item in value]
    return value


def dotted(path: Path_) -> str:
    """Return a dotted name for a path such as `location.country` or `people[1]`."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _walk(node: yaml.Node, path: Path_, tables: Tables, problems: list[Problem], src_path: str, offset: int,
          loader: Any, other: list[yaml.Node]) -> Any:
    """Record where every key, item and value below `node` starts; flag what content may not hold; return its
    value as the `loader` constructs it.

    The value is made here, on the way (the loader's constructor, which walks the nodes once more, took a
    twentieth of a file's parse), where every node has a core tag: a node with another one (a plain '=' is
    read as `!!value`, which nothing constructs) is added to `other`, and the document is then constructed
    by the loader, which says what is wrong. Nothing is made of a node with an error (a number too long to
    be one would make Python refuse it).
    """
    positions, values = tables
    here = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
    positions.setdefault(path, here)
    values[path] = here
    if isinstance(node, yaml.ScalarNode):
        if not _plain(node):
            own = _scalar_problems(node, dotted(path) or "value", here, src_path)
            problems.extend(own)
            if any(p.severity == "error" for p in own):
                return None
        if _is_hash(path) and not node.style:  # plain: None from PyYAML, "" from libyaml
            node.tag = "tag:yaml.org,2002:str"  # an old unquoted hash such as 9409069e51 or 1234567890 is text
        tag = node.tag
        if tag == STR:
            return node.value  # (what the constructor gives for text)
        if tag not in SCALARS:
            other.append(node)
            return None
        try:
            return loader.yaml_constructors[tag](loader, node)
        except (ValueError, OverflowError):  # PyYAML reads '0x_' as a whole number, then cannot make one of it
            problems.append(Problem(src_path, here[0], f"'{dotted(path) or 'value'}' is written as a number "
                                    f"('{node.value}') but is none",
                                    "write the number in full; quote it if it is a text", here[1]))
            return None
    if isinstance(node, yaml.MappingNode):
        if node.tag != MAP:
            other.append(node)
        mapping: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_at = (key_node.start_mark.line + 1 + offset, key_node.start_mark.column + 1)
            key_problem = _key_problem(key_node, key_at, src_path)
            if key_problem is not None:
                problems.append(key_problem)
                continue
            key = key_node.value
            if not _plain(key_node):
                problems.extend(_scalar_problems(key_node, f"key '{key}'", key_at, src_path))
            if key in seen:
                problems.append(Problem(src_path, key_at[0], f"duplicate key '{key}'",
                                        f"it is already set on line {seen[key]}; keep one", key_at[1]))
                continue
            seen[key] = key_at[0]
            child = (*path, key)  # one tuple for both tables
            positions[child] = key_at
            mapping[key] = _walk(value_node, child, tables, problems, src_path, offset, loader, other)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        if node.tag != SEQ:
            other.append(node)
        return [_walk(item, (*path, index), tables, problems, src_path, offset, loader, other)
                for index, item in enumerate(node.value)]
    other.append(node)
    return None


def _is_hash(path: Path_) -> bool:
    """Return True for the paths where translation hashes live: `source_hash` and `_source_hashes.<key>`."""
    return path == ("source_hash",) or (len(path) == 2 and path[0] == "_source_hashes")


def _key_problem(key_node: yaml.Node, at: tuple[int, int], src_path: str) -> Problem | None:
    """Return the problem of a key that is not text, where it is written."""
    if not isinstance(key_node, yaml.ScalarNode):
        return Problem(src_path, at[0], "a key must be a text", "write 'name: value', with a word before ':'", at[1])
    if key_node.tag == CORE + "merge":
        return Problem(src_path, at[0], "merge keys ('<<') are not allowed", "write the fields out in full", at[1])
    if key_node.tag != CORE + "str":
        return Problem(src_path, at[0], f"key '{key_node.value}' is read as {KEY_KINDS.get(key_node.tag, 'a value')}, "
                       "not as a text", f"quote it: \"{key_node.value}\":", at[1])
    return None


NUMBERS = frozenset({CORE + "int", CORE + "float"})
STR, MAP, SEQ = CORE + "str", CORE + "map", CORE + "seq"
SCALARS = frozenset({CORE + "int", CORE + "float", CORE + "bool", CORE + "null"})  # made by the loader's constructor


def _plain(node: yaml.ScalarNode) -> bool:
    """Return True for a scalar in which `_scalar_problems` can find nothing (most of a file's): printable text
    (every forbidden character is a control, a separator, a surrogate or a noncharacter, and every
    bidirectional one a format character: none is printable) and not a number."""
    value: str = node.value
    return value.isprintable() and node.tag not in NUMBERS


def _scalar_problems(node: yaml.ScalarNode, name: str, at: tuple[int, int], src_path: str) -> list[Problem]:
    """Return the problems of one scalar: forbidden characters, over-long or non-finite numbers."""
    value: str = node.value
    problems = []
    if (bad := forbidden_character(value)) is not None:
        problems.append(Problem(src_path, at[0], f"'{name}' contains {bad[1]}", "remove it", at[1]))
    if (bidi := bidi_character(value)) is not None:
        problems.append(Problem(src_path, at[0], f"'{name}' contains a bidirectional control character ({bidi[1]})",
                                "remove it: it can make the text read differently from how it is stored", at[1],
                                "warning"))
    if node.tag in NUMBERS and len(value) > MAX_NUMBER_LENGTH:
        problems.append(Problem(src_path, at[0], f"'{name}' is a number of {len(value)} characters",
                                f"numbers have at most {MAX_NUMBER_LENGTH}; quote it if it is a text", at[1]))
    elif node.tag == CORE + "float" and not _finite(value):
        problems.append(Problem(src_path, at[0], f"'{name}' is not a finite number",
                                "write an ordinary number, such as 35 or 37.5", at[1]))
    return problems


def _finite(text: str) -> bool:
    """Return True when a YAML float is an ordinary number (not .nan, .inf or an overflow)."""
    try:
        return math.isfinite(float(text.replace("_", "")))
    except ValueError:
        return text.lower().lstrip("+-") not in (".inf", ".nan")  # sexagesimal floats are finite
