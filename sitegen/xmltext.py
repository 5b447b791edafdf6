"""XML text and attribute escaping for feeds and the sitemap (xml.sax.saxutils would import urllib.request)."""

from __future__ import annotations

TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;",
                           "\t": "&#9;"})


def escape(text: str) -> str:
    """Return text safe inside an XML element."""
    return text.translate(TEXT)


def quoteattr(text: str) -> str:
    """Return an XML attribute value with its double quotes: '"a &amp; b"'."""
    return '"' + text.translate(ATTRIBUTE) + '"'
