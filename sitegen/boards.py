"""Distribution to job boards and other sites: `jobs.json` (documented, versioned) and an Indeed XML feed.

Both list open postings only, from the same facts and texts as the pages. Neither is written for a
preview build.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .assemble import SiteChange, site_change
from .model import OutputFile, Posting, Site
from .pieces import Piece, joined, piece
from .records import record
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


NEVER = dt.date(1970, 1, 1)


@record
class Board:
    """A board's file as made from a site, in pieces, kept for the next build to patch (serve)."""

    site: Site
    pieces: tuple[Piece, ...]
    postings: tuple[Posting | None, ...]  # the posting each piece is the entry of (None: not an entry)
    at: Mapping[tuple[str, str], int]  # (language, key) of a posting listed → the place of its entry
    newest: dt.date = NEVER  # the latest content date of the site's pages (the head of Indeed's feed)


def render_boards(site: Site, absolute: Absolute, describe: Describe, reuse: Reuse | None = None,
                  previous: Mapping[str, str] | None = None,
                  described: Collection[tuple[str, str]] | None = None) -> Iterator[OutputFile]:
    """Yield `jobs.json`, its JSON Schema, and the Indeed feed, each made when the last is taken.

    With `reuse` (serve), a posting's entry made from the very same posting (and description) as in the
    last build is that build's. When assembly patched the site (`SiteChange`) and `described` names (by
    language and key) the postings whose description this build made anew, the last build's files are
    patched: only the entries of those postings and of the pages the save changed are made again. A file
    whose fingerprint `previous` records is kept (`pieces.joined`).
    """
    reuse, previous = reuse or Reuse(), previous or {}
    change = site_change(site, reuse) if described is not None else None
    schema = (PACKAGE / "schemas" / "jobs-feed.schema.json").read_bytes()
    if not reuse.remember:  # a one-off build: each job is made as the file is written, never all at once
        yield joined("jobs.json", (part for part, _, _ in _jobs_pieces(site, absolute, lambda _, listed: (
            _job_json(posting, absolute) for posting in listed))), previous, separator=b"", streamed=True)
    else:
        yield joined("jobs.json", patched_board(reuse, "jobs.json", site, change, (),
                                                lambda: jobs_json(site, absolute, reuse),
                                                lambda posting: _job_json(posting, absolute),
                                                [("jobs", lang) for lang in site.config.lang_codes]),
                     previous, separator=b"")
    yield OutputFile("jobs.schema.json", schema)
    if not reuse.remember:
        chosen, newest = _indeed_postings(site)
        jobs_of = (_indeed_job(site, posting, absolute, describe(posting)) for posting in chosen)
        yield joined(INDEED_FEED, itertools.chain([_indeed_head(site, newest)], jobs_of, [SOURCE_END]), previous,
                     streamed=True)
        return
    indeed = patched_board(reuse, INDEED_FEED, site, change, described or (),
                           lambda: indeed_feed(site, absolute, describe, reuse),
                           lambda posting: _indeed_job(site, posting, absolute, describe(posting)), ["indeed"],
                           lambda newest: _indeed_head(site, newest))
    yield joined(INDEED_FEED, indeed, previous)


def patched_board(reuse: Reuse, name: Hashable, site: Site, change: SiteChange | None,
                  described: Collection[tuple[str, str]], make: Callable[[], Board], entry: Callable[[Posting], Piece],
                  tables: Sequence[Any], head: Callable[[dt.date], Piece] | None = None,
                  listed_dates: bool = False) -> tuple[Piece, ...]:
    """Return a file's pieces: the last build's, patched (see `render_boards`), or all made (`make`).

    `entry` makes a posting's entry, `head` the first piece from the latest date: of every page, or
    with `listed_dates` of the pages whose postings the file lists. `tables` are the keys under which
    `make` keeps its entries for `Reuse.each`: carried when patched.
    """
    last: Board | None = reuse.known(("board", name), (site.config,))
    board = _patched(last, change, described, entry, head, listed_dates) if last is not None and change else None
    if board is None:
        board = make()
    else:
        reuse.carry(*tables)
    reuse.keep(("board", name), (site.config,), board)
    return board.pieces


