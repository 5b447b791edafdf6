"""Content stage: YAML syntax errors → located problems that say what to do."""

from __future__ import annotations

import re

import yaml

from .characters import position
from .model import Problem

DEFAULT_HINT = "check the indentation, and quote values that contain ': ' or ' #'"
QUOTED_VALUE = re.compile(r"""^\s*(?:-\s+)*(?:[^\s"'#][^:#]*:\s+)?(["'])""")


def reader_problem(exc: yaml.reader.ReaderError, text: str, src_path: str, offset: int) -> Problem:
    """Return a located problem for a character YAML does not accept."""
    line, column = position(text, exc.position)
    return Problem(src_path, line + offset, f"character U+{exc.character:04X} is not allowed in YAML"
                   if isinstance(exc.character, int) else "character not allowed in YAML",
                   "remove it, or write it as an escape in a double-quoted string", column)


def syntax_problem(exc: yaml.MarkedYAMLError, text: str, src_path: str, offset: int) -> Problem:
    """Return a located, explained problem for a YAML syntax error."""
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    at_context = exc.context_mark if exc.context_mark is not None else mark
    message, hint, where = f"YAML syntax error: {problem} {context}".strip(), DEFAULT_HINT, mark
    if "'\\t'" in problem or "\t" in problem:
        message, hint = "YAML syntax error: a tab is used for indentation", "indent with spaces"
    elif "quoted scalar" in context and at_context is not None:
        return _quote_problem(text, at_context.line, src_path, offset) or Problem(
            src_path, at_context.line + 1 + offset, "YAML syntax error: the quote is never closed",
            "close the quote on the same line", at_context.column + 1)
    elif "but found '<scalar>'" in problem and (quote := _quote_problem(text, mark.line if mark else 0,
                                                                         src_path, offset)):
        return quote
    elif "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        closing = "]" if bracket == "[" else "}"
        message, where = f"YAML syntax error: '{bracket}' is never closed", at_context
        hint = f"close it with '{closing}' on the same line, or quote the value"
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


def _quote_problem(text: str, error_line: int, src_path: str, offset: int) -> Problem | None:
    """Return the problem of the nearest quoted value, at or above the error, that a quote breaks."""
    lines = text.split("\n")
    for index in range(min(error_line, len(lines) - 1), -1, -1):
        found = _broken_quote(lines[index])
        if found is not None:
            column, message, hint = found
            return Problem(src_path, index + 1 + offset, message, hint, column)
    return None


def _broken_quote(line: str) -> tuple[int, str, str] | None:
    """Return (column, message, hint) when the quoted value that starts a line is broken."""
    opening = QUOTED_VALUE.match(line)
    if opening is None:
        return None
    start = opening.start(1)
    quote = opening.group(1)
    index = start + 1
    while index < len(line):
        char = line[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if quote == "'" and line.startswith("''", index):
            index += 2
            continue
        if char == quote:
            rest = line[index + 1:].strip()
            if not rest or rest.startswith("#"):
                return None
            if quote == "'":
                return (index + 1, "YAML syntax error: an apostrophe ends the quoted text early",
                        "inside '…' write an apostrophe twice ('It''s'), or quote the text with \"…\"")
            return (index + 1, "YAML syntax error: a quote ends the quoted text early",
                    "inside \"…\" write a quote as \\\", or quote the text with '…'")
        index += 1
    if quote == '"':
        return start + 1, "YAML syntax error: the quote is never closed", \
            "end the value with \" on the same line; write \\\" for a quote inside it"
    return start + 1, "YAML syntax error: the quote is never closed", \
        "end the value with ' on the same line; write '' for an apostrophe inside it"
