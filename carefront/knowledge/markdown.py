"""Article bodies: Markdown rendered by markdown-it-py (CommonMark, tables, strikethrough; raw HTML shown as
text), then sanitised by nh3, so what the portal shows is safe whatever an author or an import wrote."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
URL_SCHEMES = {"http", "https", "mailto"}


def markdown_render(text: str) -> str:
    """Sanitised HTML for a Markdown text: no script, style, event handler or javascript: link survives."""
    return nh3.clean(
        _MARKDOWN.render(text),
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def html_text(body_html: str) -> str:
    """The words of rendered HTML without its markup: what the full-text index reads."""
    return " ".join(html.unescape(nh3.clean(body_html, tags=set())).split())
