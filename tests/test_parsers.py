"""Parsers fed by editors: front matter and YAML, on examples and on random input."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from sitegen.characters import BIDI_CHARACTERS
from sitegen.frontmatter import parse_front_matter
from sitegen.sources import ContentFile, classify
from sitegen.yamlfile import parse_yaml

# PyYAML itself does not round-trip control characters and Unicode line separators; editors type text (and the
# checks refuse the two noncharacters XML refuses, U+FFFE and U+FFFF). A value with a bidirectional control
# character round-trips too, with a warning about it (test_hostile.py has those).
plain = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
                                       blacklist_characters="\x85\ufffe\uffff" + BIDI_CHARACTERS), max_size=30)
keys = st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True)
# Numbers longer than 30 characters are refused on purpose (see test_hostile.py): generate realistic ones.
values = st.one_of(plain, st.integers(-10**20, 10**20), st.booleans(), st.lists(plain, max_size=3))
bodies = st.text(max_size=200).filter(lambda b: "\r" not in b)


@given(meta=st.dictionaries(keys, values, max_size=6), body=bodies)
def test_front_matter_round_trips(meta: dict, body: str) -> None:
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body
    data, parsed_body, problems = parse_front_matter(text, "x.md")
    assert problems == []
    assert data is not None and data.value == meta
    assert parsed_body == body


@given(st.text(max_size=300))
@example("0x_")  # PyYAML reads these as whole numbers, then cannot make one (a ValueError)
@example("a: 0b_\nb: +0x__")
@example("!!set {a: 0x_}")
def test_yaml_never_raises_and_locates_problems(text: str) -> None:
    data, problems = parse_yaml(text, "x.yaml", line_offset=10)
    assert (data is None) == any(p.severity == "error" for p in problems)  # a warning (a bidi control) keeps the data
    for problem in problems:
        assert problem.path == "x.yaml"
        assert problem.line is not None and 11 <= problem.line <= 12 + text.count("\n") + text.count("\r")


@given(st.text(max_size=300))
def test_front_matter_never_raises(text: str) -> None:
    data, _body, problems = parse_front_matter(text, "x.md")
    assert data is not None or problems


@given(st.text(alphabet=st.characters(blacklist_characters="/\x00"), min_size=1, max_size=30))
def test_classify_never_raises(name: str) -> None:
    classify(f"content/jobs/{name}", ("en", "fr"))


def test_duplicate_keys_are_rejected_with_both_lines() -> None:
    data, problems = parse_yaml("title: a\nslug: b\ntitle: c\n", "x.yaml")
    assert data is None
    assert [str(p) for p in problems] == [
        "x.yaml:3:1: duplicate key 'title' (it is already set on line 1; keep one)"]


def test_dates_stay_text_for_schema_checks() -> None:
    data, _ = parse_yaml("date_posted: 2026-11-27\n", "x.yaml")
    assert data is not None and data.value == {"date_posted": "2026-11-27"}


def test_positions_are_one_based_and_offset() -> None:
    data, _ = parse_yaml("a: 1\nb:\n  - x\n  - y\n", "x.yaml", line_offset=1)
    assert data is not None
    assert data.positions[("b",)] == (3, 1)
    assert data.positions[("b", 1)] == (5, 5)
    assert data.where(("b", 1, "missing")) == (5, 5)


def test_front_matter_errors() -> None:
    assert [str(p) for p in parse_front_matter("title: x\n", "a.md")[2]] == [
        "a.md:1:1: missing front matter (start the file with a line '---', the YAML fields, then another '---')"]
    assert [str(p) for p in parse_front_matter("---\ntitle: x\n", "a.md")[2]] == [
        "a.md:1:1: front matter is not closed (close the front matter with a line '---' before the text)"]
    assert [str(p) for p in parse_front_matter("---\n- a\n---\n", "a.md")[2]] == [
        "a.md:2:1: front matter must be a mapping (write 'field: value' lines between the '---' fences)"]
    _, _, problems = parse_front_matter("---\ntitle: x\nbad: [\n---\nbody", "a.md")
    assert problems[0].line == 3 and problems[0].message.startswith("YAML syntax error")


def test_the_converter_has_extras_extensions_without_looking_up_entry_points(monkeypatch) -> None:
    """`extra` is given as the extensions it names, as objects: naming one makes Markdown list every
    installed package's entry points, which took longer than a small site's whole parse."""
    import markdown.util
    from markdown.extensions.extra import ExtraExtension, extensions

    from sitegen.markdown import make_converter

    def forbidden() -> None:
        raise AssertionError("entry points were looked up")

    monkeypatch.setattr(markdown.util, "get_installed_extensions", forbidden)
    converter = make_converter()
    monkeypatch.undo()
    names = [type(ext).__module__.rsplit(".", 1)[-1] for ext in converter.registeredExtensions]
    assert [name for name in names if name in extensions] == [name for name in extensions if name in names]
    reference = markdown.Markdown(extensions=[ExtraExtension(), "sane_lists", "toc"], output_format="html")

    def order(registry: Any) -> list[str]:  # the names, in the order Markdown runs them
        return [item.name for item in sorted(registry._priority, key=lambda item: item.priority, reverse=True)]

    for kind in ("preprocessors", "inlinePatterns", "treeprocessors", "postprocessors"):
        assert order(getattr(converter, kind)) == order(getattr(reference, kind)), kind
    assert order(converter.parser.blockprocessors) == order(reference.parser.blockprocessors)
    text = "# T\n\n*[HTML]: HyperText\n\nA[^1] HTML\n\n[^1]: n\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```\n"
    assert converter.convert(text) == reference.convert(text)


# Markdown-ish text: pieces of every syntax the site's extensions know (footnotes, abbreviations,
# attributes, definitions, tables, Markdown in HTML, heading ids, lists), loose characters, and backticks
# and tildes (which the test takes out of a text holding a fence, as the converter's choice would).
PIECES = ["[^1]", "[^1]: A note.\n", "*[HTML]: HyperText\n", "HTML", "| a | b |\n|---|---|\n| 1 | 2 |\n",
          "{: .x #y }", "Term\n: Definition\n", "# Heading\n", "## Heading {#id}\n", "- item\n", "1. one\n",
          "  - nested\n", "> quoted\n", '<div markdown="1">\n', "</div>\n", "`code`", "*em*", "__strong__",
          "[link](https://example.com)", "\n\n", "\n", "    indented\n", "~", "`", " ", "a", "-", "*", ":", "|",
          # near misses of extra's syntax, once its triggers are taken out (see below)
          "Time: 10:30\n", "a : b", "\t", "    : indented\n", "1) one\n", "+ plus\n", "[", "]", "^", "#", "&amp;",
          "&lt;b&gt;", "Title\n===\n", "---\n", "_", "}", ">"]
markdownish = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)


@given(text=markdownish)
def test_a_text_without_a_fence_converts_the_same_without_fenced_code(text: str) -> None:
    """The converter for fence-free texts leaves fenced_code out: it must make the very same HTML."""
    from sitegen.markdown import make_converter, needs_fences

    if needs_fences(text):
        text = text.replace("`", "").replace("~", "")
    assert not needs_fences(text)
    plain, full = make_converter(fences=False), make_converter(fences=True)
    assert plain.convert(text) == full.convert(text)


@given(text=markdownish)
def test_a_text_without_extras_syntax_converts_the_same_without_those_extensions(text: str) -> None:
    """The converter for texts without any of `extra`'s syntax leaves those extensions out: it must make the
    very same HTML (with fenced code or without). The text's triggers are taken out, near misses stay."""
    from sitegen.markdown import make_converter, needs_extra

    while needs_extra(text):  # (taking one out may make another: '*{[' → '*[')
        for trigger in ("[^", "*[", "{", "|", "<"):
            text = text.replace(trigger, "")
        text = re.sub(r"(?m)^([ \t>*+\-0-9.)]*):", r"\1", text)
    for fences in (False, True):
        assert make_converter(fences=fences, extra=False).convert(text) == make_converter(fences=fences).convert(text)


