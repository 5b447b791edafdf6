"""What templates see of a posting's facts: its rows (label and value), made once for its page.

A posting page shows its facts twice: as a list on the page, and as list items in the JobPosting's
description (which the feeds and job boards repeat). Each row is a UI string and a value formatted with
the page's locale. A template macro made them, twice a page, with some 45 calls and look-ups each time
(104 µs a call); `page_rows` makes them once for a page in Python (`context.page_context` gives templates
`fact_rows(posting)`), 3 % of a cold build's instructions less, and the templates choose which rows to
show and how (`_partials/facts.html`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from markupsafe import escape

from .i18n import country, long_date, money, month_range, months, number
from .records import record
from .translations import Translator

if TYPE_CHECKING:
    from .model import Posting, PostingFacts

SCHEDULES = ("FULL_TIME", "PART_TIME")  # the employment types that say how many hours a week
# (the UI strings the rows are made of are listed where templates' use of strings is read: templatecheck.py's
# FACT_ROW_KEYS and FACT_ROW_PREFIXES)


@record
class FactRow:
    """One fact of a posting as a page shows it: which (`key`: 'contract', 'duration', …), its label and value.

    Both are text (escaped where a template outputs them).
    """

    key: str
    label: str
    value: str


def fact_rows(facts: PostingFacts, t: Translator, locale: str, requirement: str = "") -> tuple[FactRow, ...]:
    """Return a posting's facts as rows, in order: contract, duration, hours, start, end, location, remote, pay,
    education, experience, last day to apply, requirement, reference (each only where the posting states it)."""
    rows = [FactRow("contract", t("fact_contract"), _contract(facts, t))]
    if facts.duration_months:
        rows.append(FactRow("duration", t("fact_duration"), months(facts.duration_months, locale)))
    if facts.hours_per_week:
        rows.append(FactRow("hours", t("fact_hours"), t("hours_per_week", hours=number(facts.hours_per_week, locale))))
    if facts.start:
        rows.append(FactRow("start", t("fact_start"), month_range(facts.start, locale)))
    if facts.end:
        rows.append(FactRow("end", t("fact_end"), month_range(facts.end, locale)))
    where = facts.location
    place = [where.street_address, where.postal_code, where.locality, where.region, country(where.country, locale)]
    rows.append(FactRow("location", t("fact_location"), ", ".join(part for part in place if part)))
    if facts.remote:
        rows.append(FactRow("remote", t("fact_remote"), t(f"remote_{facts.remote}")))
    if facts.pay:
        pay = facts.pay
        # (escaped as the template escaped each amount before it went into the UI string)
        amount = str(escape(money(pay.min, pay.currency, locale)))
        if pay.max and pay.max != pay.min:
            amount += "–" + str(escape(money(pay.max, pay.currency, locale)))
        rows.append(FactRow("pay", t("fact_pay"), t(f"pay_per_{pay.unit.lower()}", amount=amount)))
    if facts.education:
        rows.append(FactRow("education", t("fact_education"), t(f"education_{facts.education}")))
    if facts.experience_months is not None:
        experience = months(facts.experience_months, locale) if facts.experience_months else t("experience_none")
        rows.append(FactRow("experience", t("fact_experience"), experience))
    if closes_on := facts.closes_on:
        rows.append(FactRow("apply_by", t("fact_apply_by"), long_date(closes_on, locale)))
    if requirement:
        rows.append(FactRow("requirement", t("fact_requirement"), requirement))
    if facts.identifier:
        rows.append(FactRow("reference", t("fact_reference"), facts.identifier))
    return tuple(rows)


def _contract(facts: PostingFacts, t: Translator) -> str:
    """Return the contract, with its schedule where the posting's employment types state one."""
    contract = t(f"contract_{facts.contract}")
    schedule = next((kind for kind in facts.employment_type if kind in SCHEDULES), None)
    if schedule is None:
        return contract
    return t("contract_schedule", contract=contract, schedule=t(f"schedule_{schedule.lower()}"))


def page_rows(t: Translator, locale: str) -> Callable[[Posting], tuple[FactRow, ...]]:
    """Return `fact_rows` for one page's templates: a posting's rows, made once for the page however often asked."""
    made: dict[int, tuple[Posting, tuple[FactRow, ...]]] = {}

    def rows(posting: Posting) -> tuple[FactRow, ...]:
        kept = made.get(id(posting))
        if kept is None or kept[0] is not posting:
            kept = made[id(posting)] = (posting, fact_rows(posting.facts, t, locale, posting.requirement))
        return kept[1]

    return rows
