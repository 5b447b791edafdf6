"""French typography: exact spaces, never in code, attributes or URLs; idempotent; nothing else changes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from hypothesis import example, given
from hypothesis import strategies as st

from sitegen.typography import TOKEN, french_text, typeset
from tests import typography_reference as reference
from tests.conftest import REPO, build_ok

NB, NN = "\u00a0", "\u202f"


def fr(html: str) -> str:
    return typeset(f'<p lang="fr">{html}</p>')[len('<p lang="fr">'):-len("</p>")]


@pytest.mark.parametrize(("given_text", "expected"), [
    ("Vraiment ? Oui ! Bon ; d’accord.", f"Vraiment{NN}? Oui{NN}! Bon{NN}; d’accord."),
    ("Vraiment? Oui!", f"Vraiment{NN}? Oui{NN}!"),
    ("Quoi ?!", f"Quoi{NN}?!"),
    ("Profil : curieux", f"Profil{NB}: curieux"),
    ("Profil: curieux", f"Profil{NB}: curieux"),
    ("« Bonjour »", f"«{NB}Bonjour{NB}»"),
    ("«Bonjour»", f"«{NB}Bonjour{NB}»"),
    ("l'équipe, aujourd'hui", "l’équipe, aujourd’hui"),
    ("l&#39;équipe", "l’équipe"),
    ("92 % de carbone, 92% aussi", f"92{NB}% de carbone, 92{NB}% aussi"),
    ("1 400 € ou 1400€", f"1 400{NB}€ ou 1400{NB}€"),
    ("35 h par semaine, 30 min, 6 mois", f"35{NB}h par semaine, 30{NB}min, 6{NB}mois"),
    ("Rendez-vous à 10:30 ou 14:00.", "Rendez-vous à 10:30 ou 14:00."),
    ("Voir https://example.org/a?b=c:d ; fin", f"Voir https://example.org/a?b=c:d{NN}; fin"),
    ("Tom &amp; Jerry ; oui", f"Tom &amp; Jerry{NN}; oui"),
    ("<code>a : b ?</code> et <pre>x ; y</pre>", "<code>a : b ?</code> et <pre>x ; y</pre>"),
    ('<a href="/x?y=1" title="Oui ?">lien</a> ?', f'<a href="/x?y=1" title="Oui ?">lien</a>{NN}?'),
    ("<strong>Obligatoire</strong>: vous", f"<strong>Obligatoire</strong>{NB}: vous"),
    ("<strong>Obligatoire :</strong> vous", f"<strong>Obligatoire{NB}:</strong> vous"),
    ("Mot <em>fin </em>?", f"Mot <em>fin{NN}</em>?"),
    ('<span lang="en">Hello: you?</span> Oui ?', f'<span lang="en">Hello: you?</span> Oui{NN}?'),
])
def test_french_spacing_examples(given_text: str, expected: str) -> None:
    assert fr(given_text) == expected


def test_a_text_typeset_for_a_jobposting_is_not_typeset_again_in_its_page() -> None:
    """A posting's paragraphs and facts are typeset for its JobPosting, then in its page: the rules run once
    for each text (`_french` remembers a few hundred), whatever comes before it, and give the same text."""
    from sitegen.typography import _french, typeset_fragment

    description = "<p>Un stage de 6 mois : l'équipe vous attend !</p><ul><li>Durée : 35 h</li></ul>"
    page = f'<html lang="fr"><body><h1>Stage ?</h1><div class="prose">{description}</div></body></html>'
    _french.cache_clear()
    fragment = typeset_fragment.__wrapped__(description, "fr")
    made = _french.cache_info()
    assert made.misses == 2 and made.hits == 0  # the paragraph and the list item
    whole = typeset(page)
    assert _french.cache_info().hits == 2 and _french.cache_info().misses == made.misses + 1  # the heading
    assert fragment in whole and whole == reference.typeset(page)
    assert typeset(page) == whole and _french.cache_info().misses == made.misses + 1


def test_english_pages_are_untouched() -> None:
    html = '<html lang="en"><p>Hello: you? l\'eau « x » 92 %</p></html>'
    assert typeset(html) == html


def test_block_start_gets_no_space() -> None:
    assert fr("<li>? début</li>") == "<li>? début</li>"


# Random HTML: French-looking text, entities, URLs, times, code, attributes, and other languages.
words = st.sampled_from(["Bonjour", "l'équipe", "oui", "92", "1400", "€", "%", "h", "min", "10:30", "«", "»",
                         ":", ";", "!", "?", "?!", "&amp;", "&#39;", "https://ex.org/?a=b:c", "mois", "’",
                         "a", "x", "\u00a0", "\u202f", "'"])
text = st.lists(st.tuples(words, st.sampled_from(["", " ", "  ", "\u00a0", "\n"])), max_size=12).map(
    lambda parts: "".join(w + sep for w, sep in parts))
elements = st.recursive(
    text,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["p", "em", "strong", "code", "pre", "a", "li", "span", "script"]),
                  st.sampled_from(["", ' lang="en"', ' lang="fr"', ' title="Oui ? : «x»"', ' href="/?a=b"']),
                  st.lists(inner, max_size=3)).map(lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}</{t[0]}>"),
        st.lists(inner, max_size=3).map("".join),
        st.just("<br>"),
    ),
    max_leaves=10,
)
documents = elements.map(lambda body: f'<html lang="fr"><body>{body}</body></html>')


def visible(html: str) -> str:
    """The text with spaces removed and every apostrophe written one way."""
    return re.sub("[ \u00a0\u202f]", "", html.replace("&#39;", "'").replace("’", "'"))


@given(documents)
def test_idempotent(html: str) -> None:
    once = typeset(html)
    assert typeset(once) == once


@given(documents)
def test_only_spaces_and_apostrophes_change(html: str) -> None:
    assert visible(typeset(html)) == visible(html.replace("’", "'"))


@given(documents)
def test_tags_attributes_and_code_are_untouched(html: str) -> None:
    out = typeset(html)
    assert TOKEN.findall(out) == TOKEN.findall(html)
    before, after = BeautifulSoup(html, "html.parser"), BeautifulSoup(out, "html.parser")
    for name in ("code", "pre", "script"):
        assert [t.decode() for t in before.find_all(name)] == [t.decode() for t in after.find_all(name)]
    def english(soup: BeautifulSoup) -> list[str]:
        return [t.decode() for t in soup.select('[lang="en"]') if not t.select("[lang]")]

    assert english(before) == english(after)


MISSING_SPACE = re.compile(r"[^\u00a0\u202f\s]([;!?]|:(?=\s)|»)|«[^\u00a0]|[^\u00a0\s]»")


def test_every_french_page_has_its_spaces(tmp_path: Path) -> None:
    build_ok(REPO, tmp_path / "dist")
    checked = 0
    for path in sorted((tmp_path / "dist/fr").rglob("*.html")):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for tag in page(["code", "pre", "script", "style"]):
            tag.decompose()
        for node in page.find_all(string=True):
            parent_lang = next((p.get("lang") for p in node.parents if p.get("lang")), "fr")
            if parent_lang != "fr":
                continue
            assert not MISSING_SPACE.search(str(node)), f"{path}: {node!r}"
            assert "'" not in str(node), f"{path}: straight apostrophe in {node!r}"
            checked += 1
    assert checked > 100


@given(elements)
def test_a_page_with_no_french_in_it_is_returned_as_it_is(body: str) -> None:
    """The pass returns at once when no `lang` names a language with rules; it would change nothing anyway."""
    page = f'<html lang="en"><body>{body}</body></html>'
    if 'lang="fr"' not in body:
        assert typeset(page) is page
    rules = {"fr": french_text, "de": lambda text, prev: text.upper()}
    german = f'<html lang="en"><body><p lang="de-AT">x</p>{body}</body></html>'
    assert "<p lang=\"de-AT\">X</p>" in typeset(german, rules)  # a region code still finds the rules


english_documents = elements.map(lambda body: f'<html lang="en"><body><p lang="fr">Oui : «x»</p>{body}</body></html>')


@given(english_documents)
def test_the_pass_stops_after_the_last_french_element_with_the_same_result(html: str) -> None:
    """Past the last element in a language with rules, and outside it, the rest is copied: as if typeset."""
    late = '<i lang="fr"></i>'  # a French element at the very end: the pass goes through everything
    assert typeset(html) + late == typeset(html + late)


# Random HTML as pages have it and as editors may write it: tags in any case, comments, doctypes, void
# and self-closed elements, end tags out of order, nested languages, text that starts with punctuation
# right after an inline element, entities, URLs and private-use characters.
loose_words = st.sampled_from(["Bonjour", "l'équipe ", "92", "€", "%", "£", "h", "10:30", "«", "»", ":", ";", "!",
                               "?", "Oui !", "Oui!", "fin :", "x;", "« a »", "&amp;", "&#39;", "&apos;", "www.ex.org",
                               "mailto:a@b.c", "\ue001", "\uf8ff", "\uf900", "\U0001f600", "x", " ", "\u00a0", "\u202f",
                               "\n", "'", "’", "?!",
                               ": oui", "» fin", "6 mois", "5 %", "3$", "7 £", "&#x27;", "l'a", "x  ;", "\u00a0:",
                               "ab»", "  »", "3 h", "2\u202fmin", "://", "http://a.b:8", "?:", "a\u202f\u00a0!"])
loose_text = st.lists(loose_words, max_size=6).map("".join)
tag_names = st.sampled_from(["p", "P", "em", "EM", "strong", "code", "pre", "a", "li", "span", "Span", "script",
                             "svg", "div", "q", "kbd", "b"])
attributes = st.sampled_from(["", ' lang="en"', ' lang="fr"', " lang=fr", " LANG='fr-CA'", ' lang="de"',
                              ' hreflang="fr"', ' title="Oui ? : «x»"', ' data-lang="fr"', ' class="x" lang="en-GB"',
                              ' lang\u00a0=\u202f"fr"', " lang=fr\u00a0x", " data-élang='fr'", " lang=éfr",
                              " lang=\u2003fr", ' LanG = "FR"', " lang=\x1cfr"])
loose = st.recursive(
    loose_text,
    lambda inner: st.one_of(
        st.tuples(tag_names, attributes, st.lists(inner, max_size=3), st.sampled_from(["same", "upper", "none"])).map(
            lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}"
                      + {"same": f"</{t[0]}>", "upper": f"</{t[0].upper()}>", "none": ""}[t[3]]),
        st.lists(inner, max_size=4).map("".join),
        st.sampled_from(["<br>", "<BR/>", "<img src=x>", "<span/>", "<!-- a : b ? -->", "<!-- a > b ; c -->",
                         "<!doctype html>", "</em>", "</p>", "< p>", "<>", "<p\nlang='fr'>", "</ div>"]),
    ),
    max_leaves=14,
)
loose_documents = st.tuples(st.sampled_from(['<html lang="fr">', '<html lang="en">', "<html>", ""]), loose).map(
    lambda t: f"{t[0]}<body>{t[1]}</body></html>")


switchers = st.tuples(st.sampled_from(["a", "span", "A", "b"]),
                      st.sampled_from([' lang="fr"', " lang=fr", " LANG='fr-CA'"]), loose_text,
                      st.sampled_from(["same", "upper", "other", "none"])).map(
    lambda t: f"<{t[0]}{t[1]} href=/fr/>{t[2]}"
              + {"same": f"</{t[0]}>", "upper": f"</{t[0].upper()}>", "other": "</i>", "none": "<br>"}[t[3]])


@given(st.lists(loose | switchers, max_size=5).map("".join),
       st.sampled_from(['<html lang="en">', "<html>", '<html lang="fr">', '<html lang="en"><code>']))
@example('<a lang="fr" href="/fr/">Français</a> : oui', '<html lang="en">')
@example('<p lang="fr">Oui <a lang="fr">Non</a></p>', '<html lang="en">')
@example('<b<a lang="fr" href="/fr/"></a>Oui ?</b>', '<html lang="en">')  # a tag holding a "<": one tag, <b…>
def test_a_page_whose_french_elements_hold_one_plain_text_each_is_returned_as_it_is(body: str, start: str) -> None:
    """An English page's French language link ("Français") holds one text the rules would leave as it is: the
    page is returned without a pass over it, and is what the plain pass gives every page."""
    page = f"{start}<body>{body}</body></html>"
    assert typeset(page) == reference.typeset(page)


def test_an_english_page_is_not_looked_at_for_its_french_link(monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.typography

    def no_pass(*args: object) -> None:
        raise AssertionError("the page was looked at")

    page = ('<html lang="en"><body><nav><a href="/fr/" lang="fr" hreflang="fr">Français</a></nav>'
            "<p>Hello: you? 6 months</p></body></html>")
    monkeypatch.setattr(sitegen.typography, "_Pass", no_pass)
    assert typeset(page) is page
    with pytest.raises(AssertionError):  # French text the rules would change is looked at
        typeset(page.replace("Français", "Français ?"))


@given(loose_documents)
@example('<p lang="fr">l\'équipe <em>: oui</em> et <b>l\'a </b>» fin</p>')  # a space before, in text that changed
@example('<p lang="fr">fin <em>: oui</em>, <a>ici </a><b></b>? Non<!-- x --> !</p>')  # in text that did not
@example('<p lang="fr">7 £, 8£, 9 $ et 10 %</p><p lang="fr"><span>12 € </span><i>? </i></p>')
def test_the_pass_gives_what_the_plain_pass_gives(html: str) -> None:
    """The pass copies the text it leaves alone in spans, and runs each rule only where its characters are:
    it gives what the plain pass (one piece per text and tag, every rule on every text) gives."""
    assert typeset(html) == reference.typeset(html)
    rules = {"fr": french_text, "de": lambda text, prev: text.upper() + (prev or "")}
    assert typeset(html, rules) == reference.typeset(html, {"fr": reference.french_text, "de": rules["de"]})


long_documents = st.tuples(st.sampled_from(['<html lang="fr">', '<html lang="en">', "<html>", ""]),
                           st.lists(loose, min_size=6, max_size=14)).map(
    lambda t: f"{t[0]}<body>{''.join(t[1])}</body></html>")


@given(long_documents)
@example('<html lang="fr"><body>' + "<p>Oui : non</p>\n" * 40 + "<p lang=en>Yes: no</p>" * 3 + "</body></html>")
@example('<html lang="en"><body><a lang="fr">Oui ?</a>' + "<p>Yes: no</p>" * 40 + "</body></html>")
def test_a_page_split_in_parts_gives_what_the_plain_pass_gives(html: str) -> None:
    """The pass splits a page up to its last element in a language with rules, and a few tags more, then the
    rest only if it goes on: a page of many elements, in any language, gives what the plain pass gives."""
    assert typeset(html) == reference.typeset(html)


@given(long_documents | loose_documents, st.integers(min_value=1, max_value=12))
@example('<p lang="fr">a <em>b</em><i>!</i> <span> </span><b>?</b></p>', 1)  # the block's last text, windows back
@example('<html lang="fr"><body>' + "<p>Oui <em>x</em> : non</p>\n" * 6 + "</body></html>", 2)
def test_a_page_looked_at_a_few_tags_at_a_time_gives_what_the_plain_pass_gives(html: str, window: int) -> None:
    """A page that lists every posting of a big site is split and typeset `WINDOW` tags at a time, what each
    window made joined before the next is split: any number of tags at a time gives the same page."""
    import sitegen.typography

    default = sitegen.typography.WINDOW
    sitegen.typography.WINDOW = window
    try:
        assert typeset(html) == reference.typeset(html)
    finally:
        sitegen.typography.WINDOW = default


@given(loose_documents)
def test_the_places_of_french_are_found_in_the_bytes_at_or_after_those_in_the_text(html: str) -> None:
    """A page with a comment is searched in its bytes (`str.lower` of a page beyond ASCII takes 12 bytes a
    character): it may find more places, or later ones, never fewer (it would leave French alone)."""
    from sitegen.typography import RULES, _ruled_bytes

    found, before = _ruled_bytes(html, RULES), reference._ruled(html, RULES)
    assert bool(found) >= bool(before) and (not before or found[-1] >= before[-1])


@given(loose_documents)
@example('<p title="lang" LANG="fr">Oui :</p>')  # read as French by the pass: it holds a plain "lang"
@example('<p>langue <b lang="fr">x</b> lang="fr"</p>')
def test_the_places_of_french_are_found_in_every_tag_the_pass_reads_as_french(html: str) -> None:
    """`_ruled` finds a place in, or after the start of, the last tag the pass reads as opening an element in
    a language with rules (and finds one whenever there is such a tag)."""
    from sitegen.typography import PIECES, RULES, _ruled, _tag

    starts, at = [], 0
    for index, piece in enumerate(PIECES.split(html)):
        read = _tag(piece) if index % 2 else None
        if read is not None and read[3] is not None and RULES.get(read[3]):
            starts.append(at)
        at += len(piece)
    found = _ruled(html, RULES)
    assert bool(found) >= bool(starts) and (not starts or found[-1] >= starts[-1])


@given(loose_text, st.sampled_from([None, "x", " ", "\u00a0", "»", "?"]))
def test_french_text_gives_what_the_plain_rules_give(text: str, prev: str | None) -> None:
    assert french_text(text, prev) == reference.french_text(text, prev)


def test_every_built_page_is_typeset_as_by_the_plain_pass(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_ok(REPO, out)
    for page in sorted(out.rglob("*.html")):
        html = page.read_text("utf-8")
        plain = re.sub(f"[{NB}{NN}]", " ", html).replace("’", "'")  # as if never typeset
        assert typeset(plain) == reference.typeset(plain), page


@given(long_documents | loose_documents, st.lists(st.integers(min_value=0, max_value=400), max_size=12))
@example('<p lang="fr">a <em>b</em><i>!</i> <span> </span><b>?</b></p>', [20, 24])  # the block's last text, parts back
@example('<html lang="fr"><body><p>x</p><!-- a > b ; <i> --><p>Oui : non</p></body></html>', [33, 40, 50])
@example('<html lang="fr"><body><p>Oui</p>< b <p>: non</p></body></html>', [36, 41])  # a "<" that no tag is
def test_a_page_given_in_parts_gives_what_the_plain_pass_gives(html: str, cuts: list[int]) -> None:
    """A page that lists every posting of a big site is made, typeset and written in parts, cut anywhere (in a
    tag, a comment, a text): what the parts give joined is the whole page's pass, each part but the last ending
    with a tag."""
    from sitegen.typography import typeset_stream

    places = sorted({min(cut, len(html)) for cut in cuts})
    parts = [html[start:end] for start, end in zip([0, *places], [*places, len(html)], strict=True)]
    out = list(typeset_stream(parts))
    assert "".join(out) == reference.typeset(html)
    assert all(part.endswith(">") for part in out[:-1])


# A posting's text as its page holds it: blocks of loose HTML (some closing what they did not open, or not what
# they opened), in an element of some language, among other elements, maybe more than once.
blocks = st.lists(st.tuples(st.sampled_from(["p", "ul", "h2", "div", "li", "pre", "em", "P", "hr"]), loose).map(
    lambda t: f"<{t[0]}>{t[1]}" + ("" if t[0] == "hr" else f"</{t[0]}>")), min_size=1, max_size=4).map("".join)
settings_around = st.sampled_from([('<div class="prose">', "</div>"), ('<div lang="en">', "</div>"),
                                   ("<code>", "</code>"), ("<p>Intro :", "</p>"), ('<div lang="fr-CA">', "</div>"),
                                   ("<section><div>", "</div> ? </section>"), ("<em>", "</em>"), ("", ""),
                                   ('<code title="', '">x</code>'), ("<!-- x -->", "")])


@given(blocks, settings_around, st.sampled_from(['<html lang="fr">', '<html lang="en">', "<html>"]),
       st.sampled_from(["fr", "en", "fr-CA", "FR"]), loose, st.booleans())
@example("<p>Oui : non</p><ul><li>6 mois</li></ul>", ('<div class="prose">', "</div>"), '<html lang="fr">', "fr",
         "<p>Fin !</p>", False)
@example("<p>Oui : non</p></em><em>", ("<em>", "</em>"), '<html lang="fr">', "fr", "", False)
@example("<p>Oui</p></span><p>: non</p>", ("<span>", "</span>"), '<html lang="fr">', "fr", "", False)
@example("<em>! non</em>", ("<p>Intro :", "</p>"), '<html lang="fr">', "fr", "", False)  # an inline start: text before
@example("<p>a</p><em>oui </em>", ("", ""), '<html lang="fr">', "fr", "! fin", False)  # an inline end: text after
@example("<p>Oui : non</p>", ('<code title="', '">x</code>'), '<html lang="fr">', "fr", "", False)  # in an attribute
@example("<p>Oui : non</p>", ('<div lang="fr-CA">', "</div>"), '<html lang="en">', "fr", '<p lang="fr">Oui : non</p>',
         False)  # the last French element just after
def test_a_page_holding_a_known_fragment_gives_what_the_plain_pass_gives(
        fragment: str, setting: tuple[str, str], start: str, lang: str, after: str, twice: bool) -> None:
    """A posting's text, typeset once for its JobPosting, is put as it is where its page holds it in the same
    language (outside code): the page is what the plain pass gives, wherever the text stands, whatever it holds."""
    from sitegen.typography import typeset_fragment

    again = fragment if twice else ""
    page = f"{start}<body><h1>Stage :</h1>{setting[0]}{fragment}{setting[1]}{after}{again}</body></html>"
    assert typeset(page, known=[(fragment, lang)]) == reference.typeset(page)
    description = f"{fragment}\n<h2>Faits :</h2><p>6 mois</p>{after}"
    assert typeset_fragment(description, lang, fragment) == typeset_fragment.__wrapped__(description, lang)


@given(st.lists(st.tuples(blocks, settings_around, st.sampled_from(["fr", "en", "fr-CA"]), st.booleans()), min_size=2,
                max_size=4), st.sampled_from(['<html lang="fr">', '<html lang="en">']), loose, st.randoms())
@example([("<p>Oui : non</p>", ('<div class="prose">', "</div>"), "fr", True),
          ("<section><h2>Équipe :</h2></section>", ("", ""), "fr", True)], '<html lang="fr">', "<p>! fin</p>", None)
@example([("<p>Oui : non</p><p>Fin</p>", ("", ""), "fr", True), ("<p>Fin</p>", ("", ""), "fr", True)],
         '<html lang="fr">', "", None)  # one within another
@example([("<p>A : b</p>", ("", ""), "fr", True), ("<p>Oui : non</p>", ("<code>", "</code>"), "fr", True)],
         '<html lang="fr">', "", None)  # the second in code
@example([("<p>A : b</p>", ("", ""), "fr", True), ("<p>Oui : non</p>", ('<code title="', '">x</code>'), "fr", True)],
         '<html lang="fr">', "", None)  # the second in an attribute
def test_a_page_holding_known_fragments_gives_what_the_plain_pass_gives(
        parts: list[tuple[str, tuple[str, str], str, bool]], start: str, between: str, shuffle: Any) -> None:
    """A page's people and steps, typeset once for every page that shows them, are put as they are where the page
    holds them, beside its text: given in any order, each in some setting, maybe within another, or not in
    the page at all, the page is what the plain pass gives."""
    body = "".join(f"{setting[0]}{fragment}{setting[1]}{between}" for fragment, setting, _, shown in parts if shown)
    page = f"{start}<body><h1>Stage :</h1>{body}</body></html>"
    known = [(fragment, lang) for fragment, _, lang, _ in parts]
    if shuffle is not None:
        shuffle.shuffle(known)
    assert typeset(page, known=known) == reference.typeset(page)


def test_a_french_posting_page_and_its_description_are_typeset_with_its_text_typeset_once(tmp_path: Path) -> None:
    """The real French posting's page and JobPosting description hold its text, typeset once for both."""
    import sitegen.typography
    from sitegen.typography import _around, _ruled, _typeset_closed, typeset_fragment

    build_ok(REPO, tmp_path / "out")
    page = (tmp_path / "out/fr/offres/stage-ingenierie-backend/index.html").read_text("utf-8")
    prose = BeautifulSoup(page, "html.parser").find("div", class_="prose")
    assert prose is not None
    text = prose.decode_contents().strip()
    assert text in page and _typeset_closed(text, "fr") == text  # (the page holds it typeset)
    assert _around(page, [(text, "fr")], _ruled(page, sitegen.typography.RULES)[-1]) == page
    description = f"{text}\n<h2>Infos</h2>"
    assert typeset(f'<div lang="fr">{description}</div>', known=[(text, "fr")]) == f'<div lang="fr">{description}</div>'
    assert typeset_fragment(description, "fr", text) == description


