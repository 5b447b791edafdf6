"""Markdown to HTML with Python-Markdown: one converter per build, reset per document."""

from __future__ import annotations

import markdown

EXTENSIONS = ("extra", "sane_lists", "toc")


def make_converter() -> markdown.Markdown:
    """Return a converter with the site's extensions: tables, footnotes, attributes, heading ids."""
    return markdown.Markdown(
        extensions=list(EXTENSIONS),
        extension_configs={"toc": {"permalink": False}},
        output_format="html",
    )


def render_markdown(converter: markdown.Markdown, text: str) -> str:
    """Return the HTML for one document, leaving the converter clean for the next."""
    converter.reset()
    return converter.convert(text)
