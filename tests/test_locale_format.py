"""Locale formatting through Babel: exact strings, code points included."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sitegen.i18n import language_name, long_date, minutes, money, month_range, months, number
from sitegen.model import MonthRange
from tests.conftest import REPO

NB, NN = "\u00a0", "\u202f"


@pytest.mark.parametrize(("day", "locale", "expected"), [
    (dt.date(2026, 3, 1), "en_GB", "1 March 2026"),
    (dt.date(2026, 3, 1), "fr_FR", "1er mars 2026"),
    (dt.date(2026, 11, 27), "fr_FR", "27 novembre 2026"),
    (dt.date(2026, 11, 27), "en_GB", "27 November 2026"),
    (dt.date(2026, 3, 11), "fr_FR", "11 mars 2026"),
])
def test_dates(day: dt.date, locale: str, expected: str) -> None:
    assert long_date(day, locale) == expected


@pytest.mark.parametrize(("first", "last", "locale", "expected"), [
    ((2026, 2), (2026, 3), "en_GB", "February or March 2026"),
    ((2026, 2), (2026, 3), "fr_FR", "février ou mars 2026"),
    ((2026, 8), (2026, 9), "fr_FR", "août ou septembre 2026"),
    ((2026, 4), (2026, 4), "en_GB", "April 2026"),
    ((2026, 2), (2026, 4), "en_GB", "February, March or April 2026"),
    ((2026, 2), (2026, 4), "fr_FR", "février, mars ou avril 2026"),
    ((2026, 12), (2027, 1), "en_GB", "December 2026 or January 2027"),
    ((2026, 12), (2027, 1), "fr_FR", "décembre 2026 ou janvier 2027"),
])
def test_month_windows_read_as_a_choice_not_a_span(first, last, locale, expected) -> None:
    window = MonthRange(dt.date(*first, 1), dt.date(*last, 1))
    assert month_range(window, locale) == expected


def test_durations_hours_numbers_and_money() -> None:
    assert minutes(30, "en_GB") == "30 min"
    assert minutes(45, "fr_FR") == f"45{NB}min"
    assert months(6, "en_GB") == "6 months"
    assert months(1, "en_GB") == "1 month"
    assert months(6, "fr_FR") == f"6{NB}mois"
    assert number(35, "fr_FR") == "35"
    assert number(37.5, "fr_FR") == "37,5"
    assert number(1400, "fr_FR") == f"1{NN}400"
    assert money(1400, "EUR", "en_GB") == "€1,400"
    assert money(1400, "EUR", "fr_FR") == f"1{NN}400{NB}€"
    assert money(1400.5, "EUR", "fr_FR") == f"1{NN}400,50{NB}€"
    assert money(4.5, "EUR", "en_GB") == "€4.50"
    assert language_name("en", "fr_FR") == "anglais"
    assert language_name("fr", "en_GB") == "French"


def test_hours_per_week_from_the_catalogues(tmp_path) -> None:
    from tests.conftest import REPO, build_ok, soup

    build_ok(REPO, tmp_path / "out")
    en = soup(tmp_path / "out/en/jobs/backend-intern/index.html")
    fr = soup(tmp_path / "out/fr/offres/stage-ingenierie-backend/index.html")
    assert en.select("dl dd")[2].get_text() == f"35{NB}hours a week"
    assert fr.select("dl dd")[2].get_text() == f"35{NB}h par semaine"
    assert [t.get_text() for t in fr.select(".step time")] == [f"30{NB}min", f"45{NB}min", f"30{NB}min"]
    assert fr.select_one(".posted").get_text() == f"Publiée le 5{NB}janvier 2026"


def test_the_locale_data_the_formatters_never_read_is_let_go_and_they_format_the_same() -> None:
    """A build trims what Babel holds of its locales (time zones, compact and interval formats, units other than
    durations): every formatter gives, in a process that trimmed, what it gives in one that did not."""
    import subprocess
    import sys

    script = """
import datetime as dt, json, sys
from sitegen import i18n
from sitegen.model import MonthRange
from tests.conftest import REPO
if sys.argv[1] == "untrimmed":
    i18n.trim_locale_data = lambda: None
i18n.load_locales(["en_GB", "fr_FR", "de_DE"])
out = []
for locale in ("en_GB", "fr_FR", "de_DE", "fr", "en"):
    f = i18n.make_formatters(locale)
    out += [f["month_range"](MonthRange(dt.date(2026, 11, 1), dt.date(2027, 2, 1))),
            f["long_date"](dt.date(2026, 3, 1)), f["long_date"](dt.date(2026, 12, 31)), f["months"](1),
            f["months"](6), f["minutes"](1), f["minutes"](45),
            f["number"](37.5), f["number"](1400), f["money"](1400), f["money"](1400.5, "USD"), f["money"](3, "JPY"),
            f["country"]("FR"), f["country"]("DE"), f["language_name"]("en"), f["language_name"]("fr")]
from babel import localedata
kept = sorted({key for data in localedata._cache.values() for key in data})
units = sorted({key for data in localedata._cache.values() for key in data.get("unit_patterns", {})})
print(json.dumps([out, kept, units]))
"""
    runs = {way: json.loads(subprocess.run([sys.executable, "-c", script, way], check=True, capture_output=True,
                                           text=True, cwd=REPO).stdout) for way in ("trimmed", "untrimmed")}
    assert runs["trimmed"][0] == runs["untrimmed"][0]
    assert "février" in " ".join(runs["trimmed"][0])
    from sitegen.i18n import UNUSED_LOCALE_DATA

    assert not UNUSED_LOCALE_DATA & set(runs["trimmed"][1]) and set(runs["untrimmed"][1]) >= UNUSED_LOCALE_DATA
    assert runs["trimmed"][2] and all(unit.startswith("duration-") for unit in runs["trimmed"][2])
    assert len(runs["untrimmed"][2]) > 10 * len(runs["trimmed"][2])
