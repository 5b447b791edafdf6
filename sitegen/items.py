"""Typed items from facts and texts: posting facts, people, hiring steps."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterator, Mapping
from typing import Any, TypeVar

from .i18n import parse_month
from .ids import scoped_ids
from .links import rebase
from .model import Location, MonthRange, Pay, Person, PostingFacts, Problem, Step, YamlData
from .parse import Parsed
from .typography import typeset_plain

Texts = Mapping[str, Mapping[str, Parsed]]


def make_facts(
    key: str, doc: YamlData, src_path: str, facts_of: Collection[str], langs: tuple[str, ...] = (),
) -> tuple[PostingFacts, list[Problem]]:
    """Return a posting's typed facts and problems with the people and steps it names.

    `apply_url` is one URL, or one per language (`{en: …, fr: …}`) naming every language in `langs`.
    """
    raw = doc.value
    apply_url, apply_urls, problems = _apply_urls(raw["apply_url"], doc, src_path, langs)
    problems += [
        _unknown_ref(src_path, doc, (field, index), ref, field,
                     [k.split("/", 1)[1] for k in facts_of if k.startswith(f"{collection}/")])
        for field, collection in (("people", "people"), ("process", "process"))
        for index, ref in enumerate(raw.get(field, ()))
        if f"{collection}/{ref}" not in facts_of
    ]
    start, end = _window(raw.get("start")), _window(raw.get("end"))
    for name, window in (("start", start), ("end", end)):
        if window and window.first > window.last:
            line, column = doc.where((name, "to"))
            problems.append(Problem(src_path, line, f"'{name}.to' is before '{name}.from'",
                                    "swap the two months", column))
    pay = raw.get("pay")
    if pay and "max" in pay and pay["max"] < pay["min"]:
        line, column = doc.where_value(("pay", "max"))
        problems.append(Problem(src_path, line, "'pay.max' is less than 'pay.min'", "swap the two amounts", column))
    if start and end and end.last < start.first:
        line, column = doc.where(("end",))
        problems.append(Problem(src_path, line, "the end window is before the start window",
                                "check the years and months", column))
    loc, pay = raw["location"], raw.get("pay")
    facts = PostingFacts(
        key=key, identifier=raw.get("identifier"), date_posted=_date(raw["date_posted"]),
        contract=raw["contract"], employment_type=_one(tuple(raw["employment_type"])),
        location=_one(Location(loc["locality"], loc["country"], loc.get("region"), loc.get("street_address"),
                               loc.get("postal_code"))),
        apply_url=apply_url, apply_urls=apply_urls, duration_months=raw.get("duration_months"),
        hours_per_week=raw.get("hours_per_week"), start=start, end=end,
        valid_through=_date(raw["valid_through"]) if "valid_through" in raw else None,
        people=_one(tuple(raw.get("people", ()))), process=_one(tuple(raw.get("process", ()))),
        remote=raw.get("remote"),
        pay=Pay(pay["min"], pay["currency"], pay["unit"], pay.get("max")) if pay else None,
        education=raw.get("education"), experience_months=raw.get("experience_months"),
        experience_in_place_of_education=raw.get("experience_in_place_of_education"),
        direct_apply=raw.get("direct_apply", False), image=raw.get("image"),
    )
    return facts, problems


Value = TypeVar("Value")


@functools.lru_cache(maxsize=1024)
def _one(value: Value) -> Value:
    """Return the first value seen equal to `value`, an immutable one: a big site's postings repeat their people,
    steps, types and places (5,000 postings with the same two people were 5,000 tuples)."""
    return value


def _apply_urls(value: str | Mapping[str, str], doc: YamlData, src_path: str,
                langs: tuple[str, ...]) -> tuple[str, tuple[tuple[str, str], ...], list[Problem]]:
    """Return the default apply URL, the per-language ones, and problems with the languages named."""
    if isinstance(value, str):
        return value, (), []
    problems = []
    for lang in value:
        if langs and lang not in langs:
            line, column = doc.where(("apply_url", lang))
            problems.append(Problem(src_path, line, f"apply_url names '{lang}', which is not a language of the site",
                                    f"use the site's language codes: {', '.join(langs)}", column))
    missing = [lang for lang in langs if lang not in value]
    if missing:
        line, column = doc.where(("apply_url",))
        problems.append(Problem(src_path, line, f"apply_url gives no URL for {', '.join(missing)}",
                                f"add '{missing[0]}: https://…' under apply_url, or give one URL for every language",
                                column))
    pairs = tuple(sorted(value.items()))
    default = value[langs[0]] if langs and langs[0] in value else pairs[0][1]
    return default, pairs, problems


def _unknown_ref(src_path: str, doc: YamlData, path: tuple[str, int], ref: str, field: str,
                 known: list[str]) -> Problem:
    """Return the problem for a posting that names a person or step that does not exist."""
    import difflib

    line, column = doc.where(path)
    folder = "people" if field == "people" else "process"
    close = difflib.get_close_matches(ref, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"create content/{folder}/{ref}.yaml, or fix the name"
    return Problem(src_path, line, f"unknown {'person' if field == 'people' else 'process step'} '{ref}'",
                   hint, column)


def _window(raw: Mapping[str, str] | None) -> MonthRange | None:
    """Return a month window from `{from: YYYY-MM, to: YYYY-MM}`."""
    return _month_window(raw["from"], raw["to"]) if raw else None


# (one object for the postings that give the same dates: a big site's postings share a few dozen)
@functools.lru_cache(maxsize=1024)
def _month_window(first: str, last: str) -> MonthRange:
    return MonthRange(parse_month(first), parse_month(last))


@functools.lru_cache(maxsize=1024)
def _date(text: str) -> dt.date:
    """Return a date from a schema-checked ISO string."""
    return dt.date.fromisoformat(text)


def _localized(
    facts_of: Mapping[str, Parsed], texts: Texts, lang: str, collection: str,
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any], Parsed]]:
    """Yield (name, facts, front matter, text) of each usable item of a collection in one language."""
    prefix = f"{collection}/"
    for key, item in facts_of.items():
        if not key.startswith(prefix):
            continue
        text = texts.get(key, {}).get(lang)
        if text is not None and text.data and item.data:
            yield key.split("/", 1)[1], item.data.value, text.data.value, text


def make_people(facts_of: Mapping[str, Parsed], texts: Texts, lang: str, base_path: str = "/",
                reserved: frozenset[str] = frozenset()) -> tuple[Person, ...]:
    """Return the team in one language, ordered by `order`, then name; ids in texts carry the person's key."""
    people = [
        (raw.get("order", 0), raw["name"], Person(
            key=name, lang=lang, name=raw["name"], initials=initials(raw["name"]),
            role=typeset_plain(meta["role"], text.file.lang or lang),
            intro_html=scoped_ids(rebase(str(text.html), base_path), reserved, name), photo=raw.get("photo"),
            photo_alt=typeset_plain(meta.get("photo_alt") or "", text.file.lang or lang) or None,
            text_lang=text.file.lang or lang,
        ))
        for name, raw, meta, text in _localized(facts_of, texts, lang, "people")
    ]
    return tuple(person for *_, person in sorted(people, key=lambda p: (p[0], p[1], p[2].key)))


def initials(name: str) -> str:
    """Return up to two capital initials: 'Théotime' → 'T', 'Ana María' → 'AM'."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalpha()]
    return "".join(w[0].upper() for w in words[:2]) or "?"


def make_steps(facts_of: Mapping[str, Parsed], texts: Texts, lang: str, base_path: str = "/",
               reserved: frozenset[str] = frozenset()) -> tuple[Step, ...]:
    """Return the hiring steps in one language, ordered by `order`, then key; ids in texts carry the step's key."""
    steps = [
        Step(name, lang, raw["order"], raw["duration_minutes"], raw["format"],
             typeset_plain(meta["title"], text.file.lang or lang), typeset_plain(meta["with"], text.file.lang or lang),
             scoped_ids(rebase(str(text.html), base_path), reserved, name), text.file.lang or lang)
        for name, raw, meta, text in _localized(facts_of, texts, lang, "process")
    ]
    return tuple(sorted(steps, key=lambda s: (s.order, s.key)))
