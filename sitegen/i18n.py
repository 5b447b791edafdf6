"""Languages in data: string catalogues, translation lookups, and Babel-backed formatting."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from babel.units import format_unit

from .model import MonthRange, Problem, YamlData
from .translations import PLACEHOLDER, strings_of

NBSP = "\u00a0"


def check_catalogues(
    docs: Mapping[str, tuple[str, YamlData]], langs: tuple[str, ...], present: set[str],
    used: Mapping[str, list[tuple[str, int]]] | None = None,
) -> list[Problem]:
    """Return a problem for each catalogue missing, or missing a key that another language has."""
    problems = [
        Problem(f"content/_strings.{lang}.yaml", None, f"missing UI string catalogue for '{lang}'",
                f"copy content/_strings.{langs[0]}.yaml and translate it")
        for lang in langs if lang not in present
    ]
    all_keys = {key: lang for lang in reversed(langs) if lang in docs for key in strings_of(docs[lang][1])}
    for lang in langs:
        if lang not in docs:
            continue
        src_path, doc = docs[lang]
        for key in sorted(set(all_keys) - set(strings_of(doc))):
            other_path, other = docs[all_keys[key]]
            line = other.where((key,))[0]
            where = (used or {}).get(key)
            usage = f"; used in {where[0][0]}:{where[0][1]}" if where else ""
            problems.append(Problem(src_path, None, f"missing UI string '{key}'{usage}",
                                    f"it is defined in {other_path}:{line}; translate it here"))
    return problems + _placeholder_mismatches(docs, langs)


def _placeholder_mismatches(docs: Mapping[str, tuple[str, YamlData]], langs: tuple[str, ...]) -> list[Problem]:
    """Return an error for each UI string whose {placeholders} differ from the first language's."""
    if not docs:
        return []
    first = next(lang for lang in langs if lang in docs)
    reference = strings_of(docs[first][1])
    problems = []
    for lang in langs:
        if lang == first or lang not in docs:
            continue
        src_path, doc = docs[lang]
        for key, text in strings_of(doc).items():
            expected, found = set(PLACEHOLDER.findall(reference.get(key, ""))), set(PLACEHOLDER.findall(text))
            if key in reference and expected != found:
                line, column = doc.where_value((key,))
                names = ", ".join("{" + n + "}" for n in sorted(expected)) or "none"
                problems.append(Problem(src_path, line, f"UI string '{key}' has placeholders that differ from "
                                        f"{docs[first][0]}", f"use exactly: {names}", column))
    return problems


@functools.lru_cache(maxsize=4096)
def month_range(window: MonthRange, locale: str) -> str:
    """Return a start or end window, one month out of several: 'February or March 2026', 'février ou mars 2026'.

    A window is a choice, never a span: its months are listed with the locale's "or", each year written
    once after its last month ('December 2026 or January 2027'; 'April 2026' for a single month).
    """
    months_in = _months(window.first, window.last)
    names = [
        format_date(day, "LLLL y" if index == len(months_in) - 1 or months_in[index + 1].year != day.year
                    else "LLLL", locale=locale)
        for index, day in enumerate(months_in)
    ]
    return format_list(names, style="or", locale=locale) if len(names) > 1 else names[0]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    """Return the first day of each month from `first` to `last` (at most 24 months, then the two ends)."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count > 24 or count < 1:
        return [first, last] if first != last else [first]
    return [dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1) for i in range(count)]


@functools.lru_cache(maxsize=4096)
def long_date(day: dt.date, locale: str) -> str:
    """Return a date such as '1 March 2026' or '1er mars 2026'."""
    text = format_date(day, "long", locale=locale)
    if day.day == 1 and Locale.parse(locale).language == "fr":
        text = text.replace("1 ", "1er ", 1) if text.startswith("1 ") else text
    return text


@functools.lru_cache(maxsize=4096)
def months(count: int, locale: str) -> str:
    """Return a duration in months: '6 months', '6 mois'."""
    return format_unit(count, "duration-month", length="long", locale=locale)


@functools.lru_cache(maxsize=4096)
def minutes(count: int, locale: str) -> str:
    """Return a duration in minutes, short: '30 min' in English and French, '30 Min.' in German."""
    return format_unit(count, "duration-minute", length="short", locale=Locale.parse(locale).language)


@functools.lru_cache(maxsize=4096)
def number(value: float, locale: str) -> str:
    """Return a number written the locale's way: '35', '37,5', '1 400'."""
    return format_decimal(value, locale=locale)