@given(tag=st.one_of(st.sampled_from(["p", "P", "li", "LI/", "h2", "a", "em", "strong", "div/", "code", "pre", "table",
                                      "td", "span", "", "/", "x"]), st.text(max_size=6), st.none(), st.integers()))
def test_the_converters_tell_block_level_tags_as_markdown_does(tag: object) -> None:
    """The converters look block-level tags up in a set made from Markdown's list: the same answers."""
    import markdown

    from sitegen.markdown import make_converter

    for fences, extra in ((False, False), (False, True), (True, True)):
        converter = make_converter(fences=fences, extra=extra)
        assert converter.is_block_level(tag) is markdown.Markdown.is_block_level(converter, tag)


# inline syntax of every pattern Markdown tries on a text, near misses, and tables of contents
INLINE_PIECES = ["\\*", "\\", "<https://example.com>", "<a@example.com>", "<b>bold</b>", "<!-- c -->", "&copy;",
                 "&#38;", "&", "  \n", "![alt](i.png)", "![alt][1]", "![1]", "[ref][1]", "[1]", "[1]: https://example.com\n",
                 "**strong**", "*em*", "_em_", "__s__", "***x***", "``a ` b``", "`", "!", "[^1]", "<", "x", "[TOC]",
                 "\n[TOC]\n", "TOC", "&#91;", "> q\n", ">", "#", "T\n=\n", "U\n-\n", "\n=", "\n-", "[r]: /x\n", "]:",
                 "[r]", "\n## A &amp; b\n", "\n## Ça  va ?\n", "\n##\n", "\n## x\n", "\n## x_1\n", "\n# R&D <i>x</i>\n",
                 "\n## \\*a\\*\n", "\n### T\\_1\n", "\n## Étape {#x}\n", "\n## y {: data-toc-label='Y' }\n",
                 # rules and their near misses, and what the whitespace pass changes
                 "- - -\n", "***\n", "_  _  _\n", "* *", "-   -   -\n", "__",
                 "\r\n", "\r", "  \n", "\t\n", "\x02", "\x03",
                 # plain links and strong words (which the pass makes itself), near misses, what is around them
                 "[a](/x)", "[a b](/x_y?q=1&r=2)", "[l’équipe](/fr/equipe/)", "**a**", "**a b**", "** a**", "**a **",
                 "**Obligatoire :**", "[^1](x)", "[a](<x>)", '[a](x "t")', "[a]( x)", "[a](x(y))", "[a](x'y)", "(", ")",
                 "](", "[", "]", "**", "*", " ", "\u00a0", "\u202f", "é", "[**a**](x)", "**[a](x)**", "[a](*x*)",
                 "[x_y](z)", "{: .c}", "[]", "[a](x)[b](y)",
                 # blocks that begin with what is not a letter: a digit of another script, list marks, an indent
                 "٣. trois\n", "+ plus\n", "* star\n", "\n    code\n", "Élan\n", "ß\n",
                 # bulleted lists that Markdown's list makes (lines of a mark, a space and a letter), and near misses
                 "\n\n- a\n- b\n", "- É\n* ß\n+ c\n", "-  x\n", "- 3. x\n", "- _x\n", "\n- a\n\n- b\n", "-\n"]
