"""Plain data passed between the steps of the pipeline; no I/O here."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import stat
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .characters import printable
from .ids import ID_ATTR
from .records import field, record

if TYPE_CHECKING:  # (the build's first modules, before its templates' worker starts, do without datetime)
    import datetime as dt

Severity = Literal["error", "warning", "notice"]


class SetupError(Exception):
    """A problem with the command line or the environment, not with content: printed as one line, exit 1."""


@record
class Problem:
    """A content problem located in a file; printed as `path:line:column: message (hint)`."""

    path: str
    line: int | None
    message: str
    hint: str = ""
    column: int | None = None
    severity: Severity = "error"

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        """Return the key that orders problems by file, then position, then text."""
        return (self.path, self.line or 0, self.column or 0, self.message, self.hint, self.severity)

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}" if self.severity == "error" else f"{where}: {self.severity}: {self.message}"
        return printable(f"{text} ({self.hint})" if self.hint else text)


@record
class Source:
    """One input file as read from disk: its project-relative path and bytes.

    A one-off build lets content files' bytes go once it has their digest (`origin` then says where
    it read them): the parse reads them again, and a file whose bytes changed in between is not parsed.
    """

    src_path: str
    data: bytes
    digest: str
    # when the bytes were let go (`data` is then empty), the file read: its absolute path, or, ending with a
    # separator, the project's folder, from which `src_path` leads to it (one string for a site's thousands)
    origin: str = ""

    def read(self) -> bytes | None:
        """Return the file's bytes; None when they were let go and the file now differs (or is unreadable)."""
        if not self.origin:
            return self.data
        path = self.origin + self.src_path if self.origin.endswith(os.sep) else self.origin
        try:  # the regular file it was, not a link or a pipe put in its place since
            handle = io.FileIO(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                                       | getattr(os, "O_NONBLOCK", 0)))
        except OSError:
            return None
        with handle:
            try:
                data = handle.readall() if stat.S_ISREG(os.fstat(handle.fileno()).st_mode) else None
            except OSError:
                return None
        return data if data is not None and hashlib.sha256(data).hexdigest() == self.digest else None


@record
class Project:
    """Everything the build reads, read once: content, templates and assets."""

    content: tuple[Source, ...]
    templates: tuple[Source, ...]
    assets: tuple[Source, ...]
    problems: tuple[Problem, ...] = ()

    def templates_key(self) -> tuple[str, ...]:
        """Return what identifies the templates in the cache: their digests."""
        return tuple(t.digest for t in self.templates)


@record
class Language:
    """A language of the site, in the order the site lists them."""

    code: str
    name: str
    locale: str
    jobs_slug: str


@record
class Organisation:
    """The employer: shown in the footer and, later, in structured data."""

    name: str
    url: str
    logo: str | None = None
    same_as: tuple[str, ...] = ()


@record
class LegalNotice:
    """The publisher's legal facts (French « mentions légales »), exactly as `_site.yaml` gives them."""

    publisher: str
    registered_office: str
    registration: str
    publication_director: str
    host_name: str
    host_address: str
    vat_number: str | None = None
    contact: str | None = None
    host_phone: str | None = None