@functools.lru_cache(maxsize=4096)
def money(amount: float, currency: str, locale: str) -> str:
    """Return an amount of money, without decimals when whole: '€1,400', '1 400 €'."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    if float(amount).is_integer():
        pattern = pattern.replace(".00", "")
        amount = int(amount)
    return format_currency(amount, currency, pattern, locale=locale, currency_digits=False)


@functools.lru_cache(maxsize=4096)
def country(code: str, locale: str) -> str:
    """Return a country's name in the locale's language: 'FR' → 'France'."""
    return str(Locale.parse(locale).territories.get(code, code))


@functools.lru_cache(maxsize=64)
def make_formatters(locale: str) -> Mapping[str, Callable[..., str]]:
    """Return the template filters bound to one locale (made once per locale: every filter call asks)."""
    return {
        "month_range": lambda w: month_range(w, locale),
        "long_date": lambda d: long_date(d, locale),
        "months": lambda n: months(n, locale),
        "minutes": lambda n: minutes(n, locale),
        "number": lambda n: number(n, locale),
        "money": lambda n, currency="EUR": money(n, currency, locale),
        "country": lambda code: country(code, locale),
        "language_name": lambda code: language_name(code, locale),
    }


@functools.lru_cache(maxsize=4096)
def language_name(code: str, locale: str) -> str:
    """Return a language's name in the locale's language: 'en' → 'anglais' in French."""
    return str(Locale.parse(locale).languages.get(code, code))


def load_locales(locales: Iterable[str]) -> None:
    """Load now the CLDR data of these locales and of their languages, which formatting would load when first
    asked (Babel keeps it for the process): a cold build does it while its workers parse the content. What
    the formatters never read of it is let go (`trim_locale_data`).

    A locale Babel does not know is left for the formatting to report.
    """
    for locale in locales:
        try:
            parsed = Locale.parse(locale)
            for each in (parsed, Locale.parse(parsed.language)):
                each.months  # noqa: B018  (reading any of its data loads all of it)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    trim_locale_data()


# What Babel loads of a locale (its CLDR tables, merged with its parents') and these formatters never read:
# time zones, relative and interval dates, skeletons, compact numbers, the names of scripts and variants, and
# the names and patterns of units other than durations. Of 3.1 MB of tables for English and French (in the
# build's process and each worker forked from it), 2.3 MB.
UNUSED_LOCALE_DATA = frozenset({
    "time_zones", "meta_zones", "zone_formats", "date_fields", "interval_formats", "datetime_skeletons",
    "day_periods", "day_period_rules", "eras", "quarters", "compact_decimal_formats", "compact_currency_formats",
    "unit_display_names", "compound_unit_patterns", "scripts", "variants", "datetime_formats_relative",
})
USED_UNITS = ("duration-",)  # the units formatted here (`months`, `minutes`): the rest of `unit_patterns` goes


def trim_locale_data() -> None:
    """Let go of what Babel has loaded of locales (its tables) and the formatters here never read.

    Babel keeps each locale's tables once loaded; `babel.localedata.load` returns the very dictionary it keeps.
    The tables are found in its cache of them (a private name, looked for: without it, nothing is let go).
    """
    from babel import localedata

    loaded = getattr(localedata, "_cache", None)
    if not isinstance(loaded, dict):
        return
    for data in loaded.values():
        if not isinstance(data, dict):
            continue
        for key in UNUSED_LOCALE_DATA.intersection(data):
            del data[key]
        units = data.get("unit_patterns")
        if isinstance(units, dict) and any(not key.startswith(USED_UNITS) for key in units):
            data["unit_patterns"] = {key: value for key, value in units.items() if key.startswith(USED_UNITS)}




@functools.lru_cache(maxsize=1024)
def parse_month(text: str) -> dt.date:
    """Return the first day of a 'YYYY-MM' month (one object for the postings that name the same month)."""
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)
