"""Posting advice for search engines and the law: closed postings, recommended facts, pay checks."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Mapping
from importlib import resources

from .i18n import month_range
from .model import PostingFacts, Problem, YamlData

Minimums = Mapping[str, Mapping[str, float]]  # country -> year -> currency units per hour
HOURS_PER_MONTH = 52 / 12
DEFAULT_HOURS = 35.0


def load_minimums() -> dict[str, dict[str, float]]:
    """Return the table of minimum hourly internship pay shipped in `sitegen/data/`."""
    text = (resources.files("sitegen") / "data" / "internship_minimum.json").read_text("utf-8")
    return {k: v for k, v in json.loads(text).items() if isinstance(v, dict)}


def is_closed(facts: PostingFacts, today: dt.date) -> bool:
    """Return True once the posting's last day (`valid_through`) has passed."""
    return facts.valid_through is not None and facts.valid_through < today


def posting_advice(facts: PostingFacts, doc: YamlData, src_path: str, today: dt.date,
                   minimums: Minimums) -> list[Problem]:
    """Return notices for what search engines and candidates miss, and errors for illegal pay."""
    if is_closed(facts, today):
        closed_on = facts.valid_through.isoformat() if facts.valid_through else ""
        return [_notice(src_path, doc, ("valid_through",),
                        f"the posting closed on {closed_on}: it is published as closed",
                        "remove it when it is no longer useful to candidates")]
    problems = [
        _notice(src_path, doc, (), f"no '{field}': {why}", hint)
        for field, why, hint in _missing(facts)
    ]
    if facts.start is not None:
        last_day = facts.start.last.replace(day=calendar.monthrange(facts.start.last.year, facts.start.last.month)[1])
        if last_day < today:
            window = month_range(facts.start, "en_GB")
            problems.append(_notice(src_path, doc, ("start",),
                                    f"the start window ({window}) lies wholly before {today.isoformat()}: "
                                    "the posting is probably out of date",
                                    "update start and end, set valid_through, or remove the posting"))
    problems.extend(_pay_problems(facts, doc, src_path, minimums))
    return problems


RECOMMENDED = (  # (field, why it matters, how to add it)
    ("valid_through", "Google for Jobs recommends a closing date (validThrough)",
     "add 'valid_through: YYYY-MM-DD' when the posting states one"),
    ("pay", "the EU pay transparency directive asks employers to publish pay in job ads (baseSalary)",
     "add 'pay: {min: …, max: …, currency: EUR, unit: MONTH}'"),
    ("education", "Google for Jobs recommends the required degree (educationRequirements)",
     "add 'education: …' when the posting requires a degree"),
    ("experience_months", "Google for Jobs recommends the required experience (experienceRequirements)",
     "add 'experience_months: N' when the posting states it"),
)


def _missing(facts: PostingFacts) -> list[tuple[str, str, str]]:
    """Return (field, why it matters, how to add it) for each recommended fact the posting lacks."""
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
    minimum = table.get(str(year))
    if minimum is None:
        return [_notice(src_path, doc, ("pay",), f"no legal minimum internship pay is known for {year}",
                        "add it to sitegen/data/internship_minimum.json")]
    if hourly + 1e-9 >= minimum:
        return []
    line, column = doc.where_value(("pay", "min"))
    return [Problem(src_path, line, f"pay of {hourly:.2f} {facts.pay.currency}/h is below the legal minimum "
                    f"internship gratification for {year} ({minimum:.2f} {facts.pay.currency}/h)",
                    "raise the pay, or check the unit and hours_per_week", column)]


def _notice(src_path: str, doc: YamlData, path: tuple[str, ...], message: str, hint: str) -> Problem:
    """Return a notice located at a key of the facts file."""
    line, column = doc.where(path)
    return Problem(src_path, line, message, hint, column, "notice")
