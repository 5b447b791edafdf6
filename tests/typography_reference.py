"""The typography pass as it was before it copied unchanged text in spans: the oracle its rewrite is checked against.

Its functions are kept as they were at commit e9ca42f, `_ruled` as it was before it searched the page's bytes,
the rules' patterns as they were before they began with the characters they look for, and the pattern for
private-use characters with `_unmask` as they were before `sitegen.typography` did without them, and the open
elements' frames (`Frame`) as they were before it split pages into texts and tags; the rest (other
patterns, element sets, small helpers) is unchanged and taken from `sitegen.typography`.
See `test_typography.test_the_pass_gives_what_the_plain_pass_gives`.
"""

from __future__ import annotations

import itertools
import re

from sitegen.typography import (
    CLOSE_QUOTE_START,
    HIGH_PUNCT_START,
    INLINE,
    LEADING,
    NBSP,
    NNBSP,
    OPEN_QUOTE,
    PROTECTED,
    SKIP,
    SPACES,
    SYMBOL,
    TOKEN,
    VOID,
    Rule,
    _lang_of,
    _pop,
)

# (tag, lang, skip, rule for its text, whether it or an element around it is in a language with rules)
Frame = tuple[str, str | None, bool, "Rule | None", bool]

# The rules' patterns as they were before they were written to begin with the characters they look for
# (`sitegen.typography`'s begin so; these begin with lookbehinds, tried at every character).
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # (`sitegen.typography` has no regular expression for it now)
TRIGGERS = re.compile(r"[:;!?«»'%€$£\d]|&#39;|&#x27;|&apos;")
APOSTROPHE = re.compile(r"(?<=\w)(?:'|&#39;|&#x27;|&apos;)(?=\w)")
AFTER = r"(?=[\s»)\]’\"'.,]|$)"
HIGH_PUNCT = re.compile(rf"(?<=[^{SPACES}])[{SPACES}]*([:;!?]+){AFTER}")
CLOSE_QUOTE = re.compile(rf"(?<=[^{SPACES}])[{SPACES}]*»")
UNIT = re.compile(r"(?<=\d)[ \u202f](?=(?:h|min|s|ms|km|m|cm|mm|kg|g|ans?|mois|jours?|semaines?|heures?|"
                  r"Go|Mo|ko|°C|pixels?|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
                  r"novembre|décembre)\b)")


def _spaced(match: re.Match[str]) -> str:
    """Return a punctuation run with the no-break space its first mark takes before it."""
    run = match.group(1)
    return (NBSP if run[0] == ":" else NNBSP) + run


def typeset(html: str, rules: dict[str, Rule] | None = None) -> str:
    """Return the HTML with each language's typography applied to its text (French by default)."""
    rules = rules if rules is not None else {"fr": french_text}
    ruled = _ruled(html, rules)
    if not ruled:
        return html  # no text in a language with rules: nothing would change
    out: list[str] = []
    stack: list[Frame] = [("", None, False, None, False)]
    prev: str | None = None  # last character of text in the current block
    last_text = -1  # index in `out` of that text, when it was typeset (else -1)
    pos = 0
    for match in itertools.chain(TOKEN.finditer(html), [None]):
        if pos > ruled[-1] and not stack[-1][4]:
            out.append(html[pos:])  # past the last element with rules, and out of it: the rest stays as it is
            break
        end = match.start() if match else len(html)
        text = html[pos:end]
        rule = stack[-1][3]
        if text and rule is not None and not text.isspace():
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
        prev = _after_tag(match, stack, prev, rules)
        last_text = last_text if prev is not None else -1
    return "".join(out)


def _after_tag(match: re.Match[str], stack: list[Frame], prev: str | None, rules: dict[str, Rule]) -> str | None:
    """Update the open-element stack for a tag; return `prev`, forgotten at a block boundary."""
    name = match.group(2)
    if name is None:  # a comment or a doctype
        return prev
    name = name.lower()
    if match.group(1):
        _pop(stack, name)
    elif name not in VOID and not match.group(3).endswith("/"):
        attrs = match.group(3)
        lang = _lang_of(attrs) if "lang" in attrs else None
        _, parent_lang, parent_skip, parent_rule, parent_ruled = stack[-1]
        skip = parent_skip or name in SKIP
        if lang is None:
            stack.append((name, parent_lang, skip, None if skip else parent_rule, parent_ruled))
        else:
            rule = rules.get(lang.split("-")[0].lower())
            stack.append((name, lang, skip, None if skip else rule, parent_ruled or rule is not None))
    return prev if name in INLINE else None


def french_text(text: str, prev: str | None) -> str:
    """Return French text with its no-break spaces and typographic apostrophes.

    `prev` is the character just before the text in the same block (None at a block's start).
    """
    if not TRIGGERS.search(text):
        return text
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


def _mask(text: str) -> tuple[str | None, list[str]]:
    """Return the text with entities and URLs replaced by private-use characters, and the originals."""
    saved: list[str] = []
    if PRIVATE_USE.search(text):
        return None, saved  # already uses private-use characters: leave such text alone

    def keep(match: re.Match[str]) -> str:
        saved.append(match.group(0))
        return chr(0xE000 + len(saved) - 1)

    return PROTECTED.sub(keep, text), saved


LOWER_LANG_ATTR = re.compile(r"""lang\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _ruled(html: str, rules: dict[str, Rule]) -> list[int]:
    """Return where `lang` attributes of languages with rules are, in order (at their real place).

    Found in the lower-cased page: lower-casing never shortens text, so no position found is before the real one.
    """
    low = html.lower()
    return [found.start() for found in LOWER_LANG_ATTR.finditer(low)
            if not (found.start() and (low[found.start() - 1].isalnum() or low[found.start() - 1] == "_"))
            and rules.get(_language(found))]


def _language(found: re.Match[str]) -> str:
    """Return the primary language of a `lang` attribute found by LOWER_LANG_ATTR: 'fr' for lang="fr-CA"."""
    return next(value for value in found.groups() if value is not None).split("-")[0].lower()


def _unmask(text: str, saved: list[str]) -> str:
    """Return the text with its masked pieces put back."""
    return PRIVATE_USE.sub(lambda m: saved[ord(m.group(0)) - 0xE000], text) if saved else text
