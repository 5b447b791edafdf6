"""Placeholders: `TODO` text left by `build.py new` (or by hand) must be filled in before publishing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .model import Problem, YamlData

TODO = re.compile(r"\bTODO\b")
HINT = "replace it with the real text; scaffolded files stay unpublishable until then"


def placeholder_problems(doc: YamlData | None, body: str, body_line: int, src_path: str) -> list[Problem]:
    """Return an error for each YAML value and each body line that still contains TODO."""
    problems = []
    if doc is not None:
        for path, value in _strings(doc.value, ()):
            if TODO.search(value) or (path == ("slug",) and value.startswith("todo-")):
                line, column = doc.where_value(path)
                name = ".".join(str(p) for p in path) or "value"
                problems.append(Problem(src_path, line, f"placeholder left in '{name}'", HINT, column))
    for index, text in enumerate(body.split("\n") if "TODO" in body else ()):
        found = TODO.search(text)
        if found:
            problems.append(Problem(src_path, body_line + index, "placeholder left in the text", HINT,
                                    found.start() + 1))
    return problems


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield every string in a YAML value with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
