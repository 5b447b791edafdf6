"""A posting's facts as rows (`sitegen.facts`): what the templates' own macro made, made once a page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.environment import make_environment
from sitegen.facts import FactRow, fact_rows, page_rows
from sitegen.i18n import make_formatters
from sitegen.model import Location, MonthRange, Pay, PostingFacts
from sitegen.sources import read_project
from sitegen.templatecheck import FACT_ROW_KEYS, FACT_ROW_PREFIXES
from sitegen.translations import Translator
from tests.conftest import REPO

# The macro the facts' rows replace, as the real site's `_partials/facts.html` had it: the reference.
FORMER = (REPO / "tests" / "facts_reference.html").read_text(encoding="utf-8")
LOCALES = {"en": "en_GB", "fr": "fr_FR"}


def _catalogue(lang: str) -> dict[str, str]:
    return yaml.safe_load((REPO / "content" / f"_strings.{lang}.yaml").read_text(encoding="utf-8"))


CATALOGUES = {lang: _catalogue(lang) for lang in LOCALES}
ENV = make_environment(read_project(REPO), make_formatters)


def _lines(html: str) -> list[str]:
    """Return the non-blank lines of what a macro made (the former one left blank lines between some)."""
    return [line for line in html.split("\n") if line.strip()]


def _former(facts: PostingFacts, lang: str, as_list: bool, requirement: str) -> str:
    template = ENV.from_string(FORMER)
    module = template.make_module({"locale": LOCALES[lang]})
    return str(module.facts_items(facts, Translator(lang, CATALOGUES[lang]), as_list, requirement))


def _rows(facts: PostingFacts, lang: str, as_list: bool, requirement: str) -> str:
    macro = ENV.get_template("_partials/facts.html").make_module({"locale": LOCALES[lang]}).facts_items
    return str(macro(fact_rows(facts, Translator(lang, CATALOGUES[lang]), LOCALES[lang], requirement), as_list))


def _words(keys: list[str], prefix: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(key.removeprefix(prefix) for key in keys if key.startswith(prefix)))


KEYS = sorted(CATALOGUES["en"])
MONTHS = st.builds(lambda year, month, span: MonthRange(dt.date(year, month, 1),
                                                        dt.date(year + (month + span - 1) // 12,
                                                                (month + span - 1) % 12 + 1, 1)),
                   st.integers(2025, 2028), st.integers(1, 12), st.integers(0, 3))
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
FACTS = st.builds(
    PostingFacts,
    key=st.just("job"),
    identifier=st.none() | st.just("REF-1 <&>"),
    date_posted=st.just(dt.date(2026, 1, 5)),
    contract=_words(KEYS, "contract_").filter(lambda word: word != "schedule"),
    employment_type=st.lists(st.sampled_from(["FULL_TIME", "PART_TIME", "INTERN", "TEMPORARY"]), max_size=3,
                             unique=True).map(tuple),
    location=st.builds(Location, locality=st.sampled_from(["Paris", "Lyon"]), country=st.sampled_from(["FR", "BE"]),
                       region=st.none() | st.just("Île-de-France"), street_address=st.none() | TEXT,
                       postal_code=st.none() | st.just("75010")),
    apply_url=st.just("https://example.org/apply"),
    duration_months=st.none() | st.integers(0, 24),
    hours_per_week=st.none() | st.sampled_from([35, 37.5, 0]),
    start=st.none() | MONTHS,
    end=st.none() | MONTHS,
    valid_through=st.none() | st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
    remote=st.none() | _words(KEYS, "remote_"),
    pay=st.none() | st.builds(Pay, min=st.sampled_from([1400, 1400.5, 35000]), currency=st.sampled_from(["EUR", "GBP"]),
                              unit=_words(KEYS, "pay_per_").map(str.upper),
                              max=st.none() | st.sampled_from([1400, 1800.25, 45000])),
    education=st.none() | _words(KEYS, "education_"),
    experience_months=st.none() | st.integers(0, 36),
)


@settings(max_examples=150, deadline=None)
@given(facts=FACTS, lang=st.sampled_from(sorted(LOCALES)), as_list=st.booleans(),
       requirement=st.sampled_from(["", "Enrolled in a master's programme & <able> to start"]))
def test_the_rows_show_what_the_former_macro_showed(facts: PostingFacts, lang: str, as_list: bool,
                                                    requirement: str) -> None:
    """The page's list and the JobPosting's list items are the former macro's, line for line (its blank lines
    aside), for any facts a posting may state, in English and in French."""
    assert _lines(_rows(facts, lang, as_list, requirement)) == _lines(_former(facts, lang, as_list, requirement))


def test_rows_name_what_they_are_and_only_what_the_posting_states() -> None:
    """Each row has a key; an optional fact the posting does not state has no row; the rows are in order."""
    t = Translator("en", CATALOGUES["en"])
    bare = PostingFacts("job", None, dt.date(2026, 1, 5), "internship", ("INTERN",), Location("Paris", "FR"),
                        "https://example.org")
    assert fact_rows(bare, t, "en_GB") == (FactRow("contract", "Contract", "Internship"),
                                          FactRow("location", "Location", "Paris, France"))
    full = _full()
    assert [row.key for row in fact_rows(full, t, "en_GB", "A master's student")] == [
        "contract", "duration", "hours", "start", "end", "location", "remote", "pay", "education", "experience",
        "apply_by", "requirement", "reference"]


def _full() -> PostingFacts:
    return PostingFacts("job", "REF-1", dt.date(2026, 1, 5), "internship", ("PART_TIME", "FULL_TIME", "INTERN"),
                        Location("Paris", "FR", "Île-de-France", "1 rue X", "75010"), "https://example.org",
                        duration_months=6, hours_per_week=35,
                        start=MonthRange(dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
                        end=MonthRange(dt.date(2026, 8, 1), dt.date(2026, 9, 1)), remote="hybrid",
                        pay=Pay(1400, "EUR", "MONTH", 1600), education="bachelor_degree", experience_months=0)


def test_the_first_schedule_stated_is_the_one_shown() -> None:
    """Employment types list part time before full time: the contract says part time, as the former macro did."""
    rows = fact_rows(_full(), Translator("fr", CATALOGUES["fr"]), "fr_FR")
    assert rows[0].value == "Stage à temps partiel"


def _recording(asked: list[str]) -> Translator:
    """Return the English UI strings, noting in `asked` each key asked for."""

    class Recording(Translator):
        def __call__(self, key: str, **values: object) -> str:
            asked.append(key)
            return super().__call__(key, **values)

    return Recording("en", CATALOGUES["en"])


def test_a_page_makes_a_postings_rows_once() -> None:
    """The page's list and the JobPosting's description ask for the same rows: they are made once."""
    made: list[str] = []
    posting: Any = type("P", (), {"facts": _full(), "requirement": ""})()
    rows = page_rows(_recording(made), "en_GB")
    first = rows(posting)
    asked = len(made)
    assert rows(posting) is first and len(made) == asked > 0


def test_the_keys_rows_are_made_of_are_the_ones_templates_are_said_to_use() -> None:
    """Every UI string a row asks for is in FACT_ROW_KEYS or named after a value with one of FACT_ROW_PREFIXES:
    the translations report counts them as used, and a catalogue without one is an error naming the template."""
    keys: list[str] = []
    fact_rows(_full(), _recording(keys), "en_GB", "A student")
    asked = set(keys)
    assert asked - FACT_ROW_KEYS and all(any(key.startswith(p) for p in FACT_ROW_PREFIXES)
                                         for key in asked - FACT_ROW_KEYS)
    assert asked >= FACT_ROW_KEYS


def test_templates_that_show_rows_are_checked_against_the_catalogues(tmp_path) -> None:
    """A template calling `fact_rows` uses its keys: a catalogue that lacks one is an error at that template's
    line, and none of them is reported unused."""
    from sitegen.templatecheck import string_keys_in_templates, undefined_string_keys

    project = read_project(REPO)
    used, prefixes = string_keys_in_templates(ENV, project)
    assert used.keys() >= FACT_ROW_KEYS and prefixes >= FACT_ROW_PREFIXES
    strings = {lang: {k: v for k, v in table.items() if k != "fact_pay"} for lang, table in CATALOGUES.items()}
    problems = undefined_string_keys(used, strings)
    assert {(p.path, p.line) for p in problems} == {("templates/posting.html", 24),
                                                    ("templates/_partials/job_description.html", 7)}
    assert all("'fact_pay'" in p.message for p in problems)