@record
class SiteConfig:
    """`content/_site.yaml` as typed data."""

    name: str
    base_url: str
    default_lang: str
    source_lang: str
    languages: tuple[Language, ...]
    organisation: Organisation
    nav: tuple[str, ...]
    share_image: str | None = None
    legal: LegalNotice | None = None
    preview: bool = False  # a preview copy: never indexed, no structured data, sitemap or feeds
    live: bool = False  # built for `serve`, whose reload script a Content-Security-Policy would block
    # Worked out once from the fields above (every page asks for them many times):
    lang_codes: tuple[str, ...] = field(init=False, repr=False, compare=False)  # the language codes in site order
    base_path: str = field(init=False, repr=False, compare=False)  # the base URL's path, always ending with '/'

    def __post_init__(self) -> None:
        rest = self.base_url.split("://", 1)[-1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        object.__setattr__(self, "lang_codes", tuple(lang.code for lang in self.languages))
        object.__setattr__(self, "base_path", path if path.endswith("/") else path + "/")

    def language(self, code: str) -> Language:
        """Return the language with this code."""
        return next(lang for lang in self.languages if lang.code == code)


@record
class YamlData:
    """Parsed YAML with the 1-based (line, column) of every key or item path."""

    value: Any
    positions: Mapping[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict)
    value_positions: Mapping[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict)

    def where(self, path: tuple[str | int, ...]) -> tuple[int, int]:
        """Return the position of the key (or item) at `path`, or of its nearest known ancestor."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return (1, 1)

    def where_value(self, path: tuple[str | int, ...]) -> tuple[int, int]:
        """Return the position of the value at `path`, falling back to its key's."""
        return self.value_positions.get(path) or self.where(path)


@record
class MonthRange:
    """A window such as 'February to March 2026', as first and last month."""

    first: dt.date
    last: dt.date


@record
class Location:
    """Where a job is; only what the posting says."""

    locality: str
    country: str
    region: str | None = None
    street_address: str | None = None
    postal_code: str | None = None


@record
class Pay:
    """A pay range: `min` to `max` (or just `min`) `currency` per `unit` (HOUR … YEAR)."""

    min: float
    currency: str
    unit: str
    max: float | None = None


@record
class PostingFacts:
    """A posting's language-neutral facts, from `jobs/<key>.yaml`."""

    key: str
    identifier: str | None
    date_posted: dt.date
    contract: str
    employment_type: tuple[str, ...]
    location: Location
    apply_url: str  # the default apply link; `apply_urls` holds those that differ per language
    duration_months: int | None = None
    hours_per_week: float | None = None
    start: MonthRange | None = None
    end: MonthRange | None = None
    valid_through: dt.date | None = None
    people: tuple[str, ...] = ()
    process: tuple[str, ...] = ()
    remote: str | None = None
    pay: Pay | None = None
    education: str | None = None
    experience_months: int | None = None
    experience_in_place_of_education: bool | None = None
    direct_apply: bool = False
    image: str | None = None
    apply_urls: tuple[tuple[str, str], ...] = ()  # (language, URL) pairs

    def apply_url_in(self, lang: str) -> str:
        """Return where candidates apply from a page in `lang`."""
        return dict(self.apply_urls).get(lang, self.apply_url)

    @property
    def closes_on(self) -> dt.date | None:
        """Return the last day applications are open: `valid_through`, or the end of the start window."""
        ends = [day for day in (self.valid_through, self.start_ends) if day is not None]
        return min(ends) if ends else None

    @property
    def start_ends(self) -> dt.date | None:
        """Return the last day of the start window: after it, nobody can start the job any more."""
        if self.start is None:
            return None
        last = self.start.last
        following = last.replace(year=last.year + last.month // 12, month=last.month % 12 + 1, day=1)
        return last.fromordinal(following.toordinal() - 1)


class Html:
    """A text's HTML (from its Markdown), kept compressed: it is read only when its page renders.

    A big site's texts are most of what a build holds once the content is parsed (10,000 postings' HTML
    were 75 MB as Python strings, French ones two bytes a character, in the build's process and in
    every worker forked from it); compressed, a tenth of that or less. `str()` gives the text back; a
    template shows it with `|safe` (`__html__`). What the site needs to know of it without reading it
    is kept beside: its ids, in order, and a digest of it, which `repr` shows (page fingerprints
    digest a page's `repr`). Equal texts are equal `Html`; an `Html` never changes.

    A one-off build's parse workers write the compressed bytes to a temporary file and send where they are
    (`kept_in`): 10,000 postings' texts were some 6 MB of the build's process, and of each worker forked
    from it.
    """

    __slots__ = ("_packed", "digest", "ids")
    # the UTF-8 text, compressed (zlib, its quickest level: a text takes some 10 µs), or where it is stored
    _packed: bytes | Stored
    digest: str  # of the text
    ids: tuple[str, ...]  # the values of its id attributes, in order

    def __init__(self, text: str = "") -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._keep(zlib.compress(data, 1), data, text)

    def _keep(self, packed: bytes, data: bytes, text: str) -> None:
        """Hold `text` (its UTF-8 bytes `data`, compressed `packed`), its digest and its ids."""
        self.__setstate__((packed, hashlib.sha256(data).hexdigest()[:32],
                           tuple(match.group(2) for match in ID_ATTR.finditer(text))))

    @property
    def packed(self) -> bytes:
        """Return the compressed UTF-8 text, as `from_packed` takes it."""
        packed = self._packed
        return packed if type(packed) is bytes else packed.read()  # type: ignore[union-attr]

    @classmethod
    def kept_in(cls, storage: Storage, offset: int, length: int, digest: str, ids: tuple[str, ...]) -> Html:
        """Return the HTML whose compressed bytes are the `length` bytes at `offset` in `storage`, with its
        digest and ids."""
        made = cls.__new__(cls)
        made.__setstate__((Stored(storage, offset, length), digest, ids))
        return made

    @classmethod
    def from_packed(cls, packed: bytes) -> Html:
        """Return the HTML whose compressed UTF-8 text is `packed` (as a cache keeps it): the same bytes, not
        compressed again, its digest and ids made from its text.

        Raises ValueError when `packed` is no such text, or more than `MAX_UNPACKED` bytes once unpacked.
        """
        unpacking = zlib.decompressobj()
        try:
            data = unpacking.decompress(packed, MAX_UNPACKED)
        except zlib.error as exc:
            raise ValueError(f"not a compressed text: {exc}") from None
        if unpacking.unconsumed_tail or not unpacking.eof or unpacking.unused_data:
            raise ValueError("not a compressed text of at most MAX_UNPACKED bytes")
        made = cls.__new__(cls)
        made._keep(packed, data, data.decode("utf-8", "surrogatepass"))
        return made

    def __str__(self) -> str:
        return _unpacked(self.packed)

    def sharing(self, shared: dict[Any, Any]) -> Html:
        """Return this HTML with its ids the equal tuple in `shared` (which gets it if it has none)."""
        ids = shared.setdefault(self.ids, self.ids)
        if ids is self.ids:
            return self
        made = Html.__new__(Html)
        made.__setstate__((self._packed, self.digest, ids))
        return made

    def __html__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return self.digest != EMPTY_DIGEST

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Html) and other.digest == self.digest and other.packed == self.packed

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"Html({self.digest!r})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"an Html never changes (cannot assign to {name!r})")

    def __getstate__(self) -> tuple[bytes, str, tuple[str, ...]]:
        return self.packed, self.digest, self.ids

    def __setstate__(self, state: tuple[bytes | Stored, str, tuple[str, ...]]) -> None:
        for name, value in zip(("_packed", "digest", "ids"), state, strict=True):
            object.__setattr__(self, name, value)


class Storage(Protocol):
    """Where compressed texts are kept (`spool.Shared`): bytes read by offset."""

    def read(self, offset: int, length: int) -> bytes: ...


class Stored:
    """Where an `Html`'s compressed bytes are: `length` bytes at `offset` in `storage`."""

    __slots__ = ("length", "offset", "storage")

    def __init__(self, storage: Storage, offset: int, length: int) -> None:
        self.storage, self.offset, self.length = storage, offset, length

    def read(self) -> bytes:
        """Return the bytes."""
        return self.storage.read(self.offset, self.length)


EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()[:32]
MAX_UNPACKED = 4 << 20  # bytes of a text's HTML read from a cache, at most (a text's Markdown is at most 32 KiB)
NO_HTML = Html()


@functools.lru_cache(maxsize=4)
def _unpacked(packed: bytes) -> str:
    """Return a text's HTML from its compressed bytes; remembered for a few: a posting's page shows its text,
    and its JobPosting's description once more."""
    return zlib.decompress(packed).decode("utf-8", "surrogatepass")


@record
class Person:
    """A team member in one language."""

    key: str
    lang: str
    name: str
    initials: str
    role: str
    intro_html: str
    photo: str | None = None
    photo_alt: str | None = None
    text_lang: str = ""


@record
class Step:
    """One step of the hiring process in one language."""

    key: str
    lang: str
    order: int
    duration_minutes: int
    format: str
    title: str
    with_whom: str
    html: str
    text_lang: str = ""


@record
class Alternate:
    """A page's version in one language: used by the switcher and hreflang."""

    lang: str
    url: str
    fallback: bool = False


@record
class Page:
    """One HTML page to render: where it goes and what fills it."""

    key: str
    lang: str
    template: str
    url: str
    dest_path: str
    title: str
    description: str
    html: Html  # the text's, ids and links made the page's (see `assemble.scoped_html`)
    src_path: str
    alternates: tuple[Alternate, ...] = ()
    posting: Posting | None = None
    text_lang: str = ""
    canonical: str = ""
    x_default: str = ""
    updated: dt.date | None = None

    @property
    def is_fallback(self) -> bool:
        """Return True when the page shows another language's text because its own is missing."""
        return bool(self.text_lang) and self.text_lang != self.lang

    @property
    def hreflang(self) -> tuple[Alternate, ...]:
        """Return the real translations (itself included) that hreflang and the sitemap announce."""
        return () if self.is_fallback else tuple(a for a in self.alternates if not a.fallback)


@record
class Posting:
    """A posting in one language: its facts, its text and the people and steps it names."""

    facts: PostingFacts
    lang: str
    title: str
    description: str
    html: Html  # its page's
    url: str
    people: tuple[Person, ...]
    steps: tuple[Step, ...]
    text_lang: str = ""
    closed: bool = False
    requirement: str = ""  # what a candidate must meet to apply, in the page's language (front matter)
    updated: dt.date | None = None  # when its page's content last changed (as `Page.updated`)

    @property
    def apply_url(self) -> str:
        """Return where candidates apply from this posting's page."""
        return self.facts.apply_url_in(self.lang)


@record
class Site:
    """Everything the templates need, per language."""

    config: SiteConfig
    strings: Mapping[str, Mapping[str, str]]
    pages: tuple[Page, ...]
    postings: Mapping[str, tuple[Posting, ...]]
    people: Mapping[str, tuple[Person, ...]]
    steps: Mapping[str, tuple[Step, ...]]

    index: Mapping[tuple[str, str], Page] = field(default_factory=dict)

    def page(self, lang: str, key: str) -> Page | None:
        """Return the page with this translation key in this language, if any."""
        if self.index:
            return self.index.get((lang, key))
        return next((p for p in self.pages if p.lang == lang and p.key == key), None)


@record
class OutputFile:
    """One file of the built site: its path below the output folder and its bytes."""

    dest_path: str
    data: bytes
    fingerprint: str = ""  # pages: the digest of what they are made from; joined files: of their entries
    kept: bool = False  # True: the previous output's file, unchanged, is kept (and `data` is empty)
    # a file joined from many entries (a feed of 5,000 postings is tens of megabytes): its bytes in pieces,
    # written one after another without being joined in memory (`data` is then empty); a one-off build's
    # are read from a temporary file as they are written (`spool.Spooled`, which knows its size)
    parts: Sequence[bytes] = ()

    @property
    def size(self) -> int:
        """Return how many bytes the file has."""
        if not self.parts:
            return len(self.data)
        known: int | None = getattr(self.parts, "size", None)
        return known if known is not None else sum(map(len, self.parts))

    @property
    def content(self) -> bytes:
        """Return the file's bytes (joined, for a file in parts)."""
        return b"".join(self.parts) if self.parts else self.data

    def whole(self) -> OutputFile:
        """Return the file with its bytes in `data`."""
        return OutputFile(self.dest_path, self.content, self.fingerprint, self.kept) if self.parts else self

    def bare(self) -> OutputFile:
        """Return the file without its bytes (once they are written)."""
        return OutputFile(self.dest_path, b"", self.fingerprint, self.kept)


@record
class BuildResult:
    """What a build produced: files, problems, and page counts per language."""

    outputs: tuple[OutputFile, ...]
    problems: tuple[Problem, ...]
    pages_per_lang: Mapping[str, int] = field(default_factory=dict)
    page_count: int = 0
    rendered: int = 0  # pages rendered by this build; the others were kept from the previous output
    # the problems that fail the build, picked once: a big site has thousands of notices, asked about often
    errors: tuple[Problem, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", tuple(p for p in self.problems if p.severity == "error"))

    @property
    def ok(self) -> bool:
        """Return True when the build has no errors."""
        return not self.errors
