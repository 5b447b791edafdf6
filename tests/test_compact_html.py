"""A text's HTML is kept compressed until its page renders: the same text back, its ids, equality by text."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from sitegen.assemble import scoped_html
from sitegen.ids import scoped_ids
from sitegen.links import rebase
from sitegen.model import NO_HTML, Html
from tests.conftest import MakeProject

# HTML-ish text: elements with ids (some repeated, some a template's), links to ids and to site pages
PIECES = ['<h2 id="role">', '<h2 id="main">', '<p id="x">', "</h2>", "<p>", '<a href="#role">', '<a href="#main">',
          '<a href="/en/team/">', '<img src="/assets/a.png">', "</a>", "Équipe’s « texte » ", "a", " ", "\n", '"',
          "é", "\u202f"]
htmlish = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@given(st.text() | htmlish)
def test_an_html_gives_its_text_back_and_is_equal_to_the_same_texts(text: str) -> None:
    html = Html(text)
    assert str(html) == text and Markup(html) == Markup(text) and bool(html) == bool(text)
    assert html == Html(text) and hash(html) == hash(Html(text)) and repr(html) == repr(Html(text))
    assert html.ids == tuple(match.group(2) for match in re.finditer(r'(\sid=")([^"]*)(")', text))
    again = pickle.loads(pickle.dumps(html))
    assert again == html and str(again) == text and again.ids == html.ids


@given(st.text(min_size=1), st.text(min_size=1))
def test_htmls_of_different_texts_differ_and_print_differently(first: str, second: str) -> None:
    if first != second:
        assert Html(first) != Html(second) and repr(Html(first)) != repr(Html(second))


def test_an_html_is_small_and_never_changes() -> None:
    text = "<p>Vous rejoindrez l’équipe « plateforme » : déploiements, observabilité, astreintes.</p>\n" * 80
    html = Html(text)
    assert len(html._packed) * 4 < len(text.encode())
    with pytest.raises(AttributeError):
        html.ids = ()  # type: ignore[misc]
    assert not NO_HTML and str(NO_HTML) == "" and Html("") == NO_HTML and Html("x") != "x"


@given(htmlish, st.frozensets(st.sampled_from(["main", "role", "x", "nav"])), st.sampled_from(["/", "/careers/"]))
def test_scoping_a_texts_html_is_scoping_its_text(text: str, reserved: frozenset[str], base_path: str) -> None:
    """The page's HTML is the text's with links under the base path and ids clear of the templates'; where
    that changes nothing, it is the very same `Html`, never decompressed."""
    html = Html(text)
    scoped = scoped_html(html, base_path, reserved)
    assert str(scoped) == scoped_ids(rebase(text, base_path), reserved)
    assert (scoped is html) == (base_path == "/" and not reserved & set(html.ids))
    assert scoped.ids == Html(str(scoped)).ids


@given(st.lists(st.sampled_from(['<h2 id="a">', '<p id="b">', ' id="a"', 'id="c"', '<a href="#a">', '<i id="">',
                                 "text", ' id="a b"', '<div\tid="b">']), max_size=12).map("".join))
def test_a_page_s_repeated_ids_are_those_that_appear_more_than_once(page: str) -> None:
    from collections import Counter

    from sitegen.ids import ID_ATTR, duplicate_ids

    counts = Counter(match.group(2) for match in ID_ATTR.finditer(page))
    assert duplicate_ids(page) == sorted(name for name, count in counts.items() if count > 1)


def test_a_page_with_an_id_twice_is_a_problem_naming_it(make_project: MakeProject, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from build import main

    root = make_project()
    home = root / "content/pages/home.en.md"
    home.write_text(home.read_text() + '\n## Once {#twice}\n\n## Again {#twice}\n')
    assert main(["--project", str(root), "build", "--out", str(tmp_path / "out")]) == 1
    assert "has the id 'twice' more than once" in capsys.readouterr().err


def test_a_text_shown_twice_in_a_row_is_decompressed_once(monkeypatch) -> None:
    """A posting's page shows its text, then its JobPosting's description shows it again."""
    import zlib

    import sitegen.model

    calls: list[bytes] = []
    real = zlib.decompress
    monkeypatch.setattr(zlib, "decompress", lambda data: calls.append(data) or real(data))
    sitegen.model._unpacked.cache_clear()
    html = Html("<p>Un « texte » qui n’est montré que deux fois</p>")
    assert str(html) == str(html) == html.__html__() == "<p>Un « texte » qui n’est montré que deux fois</p>"
    assert len(calls) == 1


@given(st.text() | htmlish)
def test_an_html_kept_in_a_file_is_the_same_html(text: str) -> None:
    """What a one-off build's parse workers send: where the compressed bytes are, with the digest and the ids."""
    from sitegen.spool import Shared

    html, shared = Html(text), Shared()
    offset = shared.append(b"before" + html.packed)
    kept = Html.kept_in(shared, offset + 6, len(html.packed), html.digest, html.ids)
    assert kept == html and html == kept and hash(kept) == hash(html) and repr(kept) == repr(html)
    assert str(kept) == text and kept.packed == html.packed and kept.ids == html.ids
    again = pickle.loads(pickle.dumps(kept))  # (another process gets the bytes themselves)
    assert again == html and again._packed == html.packed
    shared.close()
