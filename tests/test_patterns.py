"""The attribute patterns run over whole texts and pages find what the patterns they replaced found.

Each began with `\\s` (the space before an attribute's name), which the regex engine tries at every
character; each now begins with the characters it looks for and looks behind them for the space. The
patterns they replaced are here, as the oracle: on any text, the same matches, so the same results.
"""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from sitegen import context, ids, links

OLD_ID_ATTR = re.compile(r'(\sid=")([^"]*)(")')
OLD_FRAGMENT_LINK = re.compile(r'(\shref="#)([^"]*)(")')
OLD_ID_VALUE = re.compile(r'\sid="([^"]*)"')
OLD_ROOT_LINK = re.compile(r"""(\s(?:href|src)=")/(?!/)""")
PREFIX = "/base/assets/"
OLD_ASSET_LINK = re.compile(rf'(\s(?:href|src)="){re.escape(PREFIX)}([^"#?]+)')

# pieces of HTML from which attributes, and near misses, are made: quotes, spaces of several kinds,
# names that end like the ones looked for, values with spaces, '#', '?' and further attributes in them
pieces = st.sampled_from([" ", "\n", "\t", "\u00a0", "\u2003", "<a", "<p", ">", '"', "=", "id", "xid", "href",
                          "src", "#", "?", "/", "//", "/base/assets/", "base", "a.css", "x y", 'id="', ' id="',
                          ' href="#', ' href="/', ' src="/', ' href="/base/assets/', ' src="/base/assets/', "é"])
texts = st.lists(pieces, max_size=24).map("".join)

# texts where the old and new patterns could part: a match that would begin inside the one before it,
# an attribute name that only ends like the one looked for, a value that runs on past another attribute
EXAMPLES = [' id=" id="x"', ' href=" id="a" id="b"', ' src="/base/assets/a href="/base/assets/b"',
            ' href="/ src="/x"', ' href="#a href="#b"', '<p id="a"\tid="a">', 'x id="a"', ' href="//x" src="/y"',
            '<a title="/base/assets/a.css" data-href="/base/assets/b.css" href="/base/assets/c.css">',
            '<a title="/x" data-src="/y" href="/z">', '<a data-href="#a" title="#a" href="#a">']


def _renamed(name: str) -> str:
    return f"[{name}]"


@given(texts)
@example(EXAMPLES[0])
@example(EXAMPLES[1])
@example(EXAMPLES[4])
@example(EXAMPLES[5])
@example(EXAMPLES[6])
@example(EXAMPLES[10])
def test_ids_are_found_as_before(text: str) -> None:
    assert ids.ID_VALUE.findall(text) == OLD_ID_VALUE.findall(text)
    assert [m.group(2) for m in ids.ID_ATTR.finditer(text)] == [m.group(2) for m in OLD_ID_ATTR.finditer(text)]
    for new, old in ((ids.ID_ATTR, OLD_ID_ATTR), (ids.FRAGMENT_LINK, OLD_FRAGMENT_LINK)):
        assert (new.sub(lambda m: m.group(1) + _renamed(m.group(2)) + m.group(3), text)
                == old.sub(lambda m: m.group(1) + _renamed(m.group(2)) + m.group(3), text))


@given(texts)
@example(EXAMPLES[3])
@example(EXAMPLES[7])
@example(EXAMPLES[9])
def test_root_links_are_rebased_as_before(text: str) -> None:
    assert (links.ROOT_LINK.sub(lambda m: m.group(1) + "/base/", text)
            == OLD_ROOT_LINK.sub(lambda m: m.group(1) + "/base/", text))


@given(texts)
@example(EXAMPLES[2])
@example(EXAMPLES[8])
def test_asset_links_are_found_as_before(text: str) -> None:
    _, new = context._asset_patterns(PREFIX)

    def swap(match: re.Match[str]) -> str:
        return f"{match.group(1)}{PREFIX}<{match.group(2)}>" if "." in match.group(2) else match.group(0)

    assert new.sub(swap, text) == OLD_ASSET_LINK.sub(swap, text)


def test_duplicate_ids_and_scoped_ids_on_a_page() -> None:
    page = '<h2 id="a">A</h2>\n<p><a href="#a">a</a> <span\tid="b">b</span></p><h3 id="a">x="id="</h3>'
    assert ids.duplicate_ids(page) == ["a"]
    assert ids.scoped_ids(page, frozenset({"a"}), "t") == (
        '<h2 id="t-a">A</h2>\n<p><a href="#t-a">a</a> <span\tid="t-b">b</span></p><h3 id="t-a">x="id="</h3>')
