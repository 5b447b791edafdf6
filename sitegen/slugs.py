"""Slugs: the URL-safe part of a page's address, with accents folded (« équipe » → `equipe`)."""

from __future__ import annotations

import re
import unicodedata

MAX_SLUG = 80  # a slug is a file or folder name: far below every file system's limit
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o",
                           "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "’": "-", "'": "-"})


def slugify(text: str) -> str:
    """Return text as a slug: lowercase ASCII letters and digits joined by single hyphens."""
    folded = unicodedata.normalize("NFKD", text.translate(LIGATURES))
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")[:MAX_SLUG].rstrip("-")


def is_slug(text: str) -> bool:
    """Return True when text is already a valid slug."""
    return len(text) <= MAX_SLUG and bool(SLUG.match(text))
