"""Posting advice for search engines and the law: closed postings, recommended facts, pay checks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

from .i18n import month_range
from .model import PostingFacts, Problem, YamlData

PACKAGE = Path(__file__).resolve().parent  # the package's data files (package_data in pyproject.toml)

Minimums = Mapping[str, Mapping[str, float]]  # country -> year -> currency units per hour
HOURS_PER_MONTH = 52 / 12
DEFAULT_HOURS = 35.0


def load_minimums() -> dict[str, dict[str, float]]:
    """Return the table of minimum hourly internship pay shipped in `sitegen/data/`."""
    text = (PACKAGE / "data" / "internship_minimum.json").read_text("utf-8")
    return {k: v for k, v in json.loads(text).items() if isinstance(v, dict)}


def is_closed(facts: PostingFacts, today: dt.date) -> bool:
    """Return True once the posting's last day has passed: `valid_through`, or the end of its start window."""
    return facts.closes_on is not None and facts.closes_on < today


def posting_advice(facts: PostingFacts, doc: YamlData, src_path: str, today: dt.date,
                   minimums: Minimums) -> list[Problem]:
    """Return notices for what search engines and candidates miss, and errors for impossible dates or illegal pay."""
    problems = _date_problems(facts, doc, src_path, today)
    if is_closed(facts, today):
        return [*problems, _closed_notice(facts, doc, src_path)]
    problems.extend(_notice(src_path, doc, (), message, hint) for _, message, hint in _missing(facts))
    problems.extend(_pay_problems(facts, doc, src_path, minimums))
    return problems


def _closed_notice(facts: PostingFacts, doc: YamlData, src_path: str) -> Problem:
    """Return the notice that a posting is published as closed, and why."""
    closes_on = facts.closes_on.isoformat() if facts.closes_on else ""
    if facts.valid_through is not None and facts.valid_through == facts.closes_on:
        return _notice(src_path, doc, ("valid_through",),
                       f"the posting closed on {closes_on}: it is published as closed",
                       "remove it when it is no longer useful to candidates")
    window = month_range(facts.start, "en_GB") if facts.start else ""
    return _notice(src_path, doc, ("start",),
                   f"the start window ({window}) ended on {closes_on}: the posting is published as closed",
                   "if the company confirms a new window, update start and end; otherwise remove the posting "
                   "when it is no longer useful")


def _date_problems(facts: PostingFacts, doc: YamlData, src_path: str, today: dt.date) -> list[Problem]:
    """Return errors for dates that cannot all be true, and a notice for a publication date in the future."""
    problems = []
    start_ends = facts.start_ends
    if facts.valid_through and start_ends and facts.valid_through > start_ends:
        line, column = doc.where_value(("valid_through",))
        problems.append(Problem(
            src_path, line, f"valid_through ({facts.valid_through.isoformat()}) is after the start window ends "
            f"({start_ends.isoformat()}): nobody could start after applying",
            f"set valid_through on or before {start_ends.isoformat()}, or remove it (the posting closes when "
            "its start window ends)", column))
    closes_on = facts.closes_on
    if closes_on and facts.date_posted > closes_on:
        line, column = doc.where_value(("date_posted",))
        problems.append(Problem(
            src_path, line, f"date_posted ({facts.date_posted.isoformat()}) is after the posting closes "
            f"({closes_on.isoformat()})",
            "date_posted is the day this site published the posting: set a day while it was open", column))
    if facts.date_posted > today:
        problems.append(_notice(src_path, doc, ("date_posted",),
                                f"date_posted ({facts.date_posted.isoformat()}) is after the build date "
                                f"({today.isoformat()}): the page says it was posted on a day still to come",
                                "set the day the posting is published"))
    return problems


RECOMMENDED = (  # (field, the notice when it is missing, how to add it): one text each, whatever the postings
    ("valid_through", "no 'valid_through': Google for Jobs recommends a closing date (validThrough)",
     "add 'valid_through: YYYY-MM-DD' when the posting states one"),
    ("pay", "no 'pay': the EU pay transparency directive asks employers to publish pay in job ads (baseSalary)",
     "add 'pay: {min: …, max: …, currency: EUR, unit: MONTH}'"),
    ("education", "no 'education': Google for Jobs recommends the required degree (educationRequirements)",
     "add 'education: …' when the posting requires a degree"),
    ("experience_months",
     "no 'experience_months': Google for Jobs recommends the required experience (experienceRequirements)",
     "add 'experience_months: N' when the posting states it"),
)


def _missing(facts: PostingFacts) -> list[tuple[str, str, str]]:
    """Return (field, the notice, how to add it) for each recommended fact the posting lacks."""
    return [entry for entry in RECOMMENDED if getattr(facts, entry[0]) is None]


def hourly_pay(facts: PostingFacts) -> float | None:
    """Return the lowest pay per hour, from the pay range and the weekly hours (35 when not given)."""
    if facts.pay is None:
        return None
    hours = facts.hours_per_week or DEFAULT_HOURS
    per_unit = {"HOUR": 1.0, "DAY": hours / 5, "WEEK": hours, "MONTH": hours * HOURS_PER_MONTH, "YEAR": hours * 52}
    return facts.pay.min / per_unit[facts.pay.unit]


def _pay_problems(facts: PostingFacts, doc: YamlData, src_path: str, minimums: Minimums) -> list[Problem]:
    """Return an error when an internship's pay is below the legal minimum for its start year."""
    hourly = hourly_pay(facts)
    table = minimums.get(facts.location.country)
    if hourly is None or facts.contract != "internship" or table is None or facts.pay is None:
        return []
    if facts.duration_months is not None and facts.duration_months <= 2:
        return []  # the gratification is due only for internships of more than two months
    year = (facts.start.first if facts.start else facts.date_posted).year
    known = max((int(y) for y in table if y.isdigit() and int(y) <= year), default=None)
    if known is None:
        known = min(int(y) for y in table if y.isdigit())
    minimum = table[str(known)]
    if hourly + 1e-9 >= minimum:
        return []
    hours = facts.hours_per_week or DEFAULT_HOURS
    monthly = minimum * hours * HOURS_PER_MONTH
    line, column = doc.where_value(("pay", "min"))
    basis = f"for {year}" if known == year else f"for {known}, the latest year known (it never falls)"
    return [Problem(src_path, line, f"pay of {hourly:.2f} {facts.pay.currency}/h is below the legal minimum "
                    f"internship gratification {basis}: {minimum:.2f} {facts.pay.currency}/h, so at "
                    f"{hours:g} h a week at least {monthly:.2f} {facts.pay.currency} a month",
                    "raise the pay, or check the unit and hours_per_week", column)]


def _notice(src_path: str, doc: YamlData, path: tuple[str, ...], message: str, hint: str) -> Problem:
    """Return a notice located at a key of the facts file."""
    line, column = doc.where(path)
    return Problem(src_path, line, message, hint, column, "notice")