inlineish = st.lists(st.sampled_from(PIECES + INLINE_PIECES), max_size=25).map("".join)


def stock(converter: Any) -> Any:
    """Return `converter` with Markdown's own inline pass, block parser, table of contents, line breaks, escapes,
    block-level tags, whitespace and raw HTML passes and serializer in place of the quick ones."""
    from markdown.extensions.toc import TocExtension, TocTreeprocessor
    from markdown.serializers import to_html_string
    from markdown.treeprocessors import InlineProcessor, PrettifyTreeprocessor, UnescapeTreeprocessor

    from sitegen.markdown import INLINE_PRIORITY

    converter.treeprocessors.register(InlineProcessor(converter), "inline", INLINE_PRIORITY)
    converter.treeprocessors.register(TocTreeprocessor(converter, TocExtension(permalink=False).getConfigs()), "toc", 5)
    converter.treeprocessors.register(PrettifyTreeprocessor(converter), "prettify", 10)
    converter.treeprocessors.register(UnescapeTreeprocessor(converter), "unescape", 0)
    converter.serializer = to_html_string
    del converter.parser.parseBlocks  # (Markdown's own, the class's)
    del converter.is_block_level
    del converter.preprocessors["normalize_whitespace"].run
    if "run" in vars(converter.preprocessors["html_block"]):  # (not md_in_html's)
        del converter.preprocessors["html_block"].run
    return converter


@given(text=inlineish)
@example(text="## y {: data-toc-label='Y' }\n\n## y\n\n## y_1\n\n##\n\n## R&D <i>x</i> \\*a\\* &amp; `c`\n\n"
              "## Ça  va ?\n")  # headings: a label, ids taken, none, markup, spaces
@example(text="a\n \nb\n\n- - -\n")  # a line of one space (a blank line), a rule of spaced marks
@example(text="Voir [l’équipe](/fr/equipe/) !\n\n**Obligatoire :** [a](/x)[b](/y) **c d**\n")  # made by the pass
@example(text="- a\n- b\n\n٣. c\n\n    d\n\nÉté\n+ e\n")  # items, a list in another script's digits, code
@example(text="- a\n- b\n\n- c\n\n> - d\n\n1. e\n\n- f\n\n---\n\n* g\n  h\n")  # lists joined, in a quote, after another
@example(text="**a ****a**b[a](/x)**c**\n")  # a link's placeholder in the tail of an element inside another
@example(text="![a](i.png) !\n\n![a](x) x**a** **a**b ** a** **a ** [^1](x) [a](<x>) [a]( x) [a](x(y)) [*a*](x)\n")
def test_the_quick_passes_make_markdowns_html(text: str) -> None:
    """The inline pass skips the patterns a text holds no trigger of, the block parser the processors a block
    holds no trigger of, the table of contents is made only for a text that asks for one: the HTML must be
    Markdown's own."""
    from sitegen.markdown import convert_markdown, make_converter

    for fences, extra in ((False, False), (True, True)):
        quick = make_converter(fences, extra)
        assert type(quick.treeprocessors["inline"]).__name__ == "QuickInlineProcessor"
        assert type(quick.treeprocessors["toc"]).__name__ == "QuietTocTreeprocessor"
        assert "parseBlocks" in vars(quick.parser)
        assert "_prettifyETree" in vars(quick.treeprocessors["prettify"])
        assert "run" in vars(quick.treeprocessors["unescape"])
        assert quick.serializer.__name__ == "serialize"
        assert "run" in vars(quick.preprocessors["normalize_whitespace"])
        assert ("run" in vars(quick.preprocessors["html_block"])) is not extra
        assert convert_markdown(quick, text) == stock(make_converter(fences, extra)).convert(text)


