"""Distribution to job boards and other sites: `jobs.json` (documented, versioned) and an Indeed XML feed.

Both list open postings only, from the same facts and texts as the pages. Neither is written for a
preview build.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .model import OutputFile, Posting, Site
from .pieces import Piece, joined, piece
from .reuse import Reuse
from .xmltext import escape

PACKAGE = Path(__file__).resolve().parent  # the package's data files (package_data in pyproject.toml)

JOBS_JSON_VERSION = 1
INDEED_FEED = "jobs-indeed.xml"
INDEED_JOB_TYPES = {"FULL_TIME": "fulltime", "PART_TIME": "parttime", "CONTRACTOR": "contract",
                    "TEMPORARY": "temporary", "INTERN": "internship"}
Describe = Callable[[Posting], str]
Absolute = Callable[[str], str]
COMMA, CLOSE, END = piece(b","), piece(b"]"), piece(b"}}\n")
SOURCE_END = piece(b"</source>\n")


def render_boards(site: Site, absolute: Absolute, describe: Describe, reuse: Reuse | None = None,
                  previous: Mapping[str, str] | None = None) -> Iterator[OutputFile]:
    """Yield `jobs.json`, its JSON Schema, and the Indeed feed, each made when the last is taken.

    With `reuse` (serve), a posting's entry made from the very same posting (and description) as in the
    last build is that build's. A file whose fingerprint `previous` records is kept (`pieces.joined`).
    """
    reuse, previous = reuse or Reuse(), previous or {}
    schema = (PACKAGE / "schemas" / "jobs-feed.schema.json").read_bytes()
    yield joined("jobs.json", jobs_json(site, absolute, reuse), previous, separator=b"")
    yield OutputFile("jobs.schema.json", schema)
    yield joined(INDEED_FEED, indeed_feed(site, absolute, describe, reuse), previous)


def jobs_json(site: Site, absolute: Absolute, reuse: Reuse | None = None) -> list[Piece]:
    """Return the open postings of every language as JSON (`jobs.schema.json` describes it), in pieces to join.

    Compact JSON, through the C encoder (10× faster than indented); each posting is encoded on its own
    and the pieces joined, which gives the same text as encoding the whole.
    """
    reuse = reuse or Reuse()
    head = _json({
        "$schema": absolute(site.config.base_path + "jobs.schema.json"),
        "version": JOBS_JSON_VERSION,
        "site": {"name": site.config.name, "url": site.config.base_url,
                 "organisation": {"name": site.config.organisation.name, "url": site.config.organisation.url}},
    })
    pieces = [piece(head[:-1].encode("utf-8") + b',"languages":{')]
    for index, lang in enumerate(site.config.lang_codes):
        pieces.append(piece((b"," if index else b"") + _json(lang).encode("utf-8") + b":["))
        jobs = reuse.each(("jobs", lang), (site.config,), site.postings.get(lang, ()), lambda p: _job_json(p, absolute))
        listed = [COMMA] * (2 * len(jobs) - 1) if jobs else []
        listed[::2] = jobs  # job, comma, job, …
        pieces.extend(listed)
        pieces.append(CLOSE)
    pieces.append(END)
    return pieces


def _json(value: Any) -> str:
    """Return compact JSON, non-ASCII characters as they are."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _job_json(posting: Posting, absolute: Absolute) -> Piece:
    """Return one posting's entry of `jobs.json`, encoded."""
    return piece(_json(_job(posting, absolute)).encode("utf-8"))


def _job(posting: Posting, absolute: Absolute) -> dict[str, Any]:
    """Return one posting as plain data: only the facts the content has (the full text is on its page)."""
    facts = posting.facts
    job: dict[str, Any] = {
        "id": facts.key.split("/", 1)[1],
        "url": absolute(posting.url),
        "language": posting.text_lang or posting.lang,
        "title": posting.title,
        "description": posting.description,
        "apply_url": posting.apply_url,
        "date_posted": facts.date_posted.isoformat(),
        "contract": facts.contract,
        "employment_type": list(facts.employment_type),
        "location": {k: v for k, v in (("locality", facts.location.locality), ("region", facts.location.region),
                                       ("postal_code", facts.location.postal_code),
                                       ("street_address", facts.location.street_address),
                                       ("country", facts.location.country)) if v},
    }
    optional: dict[str, Any] = {
        "identifier": facts.identifier, "requirement": posting.requirement or None,
        "closes_on": facts.closes_on.isoformat() if facts.closes_on else None,
        "duration_months": facts.duration_months, "hours_per_week": facts.hours_per_week,
        "start": {"from": _month(facts.start.first), "to": _month(facts.start.last)} if facts.start else None,
        "end": {"from": _month(facts.end.first), "to": _month(facts.end.last)} if facts.end else None,
        "remote": facts.remote, "education": facts.education, "experience_months": facts.experience_months,
        "pay": ({k: v for k, v in (("min", facts.pay.min), ("max", facts.pay.max), ("currency", facts.pay.currency),
                                   ("unit", facts.pay.unit)) if v is not None} if facts.pay else None),
    }
    job.update({key: value for key, value in optional.items() if value is not None})
    return job


