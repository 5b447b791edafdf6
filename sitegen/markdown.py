"""Markdown to safe HTML: Python-Markdown, one converter per build reset per document, then nh3."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import markdown

EXTENSIONS = ("extra", "sane_lists", "toc")

# What content may contain; everything else (script, style, iframe, forms, event handlers,
# javascript: and data: URLs) is removed.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn", "div",
    "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
})
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "title", "id", "class", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "time": {"datetime"},
    "ol": {"start", "reversed"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def make_converter() -> markdown.Markdown:
    """Return a converter with the site's extensions: tables, footnotes, attributes, heading ids."""
    import markdown

    return markdown.Markdown(
        extensions=list(EXTENSIONS),
        extension_configs={"toc": {"permalink": False}},
        output_format="html",
    )


def render_markdown(converter: markdown.Markdown, text: str) -> str:
    """Return the sanitized HTML for one document, leaving the converter clean for the next."""
    converter.reset()
    return sanitize(converter.convert(text))


def sanitize(html: str) -> str:
    """Return HTML with only the allowed tags, attributes and URL schemes."""
    import nh3

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template", "noscript"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
