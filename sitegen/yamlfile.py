"""YAML parsing with the safe loader, source positions, and duplicate-key errors."""

from __future__ import annotations

from typing import Any

import yaml

from .model import Problem, YamlData

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """The safe loader, with dates left as text so that schemas check them."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same loader on libyaml when available: faster; its errors are reported by `_Loader`."""


_Loader.yaml_implicit_resolvers = _FastLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, src_path: str, line_offset: int = 0) -> tuple[YamlData | None, list[Problem]]:
    """Return the parsed data with positions, or None and the problems found."""
    try:
        return _parse(_FastLoader, text, src_path, line_offset)
    except yaml.YAMLError:
        pass  # parse again with the pure-Python loader, whose messages the hints know
    return _parse(_Loader, text, src_path, line_offset, explain=True)


def _parse(loader_class: type, text: str, src_path: str, line_offset: int,
           explain: bool = False) -> tuple[YamlData | None, list[Problem]]:
    """Return the parse with one loader; errors raise unless `explain` turns them into problems."""
    if not explain:
        loader = loader_class(text)
        try:
            return _compose(loader, src_path, line_offset)
        finally:
            loader.dispose()
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, src_path, line_offset)]
    try:
        return _compose(loader, src_path, line_offset)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, src_path, line_offset)]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, src_path, line_offset)]
    except yaml.YAMLError as exc:
        return None, [Problem(src_path, 1 + line_offset, f"invalid YAML: {exc}", column=1)]
    finally:
        loader.dispose()


def _compose(loader: yaml.SafeLoader, src_path: str, line_offset: int) -> tuple[YamlData | None, list[Problem]]:
    """Return the document with the positions of its keys and values, or its duplicate keys."""
    node = loader.get_single_node()
    if node is None:
        return YamlData(None, {(): (1 + line_offset, 1)}), []
    positions: dict[Path_, tuple[int, int]] = {}
    values: dict[Path_, tuple[int, int]] = {}
    problems: list[Problem] = []
    _walk(node, (), (positions, values), problems, src_path, line_offset)
    if problems:
        return None, problems
    return YamlData(loader.construct_document(node), positions, values), []


def _reader_problem(exc: yaml.reader.ReaderError, text: str, src_path: str, offset: int) -> Problem:
    """Return a located problem for a character YAML does not accept."""
    before = text[: exc.position]
    line = before.count("\n") + 1 + offset
    column = exc.position - (before.rfind("\n") + 1) + 1
    return Problem(src_path, line, f"character U+{exc.character:04X} is not allowed in YAML"
                   if isinstance(exc.character, int) else "character not allowed in YAML",
                   "remove it, or write it as an escape in a double-quoted string", column)


def _syntax_problem(exc: yaml.MarkedYAMLError, src_path: str, offset: int) -> Problem:
    """Return a located, explained problem for a YAML syntax error."""
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    at_context = exc.context_mark if exc.context_mark is not None else mark
    message, hint, where = f"YAML syntax error: {problem} {context}".strip(), DEFAULT_HINT, mark
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        closing = "]" if bracket == "[" else "}"
        message, where = f"YAML syntax error: '{bracket}' is never closed", at_context
        hint = f"close it with '{closing}' on the same line, or quote the value"
    elif "quoted scalar" in context:
        message, where, hint = "YAML syntax error: the quote is never closed", at_context, "close the quote"
    elif "'\\t'" in problem or "\t" in problem:
        message, hint = "YAML syntax error: a tab is used for indentation", "indent with spaces"
    elif problem.startswith("mapping values are not allowed"):
        message = "YAML syntax error: unexpected ':'"
        hint = "quote a value that contains ': ' (title: \"Note: this\"), or fix the indentation"
    elif problem.startswith("could not find expected ':'"):
        message, where, hint = "YAML syntax error: a line has no ':' after its key", at_context, \
            "write 'key: value', or indent the line under the key it belongs to"
    elif context.startswith("while parsing a block"):
        message = "YAML syntax error: this line does not line up with the lines above it"
        hint = "indent it like its siblings"
    line, column = (where.line + 1 + offset, where.column + 1) if where else (1 + offset, 1)
    return Problem(src_path, line, message, hint, column)


DEFAULT_HINT = "check the indentation, and quote values that contain ': ' or ' #'"


def _walk(
    node: yaml.Node,
    path: Path_,
    tables: tuple[dict[Path_, tuple[int, int]], dict[Path_, tuple[int, int]]],
    problems: list[Problem],
    src_path: str,
    offset: int,
) -> None:
    """Record where every key, item and value below `node` starts; flag duplicate keys."""
    positions, values = tables
    here = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
    positions.setdefault(path, here)
    values[path] = here
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1 + offset
            if key in seen:
                problems.append(Problem(
                    src_path, line, f"duplicate key '{key}'",
                    f"it is already set on line {seen[key]}; keep one", key_node.start_mark.column + 1,
                ))
                continue
            seen[key] = line
            positions[(*path, key)] = (line, key_node.start_mark.column + 1)
            _walk(value_node, (*path, key), tables, problems, src_path, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), tables, problems, src_path, offset)
