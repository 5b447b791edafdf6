"""Atom feeds of open postings, one per language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from .assemble import SiteChange, site_change
from .boards import Board, patched_board
from .model import OutputFile, Posting, Site
from .pieces import Piece, joined, piece
from .reuse import Reuse
from .xmltext import escape, quoteattr

ATOM = "http://www.w3.org/2005/Atom"
END = piece(b"</feed>\n")


def feed_path(site: Site, lang: str) -> str:
    """Return a language's feed path below the output folder: 'en/jobs.xml', 'fr/offres.xml'."""
    return f"{lang}/{site.config.language(lang).jobs_slug}.xml"


def feed_url(site: Site, lang: str) -> str:
    """Return a language's feed URL path, with the base path: '/en/jobs.xml'."""
    return site.config.base_path + feed_path(site, lang)


def render_feeds(site: Site, strings: Mapping[str, Mapping[str, str]], absolute: Callable[[str], str],
                 describe: Callable[[Posting], str] | None = None, reuse: Reuse | None = None,
                 previous: Mapping[str, str] | None = None,
                 described: Collection[tuple[str, str]] | None = None) -> Iterator[OutputFile]:
    """Yield one Atom feed of open postings for every language, each made when the last is taken.

    `describe(posting)` gives an entry's content: the text, the facts and the apply link, as in the
    JobPosting; without it, the text alone. With `reuse` (serve), an entry made from the very same
    posting, page and description as in the last build is that build's, and so is a whole feed (a
    save changes one language's postings, not the others'). When assembly patched the site and
    `described` names the postings whose description this build made anew, the last feeds are patched
    as the job boards are (`boards.patched_board`). A feed whose fingerprint `previous` records is kept
    (`pieces.joined`).
    """
    reuse = reuse or Reuse()
    change = site_change(site, reuse) if described is not None else None
    content = describe or (lambda posting: str(posting.html))
    for lang in site.config.lang_codes:
        if not reuse.remember:  # a one-off build: each entry is made as the file is written, never all at once
            pieces = _streamed_feed(site, lang, strings.get(lang, {}), absolute, content)
            yield joined(feed_path(site, lang), pieces, previous or {}, streamed=True)
            continue
        parts = _language_feed(site, lang, strings.get(lang, {}), absolute, content, reuse, change, described or ())
        yield joined(feed_path(site, lang), parts, previous or {})


def _streamed_feed(site: Site, lang: str, table: Mapping[str, str], absolute: Callable[[str], str],
                   content: Callable[[Posting], str]) -> Iterator[Piece]:
    """Yield the pieces of one language's feed (as `_feed` makes them), each made when it is taken."""
    postings = site.postings.get(lang, ())
    yield _head(site, lang, table, absolute, max(map(_updated, postings), default=None) or _site_updated(site))
    for posting in postings:
        yield _entry(site, posting, absolute, _updated(posting), content(posting))
    yield END


def _language_feed(site: Site, lang: str, table: Mapping[str, str], absolute: Callable[[str], str],
                   content: Callable[[Posting], str], reuse: Reuse, change: SiteChange | None,
                   described: Collection[tuple[str, str]]) -> tuple[Piece, ...]:
    """Return one language's feed in pieces: the last build's patched, or made whole (see `render_feeds`)."""
    return patched_board(
        reuse, ("feed", lang), site, change, described,
        lambda: _whole_feed(site, lang, table, absolute, content, reuse),
        lambda posting: _entry(site, posting, absolute, _updated(posting), content(posting)),
        [("feed dates", lang), ("feed entries", lang)],
        lambda newest: _head(site, lang, table, absolute, newest), listed_dates=True)