# Edits as serve's saves make them to a big page (a card's title changed, added, taken out), anywhere in it: in a
# text, in a tag, across elements.
edits = st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=40), loose | loose_text),
                 min_size=1, max_size=4)


def edited(html: str, at: int, removed: int, added: str) -> str:
    at %= len(html) + 1
    return html[:at] + added + html[at + removed:]


@given(long_documents | loose_documents, edits, st.integers(min_value=1, max_value=60))
@example('<html lang="fr"><body>' + "<p>Oui : non</p>\n" * 20 + "</body></html>", [(200, 0, "<em>a</em> ?")], 20)
@example('<html lang="fr"><body>' + "<p>Oui <em>x</em> : non</p>\n" * 12 + "</body></html>", [(60, 3, "<i>")], 10)
@example('<html lang="en"><body>' + "<p>Yes</p>" * 12 + '<p lang="fr">Oui ?</p></body></html>', [(40, 0, "x")], 8)
@example('<html lang="fr"><body><div>Oui<br>: non</div></body></html>', [(30, 4, "<span/>")], 1)  # no block end
def test_a_page_typeset_again_after_edits_gives_what_the_plain_pass_gives(
        html: str, changes: list[tuple[int, int, str]], every: int) -> None:
    """serve typesets a big page's new version from the last one's typesetting, where they differ: after any edits,
    one after the other, each version is what the plain pass gives it."""
    from sitegen.typography import typeset_again

    last = typeset_again(html, every=every)
    assert last.typeset == reference.typeset(html)
    for at, removed, added in changes:
        html = edited(html, at, removed, added)
        last = typeset_again(html, last, every)
        assert last.typeset == reference.typeset(html)


