"""French typography on rendered HTML: no-break spaces and apostrophes, never in code, attributes or URLs.

Text is French where the innermost `lang` attribute says so. Only spaces (U+0020, U+00A0, U+202F) and
apostrophes change, so the pass is idempotent and never alters other visible characters.
"""

from __future__ import annotations

import bisect
import functools
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

NBSP, NNBSP = "\u00a0", "\u202f"
SPACES = " \u00a0\u202f"
# The same spaces, and a character that is none of them, for the patterns: U+202F is beyond Latin-1, and a class
# that holds it among others compiles into a map of all 65,536 characters (1 to 2M instructions each time: the
# rules' classes of spaces were half of the 40M their patterns took to compile). No class here holds it (`{1}`
# keeps the parser from merging the two alternatives back into one class).
SPACE = "(?:[ \u00a0]|\u202f{1})"
NOT_SPACE = "(?!\u202f)[^ \u00a0]"

TAG = r"<!--.*?-->|<![^>]*>|<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>|<[^>]*>"  # a comment, a doctype, a tag
TOKEN = re.compile(TAG, re.S)
PIECES = re.compile(f"({TAG.replace('(', '(?:')})", re.S)  # the same, one group: `split` gives text, tag, …, text
# The same pieces in a page with no comment: each of TAG's other forms ends at the first ">" (a third quicker)
PLAIN_PIECES = re.compile("(<[^>]*>)")
LANG_ATTR = re.compile(r"""\blang\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
# The same in UTF-8 bytes whose ASCII letters are lower-cased, starting with a plain "lang" (which the
# regex engine looks for quickly); the word boundary before it is checked by hand (`_ruled_bytes`). Any byte
# beyond ASCII, and the separators \x1c-\x1f, may be part of a space (Unicode's spaces, which `\s` is in text).
GAP = rb"[\s\x1c-\x1f\x80-\xff]*"
LOWER_LANG_BYTES = re.compile(rb"lang" + GAP + rb"=" + GAP + rb"""(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
SKIP = frozenset({"code", "pre", "script", "style", "kbd", "samp", "textarea", "svg", "math", "var"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                  "track", "wbr"})
INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "data", "dfn", "em", "i", "mark", "q", "s",
                    "small", "span", "strong", "sub", "sup", "time", "u"})