def _whole_feed(site: Site, lang: str, table: Mapping[str, str], absolute: Callable[[str], str],
                content: Callable[[Posting], str], reuse: Reuse) -> Board:
    """Return one language's feed, made whole, or the last build's when made from the very same postings."""
    postings = site.postings.get(lang, ())
    descriptions = tuple(map(content, postings))
    home = site.page(lang, "pages/home")
    # a posting object is the same while its page's text and facts are, and so is its page's date
    inputs = (site.config, table, home.url if home else None, postings, descriptions,
              None if postings else _site_updated(site))
    parts, newest = reuse.get(("feed", lang), inputs, _feed, site, lang, table, absolute, descriptions, reuse)
    reuse.carry(("feed dates", lang), ("feed entries", lang))  # a whole feed kept: its entries too
    return Board(site, tuple(parts), (None, *postings, None),
                 {(lang, posting.facts.key): place for place, posting in enumerate(postings, 1)}, newest)


def _feed(site: Site, lang: str, table: Mapping[str, str], absolute: Callable[[str], str],
          descriptions: Sequence[str], reuse: Reuse) -> tuple[list[Piece], dt.date]:
    """Return one language's feed, stable ids, newest posting first (`descriptions` are its postings'
    contents), and its date: the latest of its postings', or the site's when it has none."""
    postings = site.postings.get(lang, ())
    config = (site.config,)  # with the posting (and its page), all an entry is made from
    dates = reuse.each(("feed dates", lang), config, postings, lambda posting: _updated(posting))
    updated = max(dates, default=None) or _site_updated(site)
    parts = [_head(site, lang, table, absolute, updated)]
    parts += reuse.each(("feed entries", lang), config, postings,
                        lambda posting, description: _entry(site, posting, absolute, _updated(posting),
                                                            description),
                        descriptions)
    parts.append(END)
    return parts, updated


def _head(site: Site, lang: str, table: Mapping[str, str], absolute: Callable[[str], str], updated: dt.date) -> Piece:
    """Return the head of a language's feed, dated `updated`."""
    home = site.page(lang, "pages/home")
    title = " – ".join(t for t in (table.get("open_positions"), table.get("site_title")) if t)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM}" xml:lang="{lang}" xml:base={quoteattr(site.config.base_url)}>',
        f"  <id>{escape(absolute(feed_url(site, lang)))}</id>",
        f"  <title>{escape(title or site.config.name)}</title>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(absolute(feed_url(site, lang)))}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(absolute(home.url if home else "/"))}/>',
        f"  <updated>{_stamp(updated)}</updated>",
        f"  <author><name>{escape(site.config.organisation.name)}</name></author>",
    ]
    return piece("\n".join(lines).encode("utf-8"))


def _entry(site: Site, posting: Posting, absolute: Callable[[str], str], updated: dt.date, description: str) -> Piece:
    """Return a posting's `<entry>` (encoded: the feed is joined from its entries' bytes)."""
    return piece("\n".join([
        "  <entry>",
        f"    <id>{escape(entry_id(site, posting))}</id>",
        f"    <title>{escape(posting.title)}</title>",
        f'    <link rel="alternate" type="text/html" href={quoteattr(absolute(posting.url))}/>',
        f"    <published>{_stamp(posting.facts.date_posted)}</published>",
        f"    <updated>{_stamp(updated)}</updated>",
        f"    <summary>{escape(posting.description)}</summary>",
        f'    <content type="html">{escape(description)}</content>',
        "  </entry>",
    ]).encode("utf-8"))


def entry_id(site: Site, posting: Posting) -> str:
    """Return a posting's permanent Atom id: a tag URI from the host, publication date and identifier."""
    host = urlsplit(site.config.base_url).hostname or "localhost"
    name = posting.facts.identifier or posting.facts.key
    return f"tag:{host},{posting.facts.date_posted.isoformat()}:{name}/{posting.lang}"


def _updated(posting: Posting) -> dt.date:
    """Return when a posting's page last changed (a posting holds its page's date, so that an entry made
    from the very same posting, or an equal one, has the same date)."""
    return posting.updated or posting.facts.date_posted


def _site_updated(site: Site) -> dt.date:
    """Return the latest content date of the site, for a feed with no entries."""
    return max((p.updated for p in site.pages if p.updated), default=dt.date(1970, 1, 1))


def _stamp(day: dt.date) -> str:
    """Return an Atom date-time at midnight UTC."""
    return f"{day.isoformat()}T00:00:00Z"
