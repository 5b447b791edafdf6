"""Front matter: split the `---` fenced YAML block from a Markdown body."""

from __future__ import annotations

from .model import Problem, YamlData
from .records import record
from .yamlfile import parse_yaml

FENCE = "---"


@record
class Split:
    """The two parts of a Markdown file and the line where each starts (1-based)."""

    meta_text: str
    body: str
    meta_line: int
    body_line: int


def split_front_matter(text: str) -> Split | None:
    """Return the front matter and body, or None when the fences are missing."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() == FENCE:
            return Split("\n".join(lines[1:index]), "\n".join(lines[index + 1:]), 2, index + 2)
    return None


def parse_front_matter(text: str, src_path: str) -> tuple[YamlData | None, str, list[Problem]]:
    """Return the front matter as data, the Markdown body, and any problems."""
    split = split_front_matter(text)
    if split is None:
        if text.split("\n", 1)[0].rstrip() != FENCE:
            hint = "start the file with a line '---', the YAML fields, then another '---'"
            return None, "", [Problem(src_path, 1, "missing front matter", hint, 1)]
        hint = "close the front matter with a line '---' before the text"
        return None, "", [Problem(src_path, 1, "front matter is not closed", hint, 1)]
    meta, problems = parse_yaml(split.meta_text, src_path, split.meta_line - 1)
    if meta is not None and not isinstance(meta.value, dict):
        hint = "write 'field: value' lines between the '---' fences"
        problems.append(Problem(src_path, split.meta_line, "front matter must be a mapping", hint, 1))
        meta = None
    return meta, split.body, problems
