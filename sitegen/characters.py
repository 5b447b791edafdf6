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

# What `_plainly_allowed` looks for in a text's UTF-8 bytes: C0 controls but tab and newline, and DEL (one byte each);
# C1 controls (U+0080 to U+009F: 0xC2, then 0x80 to 0x9F); the other four of FORBIDDEN_CLASS are looked for as they are
CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])
C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")
OTHERS = ("\u2028", "\u2029", "\ufffe", "\uffff")


def _plainly_allowed(text: str) -> bool:
    """Return True when a text holds no character of `FORBIDDEN_CLASS` (most texts), looked for in a few quick
    passes: the class's pattern takes 5 ns a character of a French text (22 µs a posting's), its UTF-8 bytes
    a fifth of that. False when it may hold one (a lone surrogate, which UTF-8 cannot encode, among them)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return (len(data.translate(None, CONTROL_BYTES)) == len(data) and C1_BYTES.search(data) is None
            and not any(other in text for other in OTHERS))


# Bidirectional embeddings, overrides and isolates: they can make text read differently from how it is stored.
BIDI_CHARACTERS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
BIDI = re.compile(f"[{BIDI_CHARACTERS}]")


def forbidden_character(text: str) -> tuple[int, str] | None:
    """Return (index, description) of the first character no page may contain, or None."""
    if _plainly_allowed(text):
        return None
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