def test_a_page_typeset_again_takes_what_did_not_change_from_the_last_typesetting() -> None:
    """The part of a page before its first change and after its last one is the last typeset page's (here marked
    by hand): only the part between the marks around the change is typeset again."""
    from sitegen.typography import typeset_again

    cards = [f"<li><h2>Stage {n} : backend</h2><p>6 mois ; Paris</p></li>\n" for n in range(200)]
    html = f'<html lang="fr"><body><ul>{"".join(cards)}</ul></body></html>'
    last = typeset_again(html, every=200)
    assert last.typeset == reference.typeset(html) and len(last.marks.places) > 20
    marked = last._replace(typeset=last.typeset.replace(f"Stage 1{NB}", f"STAGE 1{NB}").replace("Stage 198",
                                                                                                "STAGE 198"))
    new = html.replace("Stage 100 : backend", "Stage 100 : frontend !")
    again = typeset_again(new, marked, every=200)
    assert f"STAGE 1{NB}" in again.typeset and "STAGE 198" in again.typeset  # taken, not typeset again
    assert again.typeset.replace("STAGE", "Stage") == reference.typeset(new)
    assert f"Stage 100{NB}: frontend{NN}!" in again.typeset
    # the next version is made from this one's marks, moved by what the change added
    newer = new.replace("Stage 150 : backend", "Stage 150: api")
    assert typeset_again(newer, again, every=200).typeset.replace("STAGE", "Stage") == reference.typeset(newer)
