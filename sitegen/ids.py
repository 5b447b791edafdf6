"""Site stage: element ids of content that never collide with each other or with the templates' ids."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# Each pattern over a whole text or page begins with the characters it looks for, which the regex engine
# finds quickly, then looks behind them for the space before the attribute's name: a pattern that begins
# with `\s` is tried at every character (a posting's page took 110 µs, now 20). The space is never part of
# the match before (which ends with '"'), so each finds what the same pattern beginning with `\s` would
# (tests/test_patterns.py has those).
ID_ATTR = re.compile(r'(id=")(?<=\sid=")([^"]*)(")')
FRAGMENT_LINK = re.compile(r'(href="#)(?<=\shref="#)([^"]*)(")')
STATIC_ID = re.compile(r"""\bid\s*=\s*["']([^"'{}]+)["']""")


def template_ids(templates: Iterable[str]) -> frozenset[str]:
    """Return the ids that templates write literally (`id="main"`)."""
    return frozenset(found for text in templates for found in STATIC_ID.findall(text))


def scoped_ids(html: str, reserved: frozenset[str], prefix: str = "") -> str:
    """Return content HTML whose ids carry `prefix` and avoid `reserved`; its '#id' links follow them."""
    names = ID_ATTR.findall(html)
    if not names:
        return html
    renamed: dict[str, str] = {}
    taken: set[str] = set()  # besides `reserved`, which is not copied: it grows with the site
    for _, name, _ in names:
        if name in renamed:
            continue
        wanted = f"{prefix}-{name}" if prefix else name
        new, number = wanted, 1
        while new in taken or new in reserved:
            number += 1
            new = f"{wanted}-{number}"
        renamed[name] = new
        taken.add(new)
    if all(old == new for old, new in renamed.items()):
        return html
    html = ID_ATTR.sub(lambda m: m.group(1) + renamed[m.group(2)] + m.group(3), html)
    return FRAGMENT_LINK.sub(lambda m: m.group(1) + renamed.get(m.group(2), m.group(2)) + m.group(3), html)


def duplicate_ids(html: str) -> list[str]:
    """Return the ids that appear more than once in a page, in sorted order."""
    return repeated(ID_VALUE.findall(html))


def repeated(names: list[str]) -> list[str]:
    """Return the names that `names` holds more than once, in sorted order."""
    if len(set(names)) == len(names):  # (most pages: the ids are counted only when some repeat)
        return []
    return sorted(name for name, count in Counter(names).items() if count > 1)


ID_VALUE = re.compile(r'id="(?<=\sid=")([^"]*)"')  # `ID_ATTR`'s id alone
