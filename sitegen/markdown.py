"""Content stage: Markdown to safe HTML (Python-Markdown, one converter reset per document, then nh3).

Python-Markdown's cost grows faster than the text on a few structures (unclosed '[', repeated headings,
footnotes, deep nesting), so `structure_problems` bounds them before a text is converted: any text within
the limits converts in well under a second.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .characters import bidi_character
from .model import Problem

if TYPE_CHECKING:
    import markdown


# What content may contain; everything else (script, style, iframe, forms, event handlers,
# javascript: and data: URLs) is removed.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn", "div",
    "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
})
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "title", "id", "class", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "time": {"datetime"},
    "ol": {"start", "reversed"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


FENCES = ("```", "~~~")  # what every fenced code block starts with
# What each of `extra`'s other extensions needs to find in a text before it changes anything: footnotes
# '[^', abbreviations '*[', attributes '{', tables '|', Markdown in HTML a tag '<', definitions a line whose
# first character but list and quote markers is ':'; and the placeholders Markdown's own passes use
# (STX, ETX: no content may hold them; a text that does is converted with every extension all the same).
EXTRA_SIGNS = ("[^", "*[", "{", "|", "<", "\x02", "\x03")
DEFINITION_PREFIX = re.compile(r"[ \t>*+\-0-9.)]*")  # what may come before a definition's ':' on its line


def holds(text: str, sign: str) -> bool:
    """Return True when `text` holds `sign`, looked for by its last character first: a search for one character is
    some fifty times quicker than for a string of them (which reads a posting's text in 4 µs)."""
    return sign[-1] in text and (len(sign) == 1 or sign in text)


def needs_fences(text: str) -> bool:
    """Return True when a text may hold a fenced code block (without one, fenced_code changes nothing)."""
    return any(holds(text, fence) for fence in FENCES)


def needs_extra(text: str) -> bool:
    """Return True when a text may use the syntax of `extra`'s extensions (fenced code aside, see `needs_fences`):
    without it, a converter without them gives the same HTML.

    Each sign is a substring search (`holds`), then each ':' is looked at from its line's start: one pattern of
    them all would try its alternatives at every character.
    """
    return any(holds(text, sign) for sign in EXTRA_SIGNS) or _definition_line(text)


def _definition_line(text: str) -> bool:
    """Return True when a line of the text has a ':' with only list and quote markers before it."""
    start = 0
    while (colon := text.find(":", start)) >= 0:
        if DEFINITION_PREFIX.fullmatch(text, text.rfind("\n", 0, colon) + 1, colon):
            return True
        start = colon + 1
    return False


def make_converter(fences: bool = True, extra: bool = True) -> markdown.Markdown:
    """Return a converter with the site's extensions: tables, footnotes, attributes, heading ids.

    Without `fences`, the converter lacks fenced code blocks (`extra`'s first extension) and gives the
    same HTML for every text without a fence: importing that extension imports Pygments (for code
    highlighting, which the site does not use), which takes as long as importing Markdown itself.
    Without `extra`, it lacks the others too (footnotes, attributes, definitions, tables, abbreviations,
    Markdown in HTML), and gives the same HTML for every text `needs_extra` finds none of their syntax
    in: most texts (all of the real site's), which then convert without importing and setting up six
    extensions (a sixth of the real site's parse) or running their passes.
    """
    import markdown
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.toc import TocExtension, TocTreeprocessor

    # Extensions given as objects, not names: for a name, Markdown first lists every installed package's
    # entry points, which takes longer than importing Markdown itself. So `extra` is given as the
    # extensions it names, in its order (`markdown.extensions.extra.extensions`): `ExtraExtension` would
    # register them by name.
    chosen: list[markdown.extensions.Extension] = []
    if fences:
        from markdown.extensions.fenced_code import FencedCodeExtension

        chosen.append(FencedCodeExtension())
    if extra:
        from markdown.extensions.abbr import AbbrExtension
        from markdown.extensions.attr_list import AttrListExtension
        from markdown.extensions.def_list import DefListExtension
        from markdown.extensions.footnotes import FootnoteExtension
        from markdown.extensions.md_in_html import MarkdownInHtmlExtension
        from markdown.extensions.tables import TableExtension

        chosen += [FootnoteExtension(), AttrListExtension(), DefListExtension(), TableExtension(), AbbrExtension(),
                   MarkdownInHtmlExtension()]
    toc = _quiet_toc(TocExtension, TocTreeprocessor)(permalink=False)  # heading ids, no links to them
    converter = markdown.Markdown(extensions=[*chosen, SaneListExtension(), toc], output_format="html")
    if (quick := _quick_inline_class()) is not None:
        converter.treeprocessors.register(quick(converter), "inline", INLINE_PRIORITY)
    _quick_blocks(converter.parser)
    _quick_tree_passes(converter, _quick_block_level(converter))
    _quick_serializer(converter)
    _quick_preprocessors(converter)
    return converter


def _quick_preprocessors(converter: markdown.Markdown) -> None:
    """Make the converter's two passes over the text's lines, before it is cut into blocks, skip what finds nothing:
    the line of spaces made empty (`NormalizeWhitespace`), by a pattern that begins with a lookbehind and is
    tried at every character, runs only on a text with a space before a line's end; the raw HTML taken out
    (`HtmlBlockPreprocessor`, Python's HTML parser over the whole text: a twentieth of a posting's conversion),
    only on a text with a '<' or a '&' (with neither, the parser hands the whole text back as data, as it is).
    Each is left as it is where the converter lacks it, or it is not Markdown's."""
    import markdown.preprocessors as stock
    from markdown import util

    passes = converter.preprocessors
    if "normalize_whitespace" in passes and type(passes["normalize_whitespace"]) is stock.NormalizeWhitespace:
        tab_length, marks = converter.tab_length, (util.STX, util.ETX)

        def normalize(lines: list[str]) -> list[str]:  # `NormalizeWhitespace.run`
            source = "\n".join(lines)
            for mark in marks:
                if mark in source:
                    source = source.replace(mark, "")
            if "\r" in source:
                source = source.replace("\r\n", "\n").replace("\r", "\n")
            source = (source + "\n\n").expandtabs(tab_length)
            if " \n" in source:  # (what the pattern finds: spaces, then a line's end)
                source = SPACE_LINE.sub("\n", source)
            return source.split("\n")

        passes["normalize_whitespace"].run = normalize  # type: ignore[method-assign]
    if "html_block" in passes and type(passes["html_block"]) is stock.HtmlBlockPreprocessor:
        extract = passes["html_block"].run

        def raw_html(lines: list[str]) -> list[str]:  # `HtmlBlockPreprocessor.run`
            for line in lines:
                if "<" in line or "&" in line:
                    return extract(lines)
            return lines

        passes["html_block"].run = raw_html  # type: ignore[method-assign]


SPACE_LINE = re.compile(r"(?<=\n) +\n")  # a line of spaces, as `NormalizeWhitespace` finds it


def _quick_block_level(converter: markdown.Markdown) -> Callable[[Any], bool]:
    """Have the converter tell block-level tags by a set, and return what tells them: Markdown looks each tag up
    in a list of some sixty names (`block_level_elements`), a few times for each element of a text. The set is
    made from that list once its extensions have changed it, and each name's answer kept: the same answers."""
    names = frozenset(converter.block_level_elements)
    known: dict[str, bool] = {}  # tag name → whether it is block-level

    def is_block_level(tag: Any) -> bool:
        if not isinstance(tag, str):
            return False  # (Markdown's function for comments, or no tag)
        found = known.get(tag)
        if found is None:
            found = known[tag] = tag.lower().rstrip("/") in names
        return found

    converter.is_block_level = is_block_level  # type: ignore[method-assign]
    return is_block_level


def _quick_serializer(converter: markdown.Markdown) -> None:
    """Make the converter write its tree as Markdown's HTML serializer does, an element at a time by recursion (its
    own keeps a queue of elements and strings, and asks of each element whether it is a comment, a processing
    instruction, a qualified name or a text: a tenth of a posting's conversion). A tree that holds any of those
    (an element whose tag is not a string) is written by Markdown's. Left as it is unless the converter writes
    HTML with Markdown's serializer."""
    from markdown import serializers

    if converter.serializer is not serializers.to_html_string or not all(
            hasattr(serializers, name) for name in ("_escape_cdata", "_escape_attrib_html", "HTML_EMPTY",
                                                    "BOOLEAN_ATTRIBUTES")):
        return
    stock: Any = serializers  # (the serializer's own helpers, by their names)
    escape, escape_attribute = stock._escape_cdata, stock._escape_attrib_html
    empty, boolean = stock.HTML_EMPTY, stock.BOOLEAN_ATTRIBUTES["html"]

    def write(element: Any, out: Callable[[str], None]) -> None:  # `_serialize_html`, for an element of a tree
        tag, text, tail = element.tag, element.text, element.tail
        if type(tag) is not str:
            raise _Unusual
        if element.attrib:
            out(f"<{tag}")
            for name, value in sorted(element.items()):
                if type(name) is not str or not isinstance(value, str | None):
                    raise _Unusual
                if value is None:
                    out(f" {name}")
                elif (value := escape_attribute(value)) == name and name in boolean:
                    out(f" {value}")
                else:
                    out(f' {name}="{value}"')
            out(">")
        else:
            out(f"<{tag}>")
        lowered = tag.lower()
        if text:
            out(escape(text) if ("&" in text or "<" in text or ">" in text) and lowered not in RAW_TEXT else text)
        for child in element:
            write(child, out)
        if lowered not in empty:
            out(f"</{tag}>")
        if tail:
            out(escape(tail) if "&" in tail or "<" in tail or ">" in tail else tail)

    def serialize(root: Any) -> str:
        parts: list[str] = []
        try:
            write(root, parts.append)
        except _Unusual:
            return serializers.to_html_string(root)
        return "".join(parts)

    converter.serializer = serialize


RAW_TEXT = ("script", "style")  # the elements whose text Markdown's serializer writes as it is


class _Unusual(Exception):
    """A tree the quick serializer leaves to Markdown's (a comment, a qualified name, an attribute not a string)."""


def _quick_tree_passes(converter: markdown.Markdown, block: Callable[[Any], bool]) -> None:
    """Make the converter's last two passes over the tree (line breaks after block elements; escaped characters
    put back) do what Markdown's do, with fewer calls: the first asks `block` (`_quick_block_level`'s) whether a
    tag is block-level, not the converter's method; the second runs its pattern only on the texts that hold
    the mark it looks for (most hold none). Each is left as it is where the converter lacks it."""
    from markdown import util

    def prettify(root: Any) -> None:  # `PrettifyTreeprocessor._prettifyETree`, each element once, in any order
        pending = [root]
        while pending:
            elem = pending.pop()
            tag = elem.tag
            if block(tag) and tag != "code" and tag != "pre":
                text = elem.text
                if (not text or not text.strip()) and len(elem) and block(elem[0].tag):
                    elem.text = "\n"
                pending.extend(child for child in elem if block(child.tag))
            tail = elem.tail
            if not tail or not tail.strip():
                elem.tail = "\n"

    passes = converter.treeprocessors
    if "prettify" in passes and hasattr(passes["prettify"], "_prettifyETree"):
        passes["prettify"]._prettifyETree = prettify
    if "unescape" in passes and hasattr(passes["unescape"], "unescape"):
        unescape, mark = passes["unescape"].unescape, util.STX

        def unescape_tree(root: Any) -> None:  # `UnescapeTreeprocessor.run`, on the texts that hold its mark
            for elem in root.iter():
                text = elem.text
                if text and mark in text and elem.tag != "code":
                    elem.text = unescape(text)
                tail = elem.tail
                if tail and mark in tail:
                    elem.tail = unescape(tail)

        passes["unescape"].run = unescape_tree  # type: ignore[method-assign]


# What each of Markdown's block processors, by the name it is registered under, cannot take a block without: the
# block holds one of these (each processor's pattern needs it; the reference processor looks in its `run`).
BLOCK_TRIGGERS: dict[str, tuple[str, ...]] = {
    "hashheader": ("#",), "setextheader": ("\n=", "\n-"), "quote": (">",), "reference": ("]:",),
    # a rule's first two marks, with at most two spaces between them (its pattern: each mark, then up to two spaces)
    "hr": tuple(f"{mark}{gap}{mark}" for mark in "-_*" for gap in ("", " ", "  ")),
}


def _quick_blocks(parser: Any) -> None:
    """Make `parser` try on a block only the block processors whose trigger it holds (those of no known trigger,
    always), and on a block that begins with a letter none of those that only take a block beginning with a space,
    a digit or a list's mark (`LED`): as Markdown's own `BlockParser.parseBlocks`, with the processors listed once,
    not for each block (a list's items are blocks parsed one by one: five tests each, in Python, for nothing).

    The processors are those the converter was made with (extensions register theirs as it is made).
    """
    processors = parser.blockprocessors
    led = [parser.md.tab_length > 0 and name in LED and _markdowns(processor, STOCK_BLOCKS[name])
           for processor, name in zip(processors, _names(processors, LED), strict=True)]
    tried = list(zip(processors, [_by_last(BLOCK_TRIGGERS[name]) if name else None
                                  for name in _names(processors, BLOCK_TRIGGERS)], led, strict=True))
    bulleted = _bulleted(parser)

    def parse_blocks(parent: Any, blocks: list[str]) -> None:
        while blocks:
            if bulleted is not None and blocks[0][:1] in LIST_MARKS and bulleted(parent, blocks[0]):
                del blocks[0]
                continue
            lettered = blocks[0][:1].isalpha()  # (most paragraphs and list items)
            for processor, triggers, spaced in tried:
                if spaced and lettered:
                    continue  # (its test needs a block that begins with a space, a line's end, a digit or a mark)
                if triggers is not None:
                    block = blocks[0]
                    for last, longer in triggers:
                        if last in block and (not longer or any(trigger in block for trigger in longer)):
                            break
                    else:  # (as its test, or its run, would find nothing)
                        continue
                if processor.test(parent, blocks[0]) and processor.run(parent, blocks) is not False:
                    break

    parser.parseBlocks = parse_blocks


def _bulleted(parser: Any) -> Callable[[Any, str], bool] | None:
    """Return what makes, of a block of bulleted lines each beginning with a letter (`- Item`), the list Markdown
    makes of it, and says whether it did; None unless the parser's processors are Markdown's own (with or without
    `sane_lists`), and `extra`'s none of them.

    Such a block is the bulleted list's (no processor before it takes a line that begins with a mark, then a
    letter), whose items each are the text of an element of their own: Markdown parses each as a block (its
    processors, but the list's, tried on it in turn) to find so. A list that follows another, which Markdown
    joins to it, or that is in a list itself, is left to Markdown.
    """
    from xml.etree import ElementTree as etree  # (Markdown's elements)

    processors = parser.blockprocessors
    names = _names(processors, STOCK_BLOCKS)
    if names != list(STOCK_BLOCKS) or parser.md.tab_length < 1 or not all(
            _markdowns(processor, STOCK_BLOCKS[name]) for processor, name in zip(processors, names, strict=True)):
        return None
    lists = processors["ulist"]
    siblings, tag = tuple(lists.SIBLING_TAGS), lists.TAG

    def bulleted(parent: Any, block: str) -> bool:
        lines = block.split("\n")
        if not all(map(BULLETED_LINE.match, lines)) or parser.state or (
                len(parent) and parent[-1].tag in siblings):
            return False
        made = etree.SubElement(parent, tag)
        for line in lines:
            etree.SubElement(made, "li").text = line[2:]
        return True

    return bulleted


LIST_MARKS = "*+-"
BULLETED_LINE = re.compile(r"[*+-] [^\W\d_]")  # a list's mark, one space, and a letter
# Markdown's block processors by the name each is registered under, in their order (`sane_lists`' lists too)
STOCK_BLOCKS = {
    "empty": ("EmptyBlockProcessor",), "indent": ("ListIndentProcessor",), "code": ("CodeBlockProcessor",),
    "hashheader": ("HashHeaderProcessor",), "setextheader": ("SetextHeaderProcessor",), "hr": ("HRProcessor",),
    "olist": ("OListProcessor", "SaneOListProcessor"), "ulist": ("UListProcessor", "SaneUListProcessor"),
    "quote": ("BlockQuoteProcessor",), "reference": ("ReferenceProcessor",), "paragraph": ("ParagraphProcessor",),
}


# Markdown's block processors whose test is true only for a block that begins with a space, a line's end (or is
# empty), a digit, or a list's mark, by the name each is registered under (their classes: `STOCK_BLOCKS`)
LED = frozenset({"empty", "indent", "code", "olist", "ulist"})


def _markdowns(item: Any, classes: tuple[str, ...]) -> bool:
    """Return True when a processor or pattern is an instance of one of Markdown's own `classes` (by their names),
    not of a class of an extension's or of the site's."""
    kind = type(item)
    return kind.__name__ in classes and kind.__module__.startswith("markdown.")


def _by_last(triggers: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """Return triggers grouped by their last character: each character, and those of its triggers longer than it
    (a block holds one of them only if it holds the character, which is looked for some fifty times quicker
    than a string of several: a rule's nine triggers were a tenth of converting a posting's text)."""
    grouped: dict[str, list[str]] = {}
    for trigger in triggers:
        grouped.setdefault(trigger[-1], []).append(trigger)
    return [(last, () if last in found else tuple(found)) for last, found in grouped.items()]


def _names(registry: Any, known: Iterable[str]) -> list[str]:
    """Return the names a Markdown registry's items are registered under, in their order: those `known`
    ('' for the others)."""
    names = [""] * len(registry)
    for name in known:
        if name in registry:
            names[registry.get_index_for_name(name)] = name
    return names


# what a heading's text without markup may not hold for its name to be the text: what Markdown's serializer
# escapes, and the marks of its escapes and stashed HTML
PLAIN_HEADING_STOPS = re.compile("[&<>\x02\x03]")
MAX_SLUGS = 4096  # headings' slugs a converter remembers
TOC_MARKER = "[TOC]"  # where a text asks for its table of contents (the `toc` extension's default marker)


@functools.cache
def _quiet_toc(extension: type, processor: type) -> type:
    """Return the `toc` extension, made to build a table of contents only for a text that asks for one.

    Markdown builds each text's table, prettifies and serializes it (for `Markdown.toc` and `toc_tokens`, which
    the site never reads), and looks through the whole document for the marker: a tenth of a posting's
    conversion. The marker is set for each text (`convert_markdown`): the text's own where it holds it, else
    none; a text without it gets its headings' ids only (`heading_ids`).
    """
    import html
    from xml.etree import ElementTree

    from markdown.extensions.toc import remove_fnrefs, render_inner_html, strip_tags, unique

    class QuietTocTreeprocessor(processor):  # type: ignore[misc]
        """The `toc` pass, without a table where the text has no marker."""

        def build_toc_div(self, toc_list: list[Any]) -> ElementTree.Element:
            return super().build_toc_div(toc_list) if self.marker else ElementTree.Element("div")

        def run(self, doc: ElementTree.Element) -> None:
            if self.marker:
                super().run(doc)
            else:
                self.heading_ids(doc)

        def heading_ids(self, doc: ElementTree.Element) -> None:
            """Give the headings the ids, and the rest of the changes, Markdown's pass gives them (`run`), without
            the table: for each heading, its name is its text, or (where it holds markup, an entity or an
            escape) what Markdown makes of its HTML, each a serialization and five passes over it."""
            used = {element.attrib["id"] for element in doc.iter() if "id" in element.attrib}
            counters: dict[str, int] = {}
            for element in doc.iter():
                if not (isinstance(element.tag, str) and self.header_rgx.match(element.tag)):
                    continue
                self.set_level(element)
                if "id" not in element.attrib:
                    text = element.text or ""
                    name = (" ".join(text.split()) if not len(element) and not PLAIN_HEADING_STOPS.search(text)
                            else strip_tags(render_inner_html(remove_fnrefs(element), self.md)))
                    element.attrib["id"] = unique(self.slug(name), used, counters)
                element.attrib.pop("data-toc-label", None)
                if self.use_anchors:
                    self.add_anchor(element, element.attrib["id"])
                if self.use_permalinks not in [False, None]:
                    self.add_permalink(element, element.attrib["id"])

        def slug(self, name: str) -> str:
            """Return the name's slug (`slugify` of its text, entities read): remembered for a few thousand names, as
            the postings of a site share most of their headings."""
            slugs: dict[str, str] = self.__dict__.setdefault("slugs", {})
            found = slugs.get(name)
            if found is None:
                if len(slugs) >= MAX_SLUGS:
                    slugs.clear()
                found = slugs[name] = self.slugify(html.unescape(name), self.sep)
            return found

    class QuietTocExtension(extension):  # type: ignore[misc]
        TreeProcessorClass = QuietTocTreeprocessor

    return QuietTocExtension


INLINE_PRIORITY = 20  # the inline pass's place among Markdown's tree passes (`build_treeprocessors`)
# What each of Markdown's inline patterns, by the name it is registered under, cannot match without: the
# text it looks at holds one of these (the first character of its regular expression, or a lookahead's).
# A pattern of another name, or added by an extension, is always tried; emphasis is tried on its tokens.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",), "escape": ("\\",), "reference": ("[",), "link": ("[",), "image_link": ("![",),
    "image_reference": ("![",), "short_reference": ("[",), "short_image_ref": ("![",), "autolink": ("<",),
    "automail": ("<",), "linebreak": ("  \n",), "html": ("<",), "entity": ("&",), "footnote": ("[^",),
}


@functools.cache
def _quick_inline_class() -> type | None:
    """Return Markdown's inline pass, made to try on a text only the patterns whose trigger it holds.

    Markdown tries each of its 13 inline patterns on each text of a document (a posting has some 40),
    each try a Python call that runs the pattern's regular expression: most find nothing, as most texts
    hold no '`', '\\', '<', '&' or '*'. Skipping a pattern a text lacks the trigger of is what the try would
    do, one substring search later: the HTML is the same, a third of a posting's conversion sooner.
    None (Markdown's own pass) where Markdown's pass no longer has the four methods this one builds on.
    """
    from xml.etree import ElementTree as etree  # (Markdown's elements)

    from markdown import util
    from markdown.inlinepatterns import DelimiterProcessor
    from markdown.treeprocessors import InlineProcessor

    if not all(hasattr(InlineProcessor, name) for name in (HANDLE_INLINE, APPLY_PATTERN, STASH_NODE,
                                                            PROCESS_PLACEHOLDERS)):
        return None

    class QuickInlineProcessor(InlineProcessor):
        """Markdown's inline pass, skipping the patterns a text holds no trigger of.

        The patterns' triggers are read again only when the converter's patterns are not the ones they were
        read from (reading them took 36 µs, a twentieth of converting a posting's text).
        """

        seen: tuple[Any, ...] = ()  # the patterns `tried` and `sieve` were made from, in order
        simple = False

        def run(self, tree: Any, ancestors: list[str] | None = None) -> Any:
            patterns = tuple(self.inlinePatterns)
            if patterns != self.seen:
                triggers = _triggers(self.inlinePatterns, DelimiterProcessor)
                self.tried = list(zip(patterns, triggers, strict=True))
                self.sieve = _sieve(triggers)
                self.simple = self.sieve is not None and _stock_patterns(self.inlinePatterns)
                self.seen = patterns
            if self.simple and self.sieve is not None:
                return self._run(tree, self.sieve)
            return super().run(tree, ancestors)

        def _run(self, tree: Any, sieve: Sieve) -> Any:
            """Markdown's `run` for its own patterns, without its note of each text's ancestors (which only a pattern
            that excludes some looks at: none of Markdown's), and with the texts that hold neither a trigger nor a
            placeholder (an element that a pattern made inside another leaves one in its tail) left as they are:
            Markdown took each out of its element and put it back. Elements are visited in Markdown's order, the
            tails' elements inserted as it inserts them (and so visited as it visits them)."""
            self.stashed_nodes, self.ancestors, self.parent_map = {}, [], {}
            handle, place = getattr(self, HANDLE_INLINE), getattr(self, PROCESS_PLACEHOLDERS)
            queue, next_index = [tree], 0
            while next_index < len(queue):
                current = queue[next_index]
                next_index += 1
                inserted = []
                for child in current:
                    text = child.text
                    if text and not isinstance(text, util.AtomicString) and (sieve(text) or STX in text):
                        child.text = None
                        made = place(handle(text), child)
                        queue += [node for node, _ in made]
                        inserted.append((child, made))
                    tail = child.tail
                    if tail and not isinstance(tail, util.AtomicString) and (sieve(tail) or STX in tail):
                        holder = etree.Element("d")
                        child.tail = None
                        made = place(handle(tail), holder, False)
                        if holder.tail:
                            child.tail = holder.tail
                        at = list(current).index(child) + 1
                        for node, _ in reversed(made):
                            current.insert(at, node)
                    if len(child):
                        queue.append(child)
                for element, made in inserted:
                    for at, (node, _) in enumerate(made):
                        element.insert(at, node)
            return tree

        def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # (Markdown's names)
            if isinstance(data, util.AtomicString):
                return data
            if self.sieve is not None and self.sieve(data) is None:
                return data  # (no pattern's trigger: every try would find nothing)
            if patternIndex == 0 and self.simple and (done := self._simply(data)) is not None:
                return done
            apply, tried, start = getattr(self, APPLY_PATTERN), self.tried, 0
            while patternIndex < len(tried):
                pattern, triggers = tried[patternIndex]
                if triggers is not None:
                    for trigger in triggers:
                        if trigger in data:
                            break
                    else:  # (as a try that finds nothing)
                        patternIndex, start = patternIndex + 1, 0
                        continue
                data, matched, start = apply(pattern, data, patternIndex, start)
                if not matched:
                    patternIndex += 1
            return data

        def _simply(self, data: str) -> str | None:
            """Return the text with placeholders for its links and strong words, the elements Markdown's patterns
            would make of them stashed as they would stash them, when those are its only syntax; else None.

            A plain link (`[text](/path)`) and strong words (`**words**`) are made here, one Python call each:
            Markdown's pass tries every pattern whose trigger the text holds on it, reads a link's brackets a
            character at a time, and a posting's paragraphs hold a link each (a fifth of its conversion).
            """
            parts = SIMPLE_INLINE.split(data)  # text, a link's text and address or strong words, text, …
            if len(parts) == 1 or self.sieve is None or not _plain_around(parts, self.sieve):
                return None
            stash, pieces = getattr(self, STASH_NODE), [parts[0]]
            for index in range(0, len(parts) - 1, 4):
                label, href, strong = parts[index + 1:index + 4]
                if label is not None:
                    element = etree.Element("a")  # (`LinkInlineProcessor.handleMatch`)
                    element.text = label
                    element.set("href", href)
                else:
                    element = etree.Element("strong")
                    element.text = strong
                pieces += (stash(element, "simple"), parts[index + 4])
            return "".join(pieces)

    return QuickInlineProcessor


# a link whose text has no brackets and whose address is one plain word (`LinkInlineProcessor.getLink` takes it as
# it is, no title), and strong words (a '**' before a non-space, a '**' after one: Markdown's '*' delimiters)
SIMPLE_INLINE = re.compile(r"\[([^\[\]\n]+)\]\(([^\s()<>'\"\\`\[\]]+)\)|\*\*([^\s*](?:[^*\n]*[^\s*])?)\*\*")


def _plain_around(parts: list[Any], sieve: Sieve) -> bool:
    """Return True when the pieces `SIMPLE_INLINE` splits a text into (texts, links' texts, strong words) hold no
    inline pattern's trigger, and no link's text begins with '^' (a footnote's) or follows a '!' (an image's)."""
    for index in range(0, len(parts) - 1, 4):
        text, label, _, strong = parts[index:index + 4]
        if sieve(text) is not None or sieve(strong if label is None else label) is not None:
            return False
        if label is not None and (label[0] == "^" or text.endswith("!")):
            return False
    return sieve(parts[-1]) is None


# Markdown's inline patterns (and `footnotes`'), by the name each is registered under, in their order: the
# converters' own, for which `_simply` makes what they would
STOCK_INLINE = {
    "backtick": "BacktickInlineProcessor", "escape": "EscapeInlineProcessor", "footnote": "FootnoteInlineProcessor",
    "reference": "ReferenceInlineProcessor", "link": "LinkInlineProcessor", "image_link": "ImageInlineProcessor",
    "image_reference": "ImageReferenceInlineProcessor", "short_reference": "ShortReferenceInlineProcessor",
    "short_image_ref": "ShortImageReferenceInlineProcessor", "autolink": "AutolinkInlineProcessor",
    "automail": "AutomailInlineProcessor", "linebreak": "SubstituteTagInlineProcessor", "html": "HtmlInlineProcessor",
    "entity": "HtmlInlineProcessor", "em_strong": "DelimiterProcessor",
}


def _stock_patterns(patterns: Any) -> bool:
    """Return True when a converter's inline patterns are Markdown's own, in their order (with or without
    footnotes), its emphasis taking '*' as Markdown does by default: no pattern added, taken out or replaced."""
    names = _names(patterns, STOCK_INLINE)
    if "" in names or [name for name in STOCK_INLINE if name in names] != names:
        return False
    if not all(_markdowns(pattern, (STOCK_INLINE[name],)) for name, pattern in zip(names, patterns, strict=True)):
        return False
    stars = getattr(patterns["em_strong"], "delimiters", {}).get("*")
    return stars is not None and (stars.tags, stars.smart, stars.double, stars.single) == (("strong", "em"), False,
                                                                                           False, False)


STX = "\x02"  # how Markdown's placeholders begin (`util.STX`)
HANDLE_INLINE, APPLY_PATTERN, STASH_NODE, PROCESS_PLACEHOLDERS = (
    "_InlineProcessor__handleInline", "_InlineProcessor__applyPattern", "_InlineProcessor__stashNode",
    "_InlineProcessor__processPlaceholders")


@functools.lru_cache(maxsize=8)
def _sieve(triggers: tuple[tuple[str, ...] | None, ...]) -> Sieve | None:
    """Return what finds any of the inline patterns' `triggers` in a text (None where a pattern has none: it is
    tried on every text): most texts of a posting (its list items, its headings) hold none, and one search
    tells so where trying each pattern's triggers in turn took a dozen.

    The one-character triggers are looked for as one class of characters, then each longer one that holds none
    of them (a line break's two spaces; '![' holds '['): an alternation of them all, some beginning with a
    space, was tried at every space of a text (1 µs a list item, against 0.6 µs).
    """
    if any(found is None for found in triggers):
        return None
    marks = {mark for found in triggers if found is not None for mark in found}
    chars = sorted(mark for mark in marks if len(mark) == 1)
    longer = tuple(sorted(mark for mark in marks if len(mark) > 1 and not any(char in mark for char in chars)))
    search = re.compile(f"[{''.join(map(re.escape, chars))}]").search if chars else None

    def sieve(text: str) -> object | None:
        if search is not None and (found := search(text)) is not None:
            return found
        for mark in longer:
            if mark in text:
                return mark
        return None

    return sieve


Sieve = Callable[[str], object | None]  # a trigger found in a text (never false), or None


def _triggers(patterns: Any, delimiters: type) -> tuple[tuple[str, ...] | None, ...]:
    """Return the triggers of each of a converter's inline patterns, in the order they are tried (None: any text)."""
    return tuple(tuple(getattr(pattern, "tokens", ())) if type(pattern) is delimiters else TRIGGERS.get(name)
                 for pattern, name in zip(patterns, _names(patterns, TRIGGERS), strict=True))


def render_markdown(converter: markdown.Markdown, text: str) -> str:
    """Return the sanitized HTML for one document, leaving the converter clean for the next."""
    return sanitize(convert_markdown(converter, text))


def convert_markdown(converter: markdown.Markdown, text: str) -> str:
    """Return the HTML Python-Markdown makes of one document, before sanitizing."""
    converter.reset()
    if "toc" in converter.treeprocessors:  # (a text without the marker has none of its paragraphs)
        toc: Any = converter.treeprocessors["toc"]
        toc.marker = TOC_MARKER if TOC_MARKER in text else ""
    return converter.convert(text)


MAX_LINES = 2000
MAX_LINE_LENGTH = 10_000
MAX_NESTING = 16  # levels of lists (four columns each) and quotes
MAX_EMPHASIS_RUN = 50  # '*' or '_' in a row: each pair nests one more element
MAX_HEADINGS = 200
MAX_FOOTNOTES = 200
MAX_BRACKET_WORK = 2_000_000  # the sum over paragraphs of their '[' and '<' count times their length
QUOTES = re.compile(r"^\s*((?:>\s?)+)")
EMPHASIS_RUN = re.compile(rf"\*{{{MAX_EMPHASIS_RUN + 1},}}|_{{{MAX_EMPHASIS_RUN + 1},}}")
HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
FOOTNOTE = re.compile(r"^ {0,3}\[\^[^\]]+\]:")


LONG_LINE = re.compile(rf"[^\n]{{{MAX_LINE_LENGTH + 1}}}")
# a line's depth is at most the length of its start in these (a line after the first: found from its '\n')
DEEP_START = rf"(?:[^\S\n]|>){{{MAX_NESTING + 1}}}"
DEEP_FIRST_LINE, DEEP_LINE = re.compile(DEEP_START), re.compile("\n" + DEEP_START)
RUNS = ("*" * (MAX_EMPHASIS_RUN + 1), "_" * (MAX_EMPHASIS_RUN + 1))  # what EMPHASIS_RUN finds


def structure_problems(body: str, first_line: int, src_path: str) -> list[Problem]:
    """Return the problems of a Markdown text that no page may show or that would convert too slowly."""
    problems = _character_problems(body, first_line, src_path)
    if _plainly_within_limits(body):
        return problems
    return problems + _line_problems(body, first_line, src_path)


def _plainly_within_limits(body: str) -> bool:
    """Return True when a look at the whole text shows that none of its lines can break a limit (most texts);
    False when `_line_problems` must look line by line."""
    return (body.count("\n") < MAX_LINES and LONG_LINE.search(body) is None
            and (body.count("[") + body.count("<")) * (len(body) + 1) <= MAX_BRACKET_WORK
            and RUNS[0] not in body and RUNS[1] not in body
            and DEEP_FIRST_LINE.match(body) is None and DEEP_LINE.search(body) is None
            and body.count("#") <= MAX_HEADINGS and body.count("[^") <= MAX_FOOTNOTES)


def _line_problems(body: str, first_line: int, src_path: str) -> list[Problem]:
    """Return the problems of a Markdown text's lines: too many, too long, too deep, too slow to convert."""
    problems: list[Problem] = []
    lines = body.split("\n")
    if len(lines) > MAX_LINES:
        return [*problems, Problem(src_path, first_line + MAX_LINES, f"the text has more than {MAX_LINES} lines",
                                   "split it into several pages", 1)]
    headings = footnotes = work = 0
    paragraph_start, paragraph_len, paragraph_brackets = 0, 0, 0
    for index, line in enumerate([*lines, ""]):  # code counts too: an unclosed fence is no code block
        if not line.strip():
            work += paragraph_brackets * paragraph_len
            if work > MAX_BRACKET_WORK:
                return [*problems, Problem(src_path, first_line + paragraph_start,
                                           "the text has too many '[' or '<' in long paragraphs",
                                           "write links as [text](url), escape other brackets as \\[ and \\<, "
                                           "or use shorter paragraphs", 1)]
            paragraph_start, paragraph_len, paragraph_brackets = index + 1, 0, 0
            continue
        if len(line) > MAX_LINE_LENGTH:
            return [*problems, Problem(src_path, first_line + index, f"the line is longer than {MAX_LINE_LENGTH} "
                                       "characters", "break it into several lines or paragraphs", MAX_LINE_LENGTH)]
        if run := EMPHASIS_RUN.search(line):
            problems.append(Problem(src_path, first_line + index, f"more than {MAX_EMPHASIS_RUN} '{run.group(0)[0]}' "
                                    "in a row", "shorten the run, or escape it with \\", run.start() + 1))
        paragraph_len += len(line) + 1
        paragraph_brackets += line.count("[") + line.count("<")
        headings += bool(HEADING.match(line))
        footnotes += bool(FOOTNOTE.match(line))
        depth = (len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())) // 4
        quotes = QUOTES.match(line)
        depth += quotes.group(1).count(">") if quotes else 0
        if depth > MAX_NESTING:
            return [*problems, Problem(src_path, first_line + index, f"the text nests more than {MAX_NESTING} levels "
                                       "of lists or quotes", "flatten the lists, or indent less", 1)]
    for count, limit, what in ((headings, MAX_HEADINGS, "headings"), (footnotes, MAX_FOOTNOTES, "footnotes")):
        if count > limit:
            problems.append(Problem(src_path, first_line, f"the text has {count} {what}",
                                    f"a page may have at most {limit}: split the text", 1))
    return problems


