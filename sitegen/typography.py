"""French typography on rendered HTML: no-break spaces and apostrophes, never in code, attributes or URLs.

Text is French where the innermost `lang` attribute says so. Only spaces (U+0020, U+00A0, U+202F) and
apostrophes change, so the pass is idempotent and never alters other visible characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable

NBSP, NNBSP = "\u00a0", "\u202f"
SPACES = " \u00a0\u202f"

TOKEN = re.compile(r"<!--.*?-->|<![^>]*>|<[^>]*>", re.S)
TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*?)(/?)\s*>", re.S)
LANG_ATTR = re.compile(r"""\blang\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
SKIP = frozenset({"code", "pre", "script", "style", "kbd", "samp", "textarea", "svg", "math", "var"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                  "track", "wbr"})
INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "data", "dfn", "em", "i", "mark", "q", "s",
                    "small", "span", "strong", "sub", "sup", "time", "u"})

# Entities and URLs are masked with private-use characters while the rules run.
PROTECTED = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);|(?:https?://|mailto:|www\.)[^\s<]+")
APOSTROPHE = re.compile(r"(?<=\w)(?:'|&#39;|&#x27;|&apos;)(?=\w)")
AFTER = r"(?=[\s»)\]’\"'.,]|$)"  # what may follow punctuation that gets a space before it
# A run of high punctuation gets one space before it: U+00A0 before ':', U+202F before ';', '!' and '?'.
HIGH_PUNCT = re.compile(rf"(?<=[^{SPACES}])[{SPACES}]*([:;!?]+){AFTER}")
HIGH_PUNCT_START = re.compile(rf"^[{SPACES}]*([:;!?]+){AFTER}")
OPEN_QUOTE = re.compile(rf"«[{SPACES}]*")
CLOSE_QUOTE = re.compile(rf"(?<=[^{SPACES}])[{SPACES}]*»")
CLOSE_QUOTE_START = re.compile(rf"^[{SPACES}]*»")
UNIT = re.compile(r"(?<=\d)[ \u202f](?=(?:h|min|s|ms|km|m|cm|mm|kg|g|ans?|mois|jours?|semaines?|heures?|"
                  r"Go|Mo|ko|°C)\b)")
SYMBOL = re.compile(r"(?<=\d)[ \u202f]?(?=[%€$£])")


Rule = Callable[[str, str | None], str]
LEADING = re.compile(r"^([:;!?»])")


def typeset(html: str, rules: dict[str, Rule] | None = None) -> str:
    """Return the HTML with each language's typography applied to its text (French by default)."""
    rules = rules if rules is not None else {"fr": french_text}
    out: list[str] = []
    stack: list[tuple[str, str | None, bool]] = [("", None, False)]  # (tag, lang, skip)
    prev: str | None = None  # last character of text in the current block
    last_text = -1  # index in `out` of that text, when it was typeset (else -1)
    pos = 0
    for match in [*TOKEN.finditer(html), None]:
        end = match.start() if match else len(html)
        text = html[pos:end]
        rule = _rule_for(stack[-1], rules)
        if text and rule is not None:
            if last_text >= 0 and prev is not None and prev in SPACES and (lead := LEADING.match(text)):
                out[last_text] = out[last_text][:-1] + (NBSP if lead.group(1) in ":»" else NNBSP)
            text = rule(text, prev)
        if text:
            out.append(text)
            prev, last_text = text[-1], len(out) - 1 if rule is not None else -1
        if match is None:
            break
        out.append(match.group(0))
        pos = match.end()
        prev = _after_tag(match.group(0), stack, prev)
        last_text = last_text if prev is not None else -1
    return "".join(out)


def _rule_for(state: tuple[str, str | None, bool], rules: dict[str, Rule]) -> Rule | None:
    """Return the typography rule for text in this element, or None to leave it alone."""
    _, lang, skip = state
    return None if skip else rules.get((lang or "").split("-")[0].lower())


def _after_tag(token: str, stack: list[tuple[str, str | None, bool]], prev: str | None) -> str | None:
    """Update the open-element stack for a tag; return `prev`, forgotten at a block boundary."""
    tag = TAG.match(token)
    if tag is None:
        return prev
    closing, name, attrs, self_closing = tag.group(1), tag.group(2).lower(), tag.group(3), tag.group(4)
    if closing:
        _pop(stack, name)
    elif name not in VOID and not self_closing:
        lang = _lang_of(attrs)
        _, parent_lang, parent_skip = stack[-1]
        stack.append((name, lang if lang is not None else parent_lang, parent_skip or name in SKIP))
    return prev if name in INLINE else None


def _pop(stack: list[tuple[str, str | None, bool]], name: str) -> None:
    """Close the innermost open element called `name`, and any left open inside it."""
    for index in range(len(stack) - 1, 0, -1):
        if stack[index][0] == name:
            del stack[index:]
            return


def _lang_of(attrs: str) -> str | None:
    """Return the value of a `lang` attribute, if the tag has one."""
    found = LANG_ATTR.search(attrs)
    if not found:
        return None
    return next(value for value in found.groups() if value is not None)


def french_text(text: str, prev: str | None) -> str:
    """Return French text with its no-break spaces and typographic apostrophes.

    `prev` is the character just before the text in the same block (None at a block's start).
    """
    text = APOSTROPHE.sub("’", text)
    masked, saved = _mask(text)
    if masked is None:
        return text
    if prev is not None and prev not in SPACES:
        masked = HIGH_PUNCT_START.sub(_spaced, masked)
        masked = CLOSE_QUOTE_START.sub(NBSP + "»", masked)
    masked = HIGH_PUNCT.sub(_spaced, masked)
    masked = OPEN_QUOTE.sub("«" + NBSP, masked)
    masked = CLOSE_QUOTE.sub(NBSP + "»", masked)
    masked = UNIT.sub(NBSP, masked)
    masked = SYMBOL.sub(NBSP, masked)
    return _unmask(masked, saved)


def _spaced(match: re.Match[str]) -> str:
    """Return a punctuation run with the no-break space its first mark takes before it."""
    run = match.group(1)
    return (NBSP if run[0] == ":" else NNBSP) + run


def _mask(text: str) -> tuple[str | None, list[str]]:
    """Return the text with entities and URLs replaced by private-use characters, and the originals."""
    saved: list[str] = []
    if any("\ue000" <= ch <= "\uf8ff" for ch in text):
        return None, saved  # already uses private-use characters: leave such text alone

    def keep(match: re.Match[str]) -> str:
        saved.append(match.group(0))
        return chr(0xE000 + len(saved) - 1)

    return PROTECTED.sub(keep, text), saved


def _unmask(text: str, saved: list[str]) -> str:
    """Return the text with its masked pieces put back."""
    return re.sub("[\ue000-\uf8ff]", lambda m: saved[ord(m.group(0)) - 0xE000], text) if saved else text