def _patched(last: Board, change: SiteChange, described: Collection[tuple[str, str]],
             entry: Callable[[Posting], Piece], head: Callable[[dt.date], Piece] | None,
             listed_dates: bool = False) -> Board | None:
    """Return the last board with the entries of the postings a save changed (or whose description it made
    anew) made again, or None when it was made from another site, or a page's date went back from the latest
    (or, with `listed_dates`, when the board lists no posting: its date is then the site's).
    """
    if last.site is not change.before or (listed_dates and not last.at):
        return None
    postings, newest, redo = list(last.postings), last.newest, set()
    for old, new in change.pages:
        dated = not listed_dates or (new.posting is not None and (new.lang, new.posting.facts.key) in last.at)
        if head is not None and dated and new.updated != old.updated:  # the head shows the latest date
            if old.updated == last.newest and (new.updated is None or new.updated < old.updated):
                return None  # the latest date may be another page's now: look at all of them again
            newest = max(newest, new.updated or newest)
        if new.posting is not None and new.posting is not old.posting and (
                place := last.at.get((new.lang, new.posting.facts.key))) is not None:
            postings[place] = new.posting
            redo.add(place)
    redo.update(place for key in described if (place := last.at.get(key)) is not None)
    pieces = list(last.pieces)
    for place in redo:
        posting = postings[place]
        assert posting is not None
        pieces[place] = entry(posting)
    if head is not None and newest != last.newest:
        pieces[0] = head(newest)
    return Board(change.after, tuple(pieces), tuple(postings), last.at, newest)


def jobs_json(site: Site, absolute: Absolute, reuse: Reuse | None = None) -> Board:
    """Return the open postings of every language as JSON (`jobs.schema.json` describes it), in pieces to join.

    Compact JSON, through the C encoder (10× faster than indented); each posting is encoded on its own
    and the pieces joined, which gives the same text as encoding the whole.
    """
    reuse = reuse or Reuse()
    pieces: list[Piece] = []
    postings: list[Posting | None] = []
    at: dict[tuple[str, str], int] = {}
    for part, posting, lang in _jobs_pieces(site, absolute, lambda lang, listed: reuse.each(
            ("jobs", lang), (site.config,), listed, lambda p: _job_json(p, absolute))):
        if posting is not None:
            at[lang, posting.facts.key] = len(pieces)
        pieces.append(part)
        postings.append(posting)
    return Board(site, tuple(pieces), tuple(postings), at)


def _jobs_pieces(site: Site, absolute: Absolute, jobs: Callable[[str, Sequence[Posting]], Iterable[Piece]],
                 ) -> Iterator[tuple[Piece, Posting | None, str]]:
    """Yield the pieces of `jobs.json`, each with the posting it is the entry of (None: head, comma, end) and
    its language; `jobs(lang, postings)` gives a language's entries, in order."""
    head = _json({
        "$schema": absolute(site.config.base_path + "jobs.schema.json"),
        "version": JOBS_JSON_VERSION,
        "site": {"name": site.config.name, "url": site.config.base_url,
                 "organisation": {"name": site.config.organisation.name, "url": site.config.organisation.url}},
    })
    yield piece(head[:-1].encode("utf-8") + b',"languages":{'), None, ""
    for index, lang in enumerate(site.config.lang_codes):
        yield piece((b"," if index else b"") + _json(lang).encode("utf-8") + b":["), None, lang
        listed = site.postings.get(lang, ())
        for number, (posting, job) in enumerate(zip(listed, jobs(lang, listed), strict=True)):
            if number:
                yield COMMA, None, lang  # job, comma, job, …
            yield job, posting, lang
        yield CLOSE, None, lang
    yield END, None, ""


def _json(value: Any) -> str:
    """Return compact JSON, non-ASCII characters as they are."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False)  # (plain data)


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


def indeed_feed(site: Site, absolute: Absolute, describe: Describe, reuse: Reuse | None = None) -> Board:
    """Return Indeed's XML job feed, in pieces to join: every open posting once, in the language of its country.

    `lastBuildDate` is the latest content date (not the clock), so that two builds give the same bytes.
    """
    reuse = reuse or Reuse()
    chosen, newest = _indeed_postings(site)
    jobs = reuse.each("indeed", (site.config,), chosen,
                      lambda posting, description: _indeed_job(site, posting, absolute, description),
                      list(map(describe, chosen)))
    return Board(site, (_indeed_head(site, newest), *jobs, SOURCE_END), (None, *chosen, None),
                 {(posting.lang, posting.facts.key): place for place, posting in enumerate(chosen, 1)}, newest)


def _indeed_postings(site: Site) -> tuple[list[Posting], dt.date]:
    """Return the postings Indeed's feed lists (each once, in the language of its country, by key) and the
    latest content date."""
    newest = max((p.updated for p in site.pages if p.updated), default=NEVER)
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
    return chosen, newest


def _indeed_head(site: Site, newest: dt.date) -> Piece:
    """Return the head of Indeed's feed: `lastBuildDate` is the latest content date, not the clock's."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<source>",
             f"<publisher>{escape(site.config.organisation.name)}</publisher>",
             f"<publisherurl>{escape(site.config.base_url)}</publisherurl>",
             f"<lastBuildDate>{_rfc822(newest)}</lastBuildDate>"]
    return piece("\n".join(lines).encode("utf-8"))


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
