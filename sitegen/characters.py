"""Content stage: characters that must never reach a page, and those that deserve a warning."""

from __future__ import annotations

import functools
import re

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates and the two noncharacters XML refuses.
# Also U+2028 and U+2029, which YAML reads as line breaks and editors do not show.
FORBIDDEN_CLASS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]"


@functools.cache
def forbidden() -> re.Pattern[str]:
    """Return the pattern of `FORBIDDEN_CLASS`, compiled on first use: a class of characters beyond U+00FF in
    more than two runs compiles into a map of all 65,536 (1.3 ms); the templates' worker, which imports this
    module before it is forked, never needs it."""
    return re.compile(FORBIDDEN_CLASS)

# Bidirectional embeddings, overrides and isolates: they can make text read differently from how it is stored.
BIDI_CHARACTERS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
BIDI = re.compile(f"[{BIDI_CHARACTERS}]")


def forbidden_character(text: str) -> tuple[int, str] | None:
    """Return (index, description) of the first character no page may contain, or None."""
    found = forbidden().search(text)
    if found is None:
        return None
    code = ord(found.group(0))
    kind = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else \
        "a line separator" if code in (0x2028, 0x2029) else "a control character"
    return found.start(), f"{kind} (U+{code:04X})"


def bidi_character(text: str) -> tuple[int, str] | None:
    """Return (index, description) of the first bidirectional control character, or None."""
    if not any(character in text for character in BIDI_CHARACTERS):  # (each a quick search; the class is not)
        return None
    found = BIDI.search(text)
    return None if found is None else (found.start(), f"U+{ord(found.group(0)):04X}")


def unify_line_endings(text: str) -> str:
    """Return text with CRLF and lone CR line endings turned into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def position(text: str, index: int) -> tuple[int, int]:
    """Return the 1-based (line, column) of `index` in `text`."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def printable(text: str) -> str:
    """Return text safe to print on a terminal: control, surrogate and bidi characters as escapes."""
    if not (forbidden().search(text) or BIDI.search(text)):
        return text
    return BIDI.sub(_escape, forbidden().sub(_escape, text))


def _escape(match: re.Match[str]) -> str:
    """Return a character as a \\uXXXX escape."""
    return f"\\u{ord(match.group(0)):04x}"