@given(texts=st.lists(inlineish, min_size=2, max_size=4))
@example(texts=["## A &amp; b\n\n## Ça va ?\n", "## Ça va ?\n\n## A &amp; b\n\n## x\n", "## x\n"])
@example(texts=["## Votre équipe\n", "## Votre profil\n\n## Votre équipe\n", "## Votre profil\n"])
def test_one_converter_makes_markdowns_html_text_after_text(texts: list[str]) -> None:
    """A converter remembers what it can from one text to the next (the triggers of its patterns, its headings'
    slugs, a few at a time here): each text's HTML must be Markdown's own all the same."""
    import sitegen.markdown
    from sitegen.markdown import convert_markdown, make_converter

    quick, slugs = make_converter(), sitegen.markdown.MAX_SLUGS
    sitegen.markdown.MAX_SLUGS = 2
    try:
        for text in texts:
            assert convert_markdown(quick, text) == stock(make_converter()).convert(text)
    finally:
        sitegen.markdown.MAX_SLUGS = slugs


def test_the_quick_serializer_writes_what_markdowns_writes_and_leaves_it_trees_it_does_not_know() -> None:
    """Elements with attributes (boolean, valueless, to escape), raw text, void elements with text, escapes in
    texts and tails are written as Markdown writes them; a tree holding a comment, a processing instruction or
    a qualified name is written by Markdown's serializer."""
    from xml.etree import ElementTree as etree

    from markdown.serializers import to_html_string

    from sitegen.markdown import make_converter

    serialize = make_converter().serializer
    root = etree.Element("div")
    link = etree.SubElement(root, "a", {"href": "/x?a=1&b=<2>\"", "title": "t"})
    link.text, link.tail = "R&D <b> &amp; ", " & > tail"
    etree.SubElement(root, "input", {"checked": "checked", "disabled": None, "type": "checkbox"}).tail = "x"
    etree.SubElement(root, "script").text = "if (a < b && c) {}"
    etree.SubElement(root, "br").text = "inside a void element"
    etree.SubElement(etree.SubElement(root, "ul"), "li").text = "é & ç"
    assert serialize(root) == to_html_string(root)
    named = etree.Element(etree.QName("https://example.com/ns", "p"))
    for unusual in (etree.Comment(" c "), etree.ProcessingInstruction("x", "y"), named):
        other = etree.Element("div")
        etree.SubElement(other, "p").text = "a"
        other.append(unusual)
        assert serialize(other) == to_html_string(other)


def test_the_quick_inline_pass_tries_every_pattern_it_knows_no_trigger_of(monkeypatch) -> None:
    """A pattern an extension adds is tried on every text, even when it comes after the converter's first text
    (whose patterns' triggers the pass keeps); without the methods it builds on, Markdown's pass."""
    from markdown.inlinepatterns import SimpleTagInlineProcessor
    from markdown.treeprocessors import InlineProcessor

    import sitegen.markdown
    from sitegen.markdown import make_converter

    converter = make_converter()
    assert converter.convert("Hello @you, *all*") == "<p>Hello @you, <em>all</em></p>"
    converter.inlinePatterns.register(SimpleTagInlineProcessor(r"()@(\w+)", "mark"), "mention", 65)
    assert converter.convert("Hello @you, &copy;") == "<p>Hello <mark>you</mark>, &copy;</p>"
    sitegen.markdown._quick_inline_class.cache_clear()
    monkeypatch.delattr(InlineProcessor, sitegen.markdown.APPLY_PATTERN)
    try:
        assert type(make_converter().treeprocessors["inline"]) is InlineProcessor
    finally:
        monkeypatch.undo()
        sitegen.markdown._quick_inline_class.cache_clear()


