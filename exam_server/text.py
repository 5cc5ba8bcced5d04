"""Text hygiene on the way in: NFC normalisation and a safe rich-text subset."""

from __future__ import annotations

import html
import unicodedata

import nh3

ALLOWED_TAGS = {
    "b",
    "i",
    "u",
    "em",
    "strong",
    "sub",
    "sup",
    "br",
    "p",
    "ul",
    "ol",
    "li",
    "span",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
}
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def nfc(text: str) -> str:
    """Return `text` in Unicode NFC (Vietnamese typed with any input method compares equal)."""
    return unicodedata.normalize("NFC", text)


def sanitize_html(fragment: str) -> str:
    """Keep only the safe rich-text subset: no script, no handler, no javascript: URL."""
    return nh3.clean(
        nfc(fragment),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https", "http", "data"},
        link_rel=None,
    )


def plain_to_html(text: str) -> str:
    """Turn plain text into an HTML fragment, keeping line breaks."""
    return html.escape(nfc(text)).replace("\n", "<br>")
