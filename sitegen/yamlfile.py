"""YAML parsing with the safe loader, source positions, and duplicate-key errors."""

from __future__ import annotations

from typing import Any

import yaml

from .model import Problem, YamlData

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """The safe loader, with dates left as text so that schemas check them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, src_path: str, line_offset: int = 0) -> tuple[YamlData | None, list[Problem]]:
    """Return the parsed data with positions, or None and the problems found."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, src_path, line_offset)]
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlData(None, {(): (1 + line_offset, 1)}), []
        positions: dict[Path_, tuple[int, int]] = {}
        problems: list[Problem] = []
        _walk(node, (), positions, problems, src_path, line_offset)
        if problems:
            return None, problems
        return YamlData(loader.construct_document(node), positions), []
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, src_path, line_offset)]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, src_path, line_offset)]
    except yaml.YAMLError as exc:
        return None, [Problem(src_path, 1 + line_offset, f"invalid YAML: {exc}", column=1)]
    finally:
        loader.dispose()


def _reader_problem(exc: yaml.reader.ReaderError, text: str, src_path: str, offset: int) -> Problem:
    """Return a located problem for a character YAML does not accept."""
    before = text[: exc.position]
    line = before.count("\n") + 1 + offset
    column = exc.position - (before.rfind("\n") + 1) + 1
    return Problem(src_path, line, f"character U+{exc.character:04X} is not allowed in YAML"
                   if isinstance(exc.character, int) else "character not allowed in YAML",
                   "remove it, or write it as an escape in a double-quoted string", column)


def _syntax_problem(exc: yaml.MarkedYAMLError, src_path: str, offset: int) -> Problem:
    """Return a located problem for a YAML syntax error."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1 + offset, mark.column + 1) if mark else (1 + offset, 1)
    what = exc.problem or "invalid YAML"
    if exc.context:
        what = f"{what} {exc.context}"
    hint = "check the indentation and quote values that contain ':' or '#'"
    return Problem(src_path, line, f"YAML syntax error: {what}", hint, column)


def _walk(
    node: yaml.Node,
    path: Path_,
    positions: dict[Path_, tuple[int, int]],
    problems: list[Problem],
    src_path: str,
    offset: int,
) -> None:
    """Record the position of every key and item below `node`; flag duplicate keys."""
    positions.setdefault(path, (node.start_mark.line + 1 + offset, node.start_mark.column + 1))
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
            _walk(value_node, (*path, key), positions, problems, src_path, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions, problems, src_path, offset)