def test_the_quick_inline_pass_makes_plain_links_and_strong_words_itself(monkeypatch) -> None:
    """A text whose only syntax is plain links and strong words between spaces has them made without trying
    Markdown's patterns; any other syntax beside them, or a converter whose patterns are not Markdown's own (one
    added, one replaced), has Markdown's patterns tried."""
    from markdown.inlinepatterns import LINK_RE, LinkInlineProcessor, SimpleTagInlineProcessor
    from markdown.treeprocessors import InlineProcessor

    import sitegen.markdown
    from sitegen.markdown import make_converter

    tried: list[str] = []
    apply = getattr(InlineProcessor, sitegen.markdown.APPLY_PATTERN)

    def counted(self: Any, pattern: Any, *args: Any) -> Any:
        tried.append(type(pattern).__name__)
        return apply(self, pattern, *args)

    monkeypatch.setattr(InlineProcessor, sitegen.markdown.APPLY_PATTERN, counted)
    for fences, extra in ((False, False), (True, True)):
        converter = make_converter(fences, extra)
        tried.clear()
        assert converter.convert("Voir [l’équipe](/fr/equipe/) !\n\n**Obligatoire :** voir [ici](/x?a=1&b=2).") == (
            '<p>Voir <a href="/fr/equipe/">l’équipe</a> !</p>\n'
            '<p><strong>Obligatoire :</strong> voir <a href="/x?a=1&amp;b=2">ici</a>.</p>')
        assert tried == []
        assert converter.convert("Voir [a](/x) *b*") == '<p>Voir <a href="/x">a</a> <em>b</em></p>'
        assert "LinkInlineProcessor" in tried and "DelimiterProcessor" in tried

    class Titled(LinkInlineProcessor):
        def handleMatch(self, m: Any, data: str) -> Any:
            element, start, end = super().handleMatch(m, data)
            if element is not None:
                element.set("rel", "external")
            return element, start, end

    replaced = make_converter()
    replaced.inlinePatterns.register(Titled(LINK_RE, replaced), "link", 160)
    assert replaced.convert("[a](/x) **b**") == '<p><a href="/x" rel="external">a</a> <strong>b</strong></p>'
    added = make_converter()
    added.inlinePatterns.register(SimpleTagInlineProcessor(r"()\+\+(.+?)\+\+", "ins"), "ins", 65)
    assert added.convert("[a](/x) ++b++ **c**") == '<p><a href="/x">a</a> <ins>b</ins> <strong>c</strong></p>'


@given(text=inlineish)
def test_the_inline_sieve_finds_a_trigger_wherever_a_pattern_has_one(text: str) -> None:
    """The inline pass returns a text at once when the sieve finds no trigger in it: the sieve must find one
    wherever some pattern's trigger is, and there is no sieve when a pattern has none."""
    from markdown.inlinepatterns import DelimiterProcessor

    from sitegen.markdown import _sieve, _triggers, make_converter

    triggers = _triggers(make_converter().inlinePatterns, DelimiterProcessor)
    sieve = _sieve(triggers)
    assert sieve is not None
    held = any(mark in text for found in triggers if found is not None for mark in found)
    assert (sieve(text) is not None) is held
    assert _sieve((*triggers, None)) is None


@pytest.mark.parametrize("text", [
    "A[^1] note.\n\n[^1]: The note.\n", "*[HTML]: HyperText\n\nSome HTML.\n", "## Title {#mine}\n",
    "Term\n: Definition\n", "- Term\n\n    : Definition\n", "| a | b |\n|---|---|\n| 1 | 2 |\n",
    '<div markdown="1">\n*text*\n</div>\n', "> Term\n> : Definition\n"])
def test_each_of_extras_extensions_is_found_needed_where_it_changes_the_html(text: str) -> None:
    from sitegen.markdown import make_converter, needs_extra

    assert make_converter(fences=False, extra=False).convert(text) != make_converter(fences=False).convert(text)
    assert needs_extra(text)