def _month(day: dt.date) -> str:
    """Return 'YYYY-MM'."""
    return day.strftime("%Y-%m")


@functools.lru_cache(maxsize=256)
def _spoken(country: str) -> tuple[str, ...]:
    """Return the languages a country speaks officially or in practice, most used first."""
    from babel.languages import get_official_languages

    return tuple(code.split("_")[0] for code in get_official_languages(country, de_facto=True))


def board_language(site: Site, country: str) -> str:
    """Return the language a board gets for a job in `country`: one the country speaks officially, if the
    site has it (job ads in France must be in French), else the site's default language."""
    return next((lang for lang in _spoken(country) if lang in site.config.lang_codes), site.config.default_lang)


def indeed_feed(site: Site, absolute: Absolute, describe: Describe, reuse: Reuse | None = None) -> list[Piece]:
    """Return Indeed's XML job feed, in pieces to join: every open posting once, in the language of its country.

    `lastBuildDate` is the latest content date (not the clock), so that two builds give the same bytes.
    """
    reuse = reuse or Reuse()
    changed = max((p.updated for p in site.pages if p.updated), default=dt.date(1970, 1, 1))
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<source>",
             f"<publisher>{escape(site.config.organisation.name)}</publisher>",
             f"<publisherurl>{escape(site.config.base_url)}</publisherurl>",
             f"<lastBuildDate>{_rfc822(changed)}</lastBuildDate>"]
    parts = [piece("\n".join(lines).encode("utf-8"))]
    by_key: dict[str, dict[str, Posting]] = {}
    for postings in site.postings.values():
        for posting in postings:
            by_key.setdefault(posting.facts.key, {})[posting.lang] = posting
    languages: dict[str, str] = {}  # by country
    chosen = []
    for key in sorted(by_key):
        choices = by_key[key]
        country = next(iter(choices.values())).facts.location.country
        if country not in languages:
            languages[country] = board_language(site, country)
        chosen.append(choices.get(languages[country]) or choices[min(choices)])
    parts += reuse.each("indeed", (site.config,), chosen,
                        lambda posting, description: _indeed_job(site, posting, absolute, description),
                        list(map(describe, chosen)))
    parts.append(SOURCE_END)
    return parts


def _indeed_job(site: Site, posting: Posting, absolute: Absolute, description: str) -> Piece:
    """Return one posting's `<job>` element, encoded (the feed is joined from its jobs' bytes)."""
    fields = _indeed_fields(site, posting, absolute, description)
    return piece("\n".join(["<job>", *(_element(name, value) for name, value in fields if value), "</job>"])
                 .encode("utf-8"))


def _indeed_fields(site: Site, posting: Posting, absolute: Absolute,
                   description: str) -> list[tuple[str, str | None]]:
    """Return Indeed's fields of one posting, in the order of Indeed's published format."""
    facts = posting.facts
    reference = facts.identifier or facts.key.split("/", 1)[1]
    types = [INDEED_JOB_TYPES[t] for t in facts.employment_type if t in INDEED_JOB_TYPES]
    salary = None
    if facts.pay:
        amount = f"{facts.pay.min:g}" + (f"-{facts.pay.max:g}" if facts.pay.max and facts.pay.max != facts.pay.min
                                         else "")
        salary = f"{amount} {facts.pay.currency} per {facts.pay.unit.lower()}"
    return [
        ("title", posting.title), ("date", _rfc822(facts.date_posted)), ("referencenumber", reference),
        ("requisitionid", reference), ("url", absolute(posting.url)), ("company", site.config.organisation.name),
        ("sourcename", site.config.organisation.name), ("city", facts.location.locality),
        ("state", facts.location.region), ("country", facts.location.country),
        ("postalcode", facts.location.postal_code), ("streetaddress", facts.location.street_address),
        ("description", description), ("salary", salary), ("jobtype", ", ".join(dict.fromkeys(types))),
        ("expirationdate", facts.closes_on.isoformat() if facts.closes_on else None),
        ("remotetype", {"remote": "Fully remote", "hybrid": "Hybrid remote"}.get(facts.remote or "")),
    ]


def _element(name: str, value: str) -> str:
    """Return an element whose text is a CDATA section (a ']]>' inside is split across two sections)."""
    return f"<{name}><![CDATA[{value.replace(']]>', ']]]]><![CDATA[>')}]]></{name}>"


def _rfc822(day: dt.date) -> str:
    """Return a date as Indeed writes it: 'Mon, 05 Jan 2026 00:00:00 GMT' (English names, whatever the locale)."""
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{names[day.weekday()]}, {day.day:02d} {months[day.month - 1]} {day.year} 00:00:00 GMT"