# Entities and URLs are masked with private-use characters while the rules run.
PROTECTED = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);|(?:https?://|mailto:|www\.)[^\s<]+")


def _after_text(marks: str, rest: str = "") -> list[str]:
    """Return the alternatives of a pattern for one of `marks` (each followed by `rest`) with a character other
    than a space just before it: each begins with its mark, which the regex engine looks for quickly (a pattern
    that begins with a lookbehind is tried at every character: 10 to 20 µs a paragraph), then looks behind it."""
    return [f"{re.escape(mark)}(?<={NOT_SPACE}{re.escape(mark)}){rest}" for mark in marks]


# The rules' patterns begin with the characters they look for, for that reason; each finds what the same pattern
# beginning with a lookbehind would (tests/typography_reference.py has those).
APOSTROPHE = re.compile(r"(?:'(?<=\w')|&#39;(?<=\w&#39;)|&#x27;(?<=\w&#x27;)|&apos;(?<=\w&apos;))(?=\w)")
AFTER = r"(?=[\s»)\]’\"'.,]|$)"  # what may follow punctuation that gets a space before it
# A run of high punctuation gets one space before it: U+00A0 before ':', U+202F before ';', '!' and '?'. The
# run, and the spaces before it (which the one space replaces) when there is text before them.
RUN_AFTER_TEXT = _after_text(SPACES, f"{SPACE}*[:;!?]") + _after_text(":;!?")
HIGH_PUNCT = re.compile(f"(?:{'|'.join(RUN_AFTER_TEXT)})[:;!?]*{AFTER}")
HIGH_PUNCT_START = re.compile(rf"^{SPACE}*([:;!?]+){AFTER}")
OPEN_QUOTE = re.compile(rf"«{SPACE}*")
CLOSE_QUOTE = re.compile("|".join(_after_text(SPACES, f"{SPACE}*»") + _after_text("»")))
CLOSE_QUOTE_START = re.compile(rf"^{SPACE}*»")
UNIT = re.compile(r"(\d)[ \u202f](?=(?:h|min|s|ms|km|m|cm|mm|kg|g|ans?|mois|jours?|semaines?|heures?|"
                  r"Go|Mo|ko|°C|pixels?|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
                  r"novembre|décembre)\b)")  # the digit, and the space it is given
SYMBOL = re.compile(r"(?<=\d)[ \u202f]?(?=[%$£]|€{1})")  # (€ is beyond Latin-1: see `SPACE`)


Rule = Callable[[str, str | None], str]
LEADING = re.compile(r"^([:;!?»])")


# (tag, skip, rule for its text, whether it or an element around it is in a language with rules)
Frame = tuple[str, bool, "Rule | None", bool]
# A tag as the pass needs it: (lower-case name, whether it closes, whether it opens an element (not a void or
# self-closed one), the primary language of its `lang` attribute if any (lower-case), whether it is inline)
Tag = tuple[str, bool, bool, "str | None", bool]


def typeset(html: str, rules: dict[str, Rule] | None = None, known: Sequence[tuple[str, str]] = ()) -> str:
    """Return the HTML with each language's typography applied to its text (French by default).

    One pass over the texts and tags (`PIECES` splits the page into them, in C) keeps the open elements
    (their language, and whether they are code) and the last text of the current block: text that starts
    with punctuation may need a no-break space at the end of the text before it (`_Pass`). The page is
    split up to its last element in a language with rules first, and the rest only if the pass goes on (an
    English page's one French element is its language switcher's link, a fifth of the way in), `WINDOW`
    tags at a time: a page that lists every posting of a big site is never whole as pieces (100,000 tags
    and texts were some 6 MiB of a worker, beside the page itself). `typeset_stream` is the same pass over
    a page given in parts.

    `known` are fragments the page may hold, each with its language (a posting's text, which its JobPosting's
    description holds too; the people and steps its page shows, the same for many postings): where the page
    holds one in that language, it is typeset once (`_around`).
    """
    rules = rules if rules is not None else RULES
    # (looked for once: a search for a string of more than one character reads the whole page, 15 µs a posting's)
    commented = "<!--" in html
    ruled = _ruled(html, rules, commented)
    if not ruled or all(_quiet(html, at, rules, commented) for at in ruled):
        return html  # no text in a language with rules that they would change
    last_ruled = ruled[-1]
    if known and not commented and rules is RULES and (around := _around(html, known, last_ruled)) is not None:
        return around
    return _whole(html, _Pass(rules, last_ruled), commented)


def _whole(html: str, typesetting: _Pass, commented: bool | None = None) -> str:
    """Return the page typeset by a new pass over it (`_passed`): split up to its last element in a language with
    rules first (every tag begins with "<": the tags before it, at most, and a few after it). `commented`:
    whether the page has a comment, if known."""
    return _passed(typesetting, [], html, html, min(html.count("<", 0, typesetting.until) + 16, WINDOW), commented)


def _passed(typesetting: _Pass, done: list[str], rest: str, html: str, count: int,
            commented: bool | None = None) -> str:
    """Return the typeset page `html`: what the pass made of it so far (`done`), then the pass over `rest` (what
    is not split yet), `count` tags at first, then `WINDOW` at a time (a page's first few are held), up to its
    end or until the pass is finished (the rest as it is); `html` itself when nothing changed. `commented`:
    whether the page has a comment, if known (False: `rest` has none either)."""
    left: str | None = rest
    while not typesetting.finished and left is not None:
        texts, tags, left = _split(left, count, commented)
        count = WINDOW
        if part := typesetting.feed(texts, tags, lambda held: held >= WINDOW):
            done.append(part)
    if not typesetting.changed:
        return html
    done.append(typesetting.end())
    return "".join(done) + (left or "")


RESET = "<br>"  # a tag that ends the texts of a block, and opens or closes no element


def _around(html: str, known: Sequence[tuple[str, str]], last_ruled: int) -> str | None:
    """Return `typeset(html)`, made with the typeset `known` fragments where the page holds them in their
    language (the page's pass goes on between and after them); None when the page holds none of them so (the
    caller typesets the page as a whole).

    A posting's text is a good part of its page and of its JobPosting's description, both typeset: its
    pass, a third of a French posting page's, ran twice; the people and steps of a posting's page are the
    same for every posting that names the same ones. A fragment's typeset text (`_typeset_closed`,
    remembered) is what the pass makes of it where it stands when the element around it is in the same
    language and in no code (the pass reads nothing else of it), as the fragment closes every element it
    opens, in order, and begins and ends with a tag that ends a block: it starts and leaves the pass as
    any block does. The fragments are taken in the page's order, each where the page first holds it after
    the last one taken (one that overlaps it is left to the pass). Only for pages with no comment (the caller
    looks), whose tags end at their first '>'.
    """
    found = sorted((at, fragment, lang) for fragment, lang in known if fragment and (at := html.find(fragment)) >= 0)
    typesetting = _Pass(RULES, last_ruled)
    done: list[str] = []
    start = 0  # where the page is not looked at yet
    for at, fragment, lang in found:
        if at < start and (at := html.find(fragment, start)) < 0:
            continue  # (only within one taken before)
        head = html[start:at]
        if head.rfind("<") > head.rfind(">") or (made := _typeset_closed(fragment, lang)) is None:
            continue  # (where a tag, or text taken for one, is open; or not a fragment that can be taken)
        pieces = PLAIN_PIECES.split(head)
        # up to the fragment: its first tag ends the block before it, which nothing after changes
        done.append(typesetting.feed(pieces[0::2], [*pieces[1::2], RESET], lambda _: True)[:-len(RESET)])
        if typesetting.finished:
            return None  # (past the last element with rules: the rest would not be looked at)
        typesetting.pos -= len(RESET)
        frame = typesetting.stack[-1]
        if frame[2] is not None and frame[2] is RULES.get(_primary(lang)) and frame[3]:
            done.append(made)
            typesetting.changed = typesetting.changed or made != fragment
            typesetting.pos += len(fragment)
            start = at + len(fragment)
        else:
            start = at  # (the pass goes on over it)
    if not done:
        return None
    return _passed(typesetting, done, html[start:], html, WINDOW, False)


def _primary(lang: str) -> str:
    """Return a language code's primary language, as the pass reads it: 'fr' for 'fr-CA'."""
    return lang.split("-")[0].lower()


@functools.lru_cache(maxsize=16)
def _typeset_closed(fragment: str, lang: str) -> str | None:
    """Return what `typeset_fragment(fragment, lang)` returns, for a fragment that begins and ends with a tag that
    ends a block and closes every element it opens, in order (a text's HTML); None for any other, or a
    language without rules.

    Remembered for a few fragments: a posting's text is typeset for its JobPosting, then found in its page; its
    people and steps are those of many postings' pages, in each language.
    """
    rule = RULES.get(_primary(lang))
    if rule is None or "<!--" in fragment or not fragment.startswith("<") or not fragment.endswith(">"):
        return None
    texts, tags, _ = _split(fragment)
    reads = list(map(_tag, tags[:-1]))  # (the last tag is the end's "")
    if reads[0] is None or reads[0][4] or reads[-1] is None or reads[-1][4]:
        return None
    opened: list[str] = []
    for read in reads:
        if read is None:
            continue
        if read[1]:
            if not opened or opened.pop() != read[0]:
                return None
        elif read[2]:
            opened.append(read[0])
    if opened:
        return None
    typesetting = _Pass(RULES, None)
    typesetting.stack.append(("div", False, rule, True))  # as in `typeset_fragment`'s element
    typesetting.rule = rule
    typesetting.feed(texts, tags, lambda _: False)
    return typesetting.end()


MARKS = 4096  # characters from one mark to the next, at least (the pass over as many takes some 0.3 ms)


class Marks:
    """A typography pass's state at places of a page, each after a tag that ends a block (where no text before it
    changes any more): the place in the page, the place in the typeset page, and the elements open there;
    noted `every` characters or so."""

    __slots__ = ("every", "places", "stacks", "typeset")

    def __init__(self, every: int = MARKS) -> None:
        self.every = every
        self.places: list[int] = []
        self.typeset: list[int] = []
        self.stacks: list[tuple[Frame, ...]] = []

    def take(self, other: Marks, start: int, stop: int, shift: int = 0, shift_typeset: int = 0) -> None:
        """Add `other`'s marks from `start` to `stop`, their places moved by `shift` and `shift_typeset`."""
        self.places += [place + shift for place in other.places[start:stop]]
        self.typeset += [place + shift_typeset for place in other.typeset[start:stop]]
        self.stacks += other.stacks[start:stop]


class Typeset(NamedTuple):
    """A page typeset by `typeset_again`, with what its next call needs to pass over only what changed."""

    html: str
    typeset: str
    marks: Marks


def typeset_again(html: str, last: Typeset | None = None, every: int = MARKS) -> Typeset:
    """Return `typeset(html)` (French rules), passing over only the part of the page that changed since its last
    version (`last`, the result of the last call) where the two differ; what the next call needs with it.

    `serve` makes a site's home page again when a posting's title changes: its 5,000 cards, 100,000 tags and
    texts, took 128 ms to typeset whole for one changed card. The pass notes its state `every` so many
    characters (`Marks`); the page's new version is typeset from the last mark before its first change
    up to a mark, after its last change, where the pass is in the same state as it was there (the same
    elements open, no text held): from there on, the page and the pass are the same as the last time, and so
    is the typeset page. The places are checked, not trusted: a page whose pass does not meet such a mark is
    typeset to its end from where it changed. For pages with no comment (whose tags end at their first '>').
    """
    commented = "<!--" in html
    ruled = _ruled(html, RULES, commented)
    if not ruled or all(_quiet(html, at, RULES, commented) for at in ruled):
        return Typeset(html, html, Marks())
    until = ruled[-1]
    if last is not None and last.marks.places and not commented and (again := _again(html, until, last, every)):
        return again
    marks = Marks(every)
    return Typeset(html, _whole(html, _Pass(RULES, until, marks), commented), marks)


def _again(html: str, until: int, last: Typeset, every: int) -> Typeset | None:
    """Return `typeset_again(html)` made from `last` where the pages differ (as that function says), or None when
    the pass must go over the whole page (it differs before the first mark).

    The pass's `until` (the page's last element with rules) only saves looking at what it would not change: the
    last page's may be elsewhere."""
    old, marks = last.html, last.marks
    size = min(len(old), len(html))
    before = _alike(old, html, size)
    after = _alike(old, html, size - before, from_end=True)
    shift = len(html) - len(old)
    first = bisect.bisect_right(marks.places, before) - 1
    if first < 0:
        return None
    start = marks.places[first]  # the pages are the same up to here, and so is the pass
    typesetting = _Pass.resumed(until, marks, first, every)
    assert typesetting.marks is not None
    done = [last.typeset[:marks.typeset[first]]]
    for index in range(bisect.bisect_left(marks.places, len(old) - after), len(marks.places)):
        end = marks.places[index] + shift  # the same place in the new page: the pages are the same from there
        if end <= start:
            continue
        pieces = PLAIN_PIECES.split(html[start:end])
        done.append(typesetting.feed(pieces[0:-1:2], pieces[1::2], lambda _: True))
        start = end - len(pieces[-1])  # (a tag that goes on past `end` is split with the next part)
        if typesetting.finished:
            return Typeset(html, "".join(done) + typesetting.end() + html[start:], typesetting.marks)
        if (start == end and typesetting.prev is None and typesetting.last < 0
                and tuple(typesetting.stack) == marks.stacks[index]):
            # the same state at the same place: the rest is the last typeset page's, its marks moved
            grown = end + typesetting.grown - marks.typeset[index]
            typesetting.marks.take(marks, index, len(marks.places), shift, grown)
            done += [typesetting.end(), last.typeset[marks.typeset[index]:]]
            return Typeset(html, "".join(done), typesetting.marks)
    return Typeset(html, _passed(typesetting, done, html[start:], html, WINDOW, False), typesetting.marks)


def _alike(one: str, other: str, size: int, from_end: bool = False) -> int:
    """Return how many characters `one` and `other` begin (or end) with alike, at most `size`.

    Compared a block at a time (slices compared in C), then halving the block that differs.
    """
    def same(low: int, high: int) -> bool:
        if from_end:
            return one[len(one) - high:len(one) - low] == other[len(other) - high:len(other) - low]
        return one[low:high] == other[low:high]

    low = 0
    while low < size:
        high = min(low + ALIKE, size)
        if not same(low, high):
            while high - low > 1:  # the first difference is at `low` or after, before `high`
                middle = (low + high) // 2
                if same(low, middle):
                    low = middle
                else:
                    high = middle
            return low
        low = high
    return size


ALIKE = 1 << 16  # characters compared at once by `_alike`


def typeset_stream(parts: Iterable[str], rules: dict[str, Rule] | None = None) -> Iterator[str]:
    """Yield the HTML whose `parts` are given in turn, with each language's typography applied to its text,
    in parts that each end with a tag, but the last.

    The pass of `typeset`, to its end, over pieces split a part at a time: a page made and written in parts
    (a big site's home page) is never whole. Its output is `typeset` of the parts joined.
    """
    typesetting = _Pass(rules if rules is not None else RULES, None)
    carry = ""  # the end of the parts so far that is not a whole piece yet: its text and any tag it begins
    for part in parts:
        window = carry + part if carry else part
        # a comment is the one kind of tag that may hold a ">" (and "<"): an open one is split with the next part
        if (opened := window.rfind("<!--")) >= 0 and window.find("-->", opened + 4) < 0:
            window, carry = window[:opened], window[opened:]
        else:
            carry = ""
        pieces = (PIECES if "<!--" in window else PLAIN_PIECES).split(window)
        carry = pieces[-1] + carry  # (text after the last tag, maybe a tag begun: the next part ends it)
        if done := typesetting.feed(pieces[0:-1:2], pieces[1:-1:2], lambda _: True):
            yield done
    texts, tags, _ = _split(carry)
    typesetting.feed(texts, tags, lambda _: False)
    yield typesetting.end()


class _Pass:
    """One typography pass over a page's texts and tags, given a window of them at a time (`feed`).

    It keeps the open elements (their language, and whether they are code) and the last text of the
    current block: text that starts with punctuation may need a no-break space at the end of the text
    before it, so that text is held until its block ends. `finished` once past `until` (a place in the
    page) and out of every element in a language with rules, or at the page's end: what is not looked at
    then stays as it is.
    """

    def __init__(self, rules: dict[str, Rule], until: int | None, marks: Marks | None = None) -> None:
        self.rules = rules
        self.until = until if until is not None else sys.maxsize
        # where to note the pass's state (`Marks`), after a tag that ends a block, every so many characters
        self.marks = marks
        self.mark = 0 if marks is not None else sys.maxsize  # the page's place from which the next is noted
        self.grown = 0  # how much longer the typeset page is than the page, so far
        self.stack: list[Frame] = [("", False, None, False)]
        self.rule: Rule | None = None  # the innermost open element's rule (None in code, or without rules)
        self.prev: str | None = None  # last character of text in the current block
        self.last = -1  # the index in `texts` of the block's last text, when in a language with rules (else -1)
        self.changed = False
        self.finished = False
        self.pos = 0  # where the current text starts in the page
        self.texts: list[str] = []  # the pieces held: looked at, or not yet when finished
        self.tags: list[str] = []

    def feed(self, more_texts: list[str], more_tags: list[str], flush: Callable[[int], bool]) -> str:
        """Look at the next texts and tags (`texts[i]` before `tags[i]`; an empty tag ends the page); return
        the typeset pieces no later text may change, if `flush` (given how many pieces are held) says to let
        them go, else ""."""
        start = len(self.texts)  # the first piece not looked at yet
        texts, tags = self.texts, self.tags
        texts += more_texts
        tags += more_tags
        stack, rules, rule, prev, last, pos, until = (self.stack, self.rules, self.rule, self.prev, self.last,
                                                      self.pos, self.until)
        mark, grown = self.mark, self.grown
        changed = finished = False
        for index, text, tag, read in zip(range(start, len(texts)), texts[start:], tags[start:],
                                          map(_tag, tags[start:]), strict=True):
            if pos > until and not stack[-1][3]:
                finished = True
                break  # past the last element with rules, and out of it: the rest stays as it is
            if text:
                pos += len(text)
                if rule is None:
                    last = -1
                elif text.isspace():
                    last = index
                else:
                    if last >= 0 and prev is not None and prev in SPACES and (lead := LEADING.match(text)):
                        texts[last] = texts[last][:-1] + (NBSP if lead.group(1) in ":»" else NNBSP)
                        changed = True
                    new = rule(text, prev)
                    if new != text:
                        grown += len(new) - len(text)
                        texts[index] = text = new
                        changed = True
                    if text:
                        last = index
                if text:
                    prev = text[-1]
            if not tag:
                finished = True
                break  # the end of the page
            pos += len(tag)
            if read is None:  # a comment or a doctype
                continue
            name, closing, opens, lang, inline = read
            if closing:
                if stack[-1][0] == name:
                    stack.pop()
                else:
                    _pop(stack, name)
                rule = stack[-1][2]
            elif opens:
                _, parent_skip, parent_rule, parent_ruled = stack[-1]
                skip = parent_skip or name in SKIP
                if lang is None:
                    rule = None if skip else parent_rule
                    stack.append((name, skip, rule, parent_ruled))
                else:
                    own = rules.get(lang)
                    rule = None if skip else own
                    stack.append((name, skip, rule, parent_ruled or own is not None))
            if not inline:
                prev, last = None, -1
                if pos >= mark:
                    mark = self._note(pos, grown)
        self.rule, self.prev, self.pos, self.mark, self.grown = rule, prev, pos, mark, grown
        self.changed, self.finished = self.changed or changed, finished
        keep = (last if last >= 0 else len(texts)) if not finished and flush(len(texts)) else 0
        self.last = last - keep if last >= 0 else -1
        if not keep:
            return ""
        part = _joined(texts[:keep], tags[:keep])
        del texts[:keep], tags[:keep]
        return part

    @classmethod
    def resumed(cls, until: int, marks: Marks, index: int, every: int) -> _Pass:
        """Return a pass (French rules) in the state `marks` noted at their `index`th place, noting marks of its own
        `every` so many characters, those up to that place first."""
        typesetting = cls(RULES, until, Marks(every))
        assert typesetting.marks is not None
        typesetting.marks.take(marks, 0, index + 1)
        typesetting.stack = list(marks.stacks[index])
        typesetting.rule = typesetting.stack[-1][2]
        start = marks.places[index]
        typesetting.pos, typesetting.grown, typesetting.mark = start, marks.typeset[index] - start, start + every
        typesetting.changed = True  # (for `_passed`: what comes before is the typeset page's, changed or not)
        return typesetting

    def _note(self, pos: int, grown: int) -> int:
        """Note the pass's state at `pos`, after a tag that ends a block (`Marks`); return where to note the next."""
        marks = self.marks
        assert marks is not None  # (else the next place is never reached)
        marks.places.append(pos)
        marks.typeset.append(pos + grown)
        marks.stacks.append(tuple(self.stack))
        return pos + marks.every

    def end(self) -> str:
        """Return the typeset pieces still held, and let them go."""
        part = _joined(self.texts, self.tags)
        self.texts, self.tags = [], []
        return part


WINDOW = 8192  # tags split and looked at at once: a page that lists 5,000 postings has 100,000 or more


def _joined(texts: list[str], tags: list[str]) -> str:
    """Return texts and tags in turn (`texts[i]` before `tags[i]`)."""
    pieces = [""] * (2 * len(texts))
    pieces[0::2], pieces[1::2] = texts, tags
    return "".join(pieces)


def _split(html: str, count: int = 0, commented: bool | None = None) -> tuple[list[str], list[str], str | None]:
    """Return the texts and tags of `html` in turn, up to `count` tags (0: all), and the rest not split (None if
    none): `texts[i]` comes before `tags[i]`, and the page's last text has an empty tag after it. `commented`:
    whether `html` may have a comment, if known (False: it has none)."""
    plain = not commented if commented is not None else "<!--" not in html
    pieces = (PLAIN_PIECES if plain else PIECES).split(html, count)
    if count and len(pieces) > 2 * count:
        return pieces[0:-1:2], pieces[1::2], pieces[-1]
    return pieces[0::2], [*pieces[1::2], ""], None


@functools.lru_cache(maxsize=4096)
def _tag(tag: str) -> Tag | None:
    """Return what the pass needs of a tag that `PIECES` found (None for a comment or a doctype).

    Remembered for a few thousand tags: a page has a few hundred, and most are the last page's too.
    """
    found = TOKEN.fullmatch(tag)
    if found is None or found.group(2) is None:
        return None
    closing, name, attrs = found.group(1), found.group(2).lower(), found.group(3)
    lang = _lang_of(attrs) if not closing and "lang" in attrs else None
    return (name, bool(closing), not closing and name not in VOID and not attrs.endswith("/"),
            lang.split("-")[0].lower() if lang is not None else None, name in INLINE)


Opened = TypeVar("Opened", bound=tuple[Any, ...])  # an open element's frame, its tag name first


def _pop(stack: list[Opened], name: str) -> None:
    """Close the innermost open element called `name`, and any left open inside it."""
    for index in range(len(stack) - 1, 0, -1):
        if stack[index][0] == name:
            del stack[index:]
            return


def _ruled(html: str, rules: dict[str, Rule], commented: bool | None = None) -> list[int]:
    """Return where the tags the pass reads as opening an element in a language with rules are, in order (a
    place in each, at or after its start), or more places.

    The pass reads a tag's `lang` only where the tag holds a plain "lang" (`_tag`): each such place in the
    page, found by `str.find` (a few a page, "langue" in French text among them), is looked at only if it
    is in a tag, which is then read as the pass reads it. A page with a comment, where a tag may not end
    at the first '>', is searched as `_ruled_bytes` does. Encoding a page to search its bytes took most of
    the time this takes (a tenth of a French posting page's pass, a third of an English one's). `commented`:
    whether the page has a comment, if known (looking for one in a big page takes a millisecond).
    """
    if commented if commented is not None else "<!--" in html:
        return _ruled_bytes(html, rules)
    found = []
    at = html.find("lang")
    while at >= 0:
        opening = html.find("<", html.rfind(">", 0, at) + 1, at)  # where the piece holding `at` begins, if a tag
        closing = html.find(">", at) if opening >= 0 else -1
        if closing < 0:  # in text
            at = html.find("lang", at + 4)
            continue
        read = _tag(html[opening:closing + 1])
        if read is not None and read[3] is not None and rules.get(read[3]):
            found.append(at)
        at = html.find("lang", closing + 1)
    return found


def _quiet(html: str, at: int, rules: dict[str, Rule], commented: bool | None = None) -> bool:
    """Return True when the tag holding `at` (a place `_ruled` found) opens an element in a language with rules
    whose one text, up to its own end tag right after it, has none of the characters the rules look for: the
    pass would change nothing in it (an English page's one French element is its language switcher's
    link, "Français": its pass, to that link, was a fifth of the page's).

    Only for French (whose rule leaves such a text as it is, whatever comes before it) and a page with no
    comment (where `_ruled`'s places are the tags' own and a tag ends at the first '>'); `commented` as for `_ruled`.
    """
    if commented if commented is not None else "<!--" in html:
        return False
    opening = html.find("<", html.rfind(">", 0, at) + 1, at)  # (as `_ruled` finds it: a tag may hold a "<")
    closing = html.find(">", at)
    read = _tag(html[opening:closing + 1]) if opening >= 0 and closing >= 0 else None
    if read is None or read[3] is None or rules.get(read[3]) is not french_text:
        return False
    if not read[2]:
        return True  # a void or self-closed tag: no element, no text
    after = html.find("<", closing + 1)
    end = html.find(">", after) if after >= 0 else -1
    if end < 0 or TRIGGERS.search(html, closing + 1, after):
        return False
    ending = _tag(html[after:end + 1])
    return ending is not None and ending[1] and ending[0] == read[0]


def _ruled_bytes(html: str, rules: dict[str, Rule]) -> list[int]:
    """Return where `lang` attributes of languages with rules may be, in order (at or after their real place).

    Found in the page's UTF-8 bytes with their ASCII letters lower-cased: a search for a plain "lang" is
    many times quicker than a case-blind one, and `str.lower` takes 12 bytes a character for a page with
    any character beyond ASCII (20 MB for a list of 5,000 postings). A character's offset in the bytes is
    never before its offset in the text. The search may find more than LANG_ATTR would (a character
    beyond ASCII, of which the bytes say nothing, counts as a space between the name and its value, and
    as no letter before the name), never less: such a place only makes the pass go further.
    """
    low = html.encode("utf-8", "surrogatepass").lower()
    return [found.start() for found in LOWER_LANG_BYTES.finditer(low)
            if not _in_word(low, found.start()) and rules.get(_language(found))]


def _in_word(low: bytes, start: int) -> bool:
    """Return True when the byte before `start` is an ASCII letter, digit or '_': a longer name goes on there."""
    before = low[start - 1:start] if start else b""
    return before.isalnum() or before == b"_"


def _language(found: re.Match[bytes]) -> str:
    """Return the primary language of a `lang` attribute found by LOWER_LANG_BYTES: 'fr' for lang="fr-CA".

    An unquoted value ends at a space of any kind, as it does for LANG_ATTR.
    """
    quoted, single, bare = (value.decode("utf-8", "replace") if value is not None else None
                            for value in found.groups())
    words = (bare or "").split(None, 1)
    value = quoted if quoted is not None else single if single is not None else words[0] if words else ""
    return value.split("-")[0].lower()


def _lang_of(attrs: str) -> str | None:
    """Return the value of a `lang` attribute, if the tag has one."""
    found = LANG_ATTR.search(attrs)
    if not found:
        return None
    return next(value for value in found.groups() if value is not None)


TRIGGERS = re.compile(r"[:;!?«»'%€$£\d&](?:(?<=&)(?:#39|#x27|apos);|(?<!&))")  # (beginning with a set)
FIRST_PRIVATE, LAST_PRIVATE = "\ue000", "\uf8ff"  # the private-use characters that mask entities and URLs


def french_text(text: str, prev: str | None) -> str:
    """Return French text with its no-break spaces and typographic apostrophes.

    `prev` is the character just before the text in the same block (None at a block's start).
    """
    if not TRIGGERS.search(text):
        return text
    return _french(text, prev is not None and prev not in SPACES)


@functools.lru_cache(maxsize=256)
def _french(text: str, after_text: bool) -> str:
    """Return what `french_text` returns for a text with a character its rules look for; `after_text` when the
    character before it in its block is not a space.

    Remembered for a few hundred texts: a posting's paragraphs, its facts and its steps are typeset for its
    JobPosting, then again in its page, and every page has the same labels, durations and dates (one text
    in ten was new across the pages of 500 postings; a text's rules take 7 µs, a look-up a tenth of that).
    """
    if "'" in text or "&" in text:
        text = APOSTROPHE.sub("’", text)
    masked, saved = _mask(text)
    if masked is None:
        return text
    # each rule runs only where its characters are (most texts hold a digit or two, and nothing else); the
    # rules add spaces, and never take away or add those characters
    punctuation = ":" in masked or ";" in masked or "!" in masked or "?" in masked
    closing = "»" in masked
    if after_text:
        if punctuation:
            masked = HIGH_PUNCT_START.sub(_spaced, masked)
        if closing:
            masked = CLOSE_QUOTE_START.sub(NBSP + "»", masked)
    if punctuation:
        masked = HIGH_PUNCT.sub(_spaced, masked)
    if "«" in masked:
        masked = OPEN_QUOTE.sub("«" + NBSP, masked)
    if closing:
        masked = CLOSE_QUOTE.sub(NBSP + "»", masked)
    masked = UNIT.sub(r"\g<1>" + NBSP, masked)
    if "%" in masked or "€" in masked or "$" in masked or "£" in masked:
        masked = SYMBOL.sub(NBSP, masked)
    return _unmask(masked, saved)


def _spaced(match: re.Match[str]) -> str:
    """Return a punctuation run (a match of HIGH_PUNCT or HIGH_PUNCT_START: the spaces before it, if any, and
    the run) with the no-break space its first mark takes before it."""
    run = match.group(0).lstrip(SPACES)
    return (NBSP if run[0] == ":" else NNBSP) + run


def _mask(text: str) -> tuple[str | None, list[str]]:
    """Return the text with entities and URLs replaced by private-use characters, and the originals."""
    saved: list[str] = []
    if _private_use(text):
        return None, saved  # already uses private-use characters: leave such text alone
    if "&" not in text and "://" not in text and "mailto:" not in text and "www." not in text:
        return text, saved  # no entity, no URL

    def keep(match: re.Match[str]) -> str:
        saved.append(match.group(0))
        return chr(ord(FIRST_PRIVATE) + len(saved) - 1)

    return PROTECTED.sub(keep, text), saved


def _private_use(text: str) -> bool:
    """Return whether the text has a private-use character (U+E000 to U+F8FF).

    Not a regular expression: a class of characters beyond U+00FF takes the process 0.4 to 0.6 ms to compile,
    a range of thousands more than most; the largest character of most texts is far below the range.
    """
    return max(text, default="") >= FIRST_PRIVATE and any(FIRST_PRIVATE <= c <= LAST_PRIVATE for c in text)


def _unmask(text: str, saved: list[str]) -> str:
    """Return the text with its masked pieces put back (the text had no private-use character before)."""
    return text.translate(dict(enumerate(saved, ord(FIRST_PRIVATE)))) if saved else text


RULES: dict[str, Rule] = {"fr": french_text}


def typeset_plain(text: str, lang: str) -> str:
    """Return plain text (a title, a description, a UI string) with its language's typography.

    Used for text that leaves the page body too: `<title>`, meta descriptions, Open Graph, JSON-LD, feeds.
    """
    rule = RULES.get(lang.split("-")[0].lower())
    return rule(text, None) if rule is not None and text else text


@functools.lru_cache(maxsize=8)
def typeset_fragment(html: str, lang: str, known: str = "") -> str:
    """Return an HTML fragment typeset as if it stood inside an element with `lang`; `known` is a fragment it may
    hold (as for `typeset`), in the same language.

    Remembered for a few calls: a posting's description is typeset for its JobPosting, then asked
    again, the same, for the feeds.
    """
    opening = f'<div lang="{lang}">'
    return typeset(opening + html + "</div>", known=((known, lang),) if known else ())[len(opening):-len("</div>")]