def _character_problems(body: str, first_line: int, src_path: str) -> list[Problem]:
    """Return a warning for each line with a bidirectional control character (`parse` refuses worse ones)."""
    problems: list[Problem] = []
    if bidi_character(body) is None:
        return problems
    for index, line in enumerate(body.split("\n")):
        if (bidi := bidi_character(line)) is not None:
            problems.append(Problem(src_path, first_line + index,
                                    f"the text contains a bidirectional control character ({bidi[1]})",
                                    "remove it: it can make the text read differently from how it is stored",
                                    bidi[0] + 1, "warning"))
    return problems


def sanitize(html: str) -> str:
    """Return HTML with only the allowed tags, attributes and URL schemes."""
    return _cleaner()(html)


@functools.cache
def _cleaner() -> Callable[[str], str]:
    """Return the sanitizer, made once per process: `nh3.clean` sets one up for each text it cleans (40 µs,
    a third of a posting's cleaning); `nh3.Cleaner` (nh3 0.3) keeps it."""
    import nh3

    options: dict[str, Any] = {
        "tags": set(ALLOWED_TAGS),
        "clean_content_tags": {"script", "style", "iframe", "object", "embed", "template", "noscript"},
        "attributes": {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        "url_schemes": set(URL_SCHEMES),
        "link_rel": None,
        "filter_style_properties": {"text-align"},
        "strip_comments": True,
    }
    if hasattr(nh3, "Cleaner"):
        return nh3.Cleaner(**options).clean
    return functools.partial(nh3.clean, **options)