def test_each_text_gets_the_converter_it_needs() -> None:
    from sitegen.parse import LazyConverter

    made: list[tuple[bool, bool]] = []

    def factory(fences: bool, extra: bool) -> object:
        from sitegen.markdown import make_converter

        made.append((fences, extra))
        return make_converter(fences, extra)

    convert = LazyConverter(factory)
    assert convert("Some *text*.") == "<p>Some <em>text</em>.</p>"
    assert "<pre><code>" in convert("~~~\ncode\n~~~\n") and "<pre><code>" in convert("```\ncode\n```\n")
    assert convert("More text.") == "<p>More text.</p>"
    assert "<table>" in convert("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<dl>" in convert("```\ncode\n```\n\nTerm\n: Definition\n")
    assert made == [(False, False), (True, False), (False, True), (True, True)]  # each converter made once
    convert.prepare()
    assert len(made) == 4  # both fence-free converters were made already


def test_a_fence_free_parse_does_not_import_fenced_code_or_pygments() -> None:
    """fenced_code imports codehilite, which imports Pygments: as long as importing Markdown itself."""
    import subprocess
    import sys

    code = ("import sys; from sitegen.parse import LazyConverter; LazyConverter()('# Title\\n\\nText.'); "
            "print(sorted(m for m in sys.modules if m.startswith(('pygments', 'markdown.extensions.fenced'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.dates(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


@given(st.lists(YAML_VALUES, min_size=1, max_size=5))
def test_files_of_a_parse_chunk_share_equal_paths_positions_and_texts_and_keep_their_values(
        values: list[object]) -> None:
    from sitegen.yamlfile import shared_parts

    shared: dict[object, object] = {}
    docs = [parse_yaml(yaml.safe_dump({"value": value}, allow_unicode=True), "content/x.yaml")[0] for value in values]
    made = [shared_parts(doc, shared) for doc in docs if doc is not None]
    for doc, same in zip([d for d in docs if d is not None], made, strict=True):
        assert same == doc  # value, tables and order
        assert list(same.positions) == list(doc.positions) and repr(same.value) == repr(doc.value)
    texts: dict[str, object] = {}
    for same in made:
        for path in same.positions:
            for part in path:
                if isinstance(part, str):
                    assert texts.setdefault(part, part) is part  # one object per text across the files
    for first in made:  # one table for the files laid out alike
        for second in made:
            for mine, theirs in ((first.positions, second.positions), (first.value_positions, second.value_positions)):
                assert (mine is theirs) == (list(mine.items()) == list(theirs.items()))


def test_a_parse_chunk_gives_the_parses_each_file_would_have_alone(make_project) -> None:  # type: ignore[no-untyped-def]
    from sitegen.loading import _parse_files
    from sitegen.parse import LazyConverter, Parsed, parse_file
    from sitegen.schema import Schemas
    from sitegen.sources import read_project

    root = make_project()
    project = read_project(root)
    files = [(file, source) for source in project.content
             if not hasattr(file := classify(source.src_path, ("en", "fr")), "message")]
    context = (Schemas(), LazyConverter())
    rests = _parse_files((*context, None), files)  # each parse but its file, which the caller has
    together = [Parsed(file, *rest) for (file, _), rest in zip(files, rests, strict=True)]
    assert together == [parse_file(file, source, *context) for file, source in files]
    assert not any(isinstance(part, ContentFile) for rest in rests for part in rest)
    titles = [parsed.data.value["title"] for parsed in together
              if parsed.data is not None and isinstance(parsed.data.value, dict) and "title" in parsed.data.value]
    keys = [next(key for key in parsed.data.value if key == "title") for parsed in together
            if parsed.data is not None and isinstance(parsed.data.value, dict) and "title" in parsed.data.value]
    assert len(keys) > 1 and all(key is keys[0] for key in keys) and titles
    links, ids = {}, {}  # equal links, and equal tuples of a text's ids, are one object across the files
    for parsed in together:
        assert all(links.setdefault(link, link) is link for link in parsed.links)
        assert ids.setdefault(parsed.html.ids, parsed.html.ids) is parsed.html.ids
    from sitegen.links import Link
    from sitegen.model import Html
    from sitegen.parse import with_shared_parts
    from sitegen.records import replace

    text = next(parsed for parsed in together if parsed.data is not None and parsed.file.kind == "text")
    shared: dict[object, object] = {}
    first, second = (with_shared_parts(replace(text, links=(Link("/en/team/", 3, 1),),
                                               html=Html('<h2 id="a">A</h2><h2 id="b">B</h2>')), shared)
                     for _ in range(2))
    assert first == second and first.links[0] is second.links[0] and first.html.ids is second.html.ids


def test_the_sanitizer_is_made_once_and_cleans_as_nh3_clean_does(monkeypatch) -> None:
    """The sanitizer keeps its set-up (nh3.Cleaner); where nh3 has no Cleaner (before 0.3), nh3.clean is used
    with the same options: the same HTML either way."""
    import nh3

    from sitegen import markdown

    text = ('<p onclick="x()">Hi <script>bad()</script><a href="javascript:x">a</a> <a href="/en/">b</a>'
            '<td style="color: red; text-align: center">c</td><!-- note --></p>')
    made = markdown.sanitize(text)
    assert markdown._cleaner() is markdown._cleaner()
    assert made == '<p>Hi <a>a</a> <a href="/en/">b</a>c</p>'
    markdown._cleaner.cache_clear()
    monkeypatch.delattr(nh3, "Cleaner")
    try:
        assert markdown.sanitize(text) == made
    finally:
        markdown._cleaner.cache_clear()


# the syntax of `extra`'s extensions as one pattern, as `needs_extra` once looked for it (its oracle)
EXTRA_SYNTAX = re.compile(r"\[\^|\*\[|[{|<\x02\x03]|^[ \t>*+\-0-9.)]*:", re.M)


@given(st.lists(st.sampled_from([*PIECES, "Time: 10:30", "- a:", "1. b:", "> c:", "  :", ":", "a:", "\n", " ", "x",
                                  "\x02", "\x03", "[", "^", "*", "{", "|", "<"]), max_size=20).map("".join))
def test_the_signs_of_extras_syntax_are_what_its_pattern_finds(text: str) -> None:
    from sitegen.markdown import needs_extra

    assert needs_extra(text) == (EXTRA_SYNTAX.search(text) is not None)


SCALAR_TAGS = st.sampled_from(["tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                               "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"])


@given(st.text(max_size=40), SCALAR_TAGS)
@example("1" * 40, "tag:yaml.org,2002:int")
@example(".nan", "tag:yaml.org,2002:float")
@example("a\x7fb", "tag:yaml.org,2002:str")
@example("tab\there", "tag:yaml.org,2002:str")
@example("x\u202ey", "tag:yaml.org,2002:str")
@example("é\u2028", "tag:yaml.org,2002:str")
@example("é\x85", "tag:yaml.org,2002:str")
def test_a_plain_scalar_is_one_without_problems(value: str, tag: str) -> None:
    """The YAML walk skips the character and number checks of a scalar it finds plain: they never find anything
    there (printable text, not a number)."""
    from sitegen.yamlfile import _plain, _scalar_problems

    node = yaml.ScalarNode(tag, value)
    if _plain(node):
        assert _scalar_problems(node, "value", (1, 1), "x.yaml") == []
    else:
        assert not value.isprintable() or tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def test_no_forbidden_or_bidirectional_character_is_printable() -> None:
    """What `_plain` rests on: `str.isprintable` is False for every character the scalar checks look for."""
    from sitegen.characters import BIDI, forbidden

    found = [hex(code) for code in range(0x110000)
             if (forbidden().match(chr(code)) or BIDI.match(chr(code))) and chr(code).isprintable()]
    assert found == []


def test_each_character_is_plainly_allowed_only_if_the_forbidden_class_lacks_it() -> None:
    """The quick look for forbidden characters (a text's UTF-8 bytes) agrees with their class's pattern on every
    character, alone and among French text."""
    from sitegen.characters import _plainly_allowed, forbidden

    wrong = [hex(code) for code in range(0x110000)
             if _plainly_allowed(chr(code)) != (forbidden().search(chr(code)) is None)
             or _plainly_allowed(f"Été « {chr(code)} »\n") != (forbidden().search(f"Été « {chr(code)} »\n") is None)]
    assert wrong == []


@given(st.text())
def test_a_text_is_plainly_allowed_only_if_it_holds_no_forbidden_character(text: str) -> None:
    from sitegen.characters import _plainly_allowed, forbidden, forbidden_character

    assert _plainly_allowed(text) == (forbidden().search(text) is None)
    assert (forbidden_character(text) is None) == (forbidden().search(text) is None)


# Nested data as editors and dumpers write it: block and flow collections, compact and indentless sequences.
nested = st.recursive(
    st.sampled_from(["a", "Paris", 6, "2027-09", "R&D!", "x*y", "[x]", ""]),
    lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=2),
                            st.dictionaries(st.sampled_from(["a", "b", "start", "to"]), inner, min_size=1, max_size=2)),
    max_leaves=30,
)


def _chain(kinds: list[str]) -> Any:
    """Return data nested as deep as `kinds` is long: a list or a one-key mapping at each level."""
    data: Any = "x"
    for kind in reversed(kinds):
        data = [data] if kind == "list" else {"a": data}
    return data


chains = st.lists(st.sampled_from(["list", "dict"]), min_size=5, max_size=25).map(_chain)


@given(data=st.one_of(nested, chains), indent=st.integers(2, 4), flow=st.sampled_from([None, False, True]))
@example(data=[[[[[[[[[["a"]]]]]]]]]], indent=2, flow=False)  # compact sequences: '- - - …'
@example(data=_chain(["list", "dict"] * 10 + ["list"]), indent=2, flow=True)  # one level deeper than MAX_DEPTH
@example(data={"a": [{"a": [{"a": [{"a": [{"a": [{"a": "x"}]}]}]}]}]}, indent=2, flow=False)  # indentless
def test_a_text_read_once_holds_nothing_the_event_check_refuses(data: Any, indent: int, flow: bool | None) -> None:
    """A YAML text that `_may_need_events` lets go straight to composing would have passed the check of its
    events (anchors, aliases, tags, documents, nesting deeper than MAX_DEPTH): it never lets one through."""
    from sitegen.yamlfile import _event_problems, _FastLoader, _may_need_events

    text = yaml.safe_dump(data, indent=indent, default_flow_style=flow, allow_unicode=True)
    for piece in ("", "x: &a 1\ny: *a\n", "x: !!str 1\n", "---\nx: 1\n"):  # (the check must see these)
        whole = piece + text
        try:
            problems = _event_problems(_FastLoader, whole, "x.yaml", 0)
        except yaml.YAMLError:
            continue
        assert _may_need_events(whole) or not problems, (whole, problems)


def test_deep_nesting_is_refused_whichever_way_it_is_written() -> None:
    """Nesting deeper than MAX_DEPTH is found in block, compact, indentless and flow collections alike."""
    deep = 21
    texts = ["".join(f"{'  ' * level}a:\n" for level in range(deep)) + "  " * deep + "b: 1\n",
             "- " * (deep + 1) + "x\n",
             "a: " + "[" * (deep + 1) + "]" * (deep + 1) + "\n",
             "".join(f"{'  ' * level}- a:\n" for level in range(deep // 2 + 1)) + "  " * (deep // 2 + 1) + "- x\n",
             # two levels a column: a mapping, the sequence under its key, a mapping in its item on the next line
             "".join(f"{' ' * column}k:\n{' ' * column}-\n" for column in range(deep // 2 + 1)) + " " * 11 + "x\n"]
    texts.append(texts[0].replace("\n", "\r"))  # YAML's other line breaks
    texts.append(texts[0].replace("\n", "\u2028"))
    for text in texts:
        data, problems = parse_yaml(text, "x.yaml")
        assert data is None and any("nesting is deeper than 20 levels" in p.message for p in problems), text


HEADING_PIECES = ["# A\n", "## B\n", "   ### C\n", "    #### code\n", "####### seven\n", "#no space\n", "##\n",
                  "#\tTab\n", "Text\n", "\n", "T\n===\n", "U\n---\n", "- item\n---\n", "```\n", "~~~\n", " ``` x\n",
                  "a ``` b\n", "==\n", "-\n", "  --  \n", "x = y\n", "#", "\t# not\n"]


@given(body=st.lists(st.sampled_from(HEADING_PIECES + PIECES), max_size=30).map("".join))
def test_headings_found_in_one_search_are_those_found_line_by_line(body: str) -> None:
    """A text without fences or underlines has its '#' headings found in one search: the same, in order."""
    from sitegen.parse import _headings, _headings_by_line

    assert _headings(body) == _headings_by_line(body)


TAG_PLAIN = re.compile(r"<[A-Za-z][^>]*>")
TARGET_PIECES = ['<a href="/x">', "<a href='/y?a=1&amp;b=2'>", "<img src=z.png alt=a>", '<A HREF="/U">', "<a>",
                 '<a title="href=no">', '<i title="<a href=/in>">', "<b data-src='/no'>", "<a href= />", '<a href="">',
                 "<a\nhref='/nl'>", "<a href=/bare>", "<", ">", " href=/text ", "text", "<img src='/s' src='/t'>",
                 "< a href=/no>", "<1 href=/no>", '<a href="  /sp  ">', "<a hrefx=/no>", "<a\thref\t=\t/tab>"]


@given(html=st.lists(st.sampled_from(TARGET_PIECES), max_size=12).map("".join))
def test_targets_are_found_in_the_tags_that_have_them_as_in_every_tag(html: str) -> None:
    """`html_targets` looks only at the tags that have an href or src: it finds what reading every tag finds."""
    from html import unescape

    from sitegen.links import TARGET, html_targets

    every = [value for tag in TAG_PLAIN.finditer(html) for match in TARGET.finditer(tag.group(0))
             if (value := unescape(next(g for g in match.groups() if g is not None)).strip())]
    assert html_targets(html) == every


YAML_SCALARS = ["a", "Paris", "0x1F", "0o17", "0b101", "1_000", "1:30", "190:20:30", "-.5", "+12", "1e3", "3.", "yes",
                "No", "on", "OFF", "true", "~", "null", "", "'quoted'", '"d\\u00e9j\\u00e0"', "2027-09-01", "2027-09",
                "=", "<<", "12345678901234567890123456789012", ".inf", "-0", "007", "0.1e-2", "'1'", "|\n  block\n"]


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(YAML_SCALARS),
                          st.sampled_from(["", "list", "map", "flow"])), max_size=6))
def test_the_values_made_while_walking_are_those_the_loader_constructs(entries: list[tuple[str, str, str]]) -> None:
    """`parse_yaml` makes each value as it walks the nodes: the very values (types included) that PyYAML's
    safe constructor makes, with dates left as text; with a tag no constructor knows, it reports the same."""
    from sitegen.yamlfile import _FastLoader

    lines = []
    for index, (key, scalar, shape) in enumerate(entries):
        name = f"{key}{index}"
        block = scalar.startswith("|")
        if shape == "list" and not block:
            lines.append(f"{name}:\n  - {scalar}\n  - x")
        elif shape == "map" and not block:
            lines.append(f"{name}:\n  inner: {scalar}")
        elif shape == "flow" and not block:
            lines.append(f"{name}: [{scalar}, {{k: {scalar}}}]")
        else:
            lines.append(f"{name}: {scalar}")
    text = "\n".join(lines) + "\n"
    data, problems = parse_yaml(text, "x.yaml")
    try:
        expected = yaml.load(text, Loader=_FastLoader)  # (the safe loader, on libyaml)
    except yaml.YAMLError:
        assert data is None and problems
        return
    if data is not None:
        assert repr(data.value) == repr(expected)
