"""Text normalisation: NFC, the safe HTML subset, and plain-text conversions.

Stems and option texts are stored as sanitised HTML in nh3's canonical
serialisation, so cleaning is idempotent and round trips compare equal.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset(
    {
        "b", "i", "u", "em", "strong", "sub", "sup", "br", "p", "ul", "ol", "li",
        "span", "code", "pre", "table", "caption", "thead", "tbody", "tfoot", "tr",
        "th", "td", "img",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Relative URLs (media file names) pass; of absolute ones only http(s).
ALLOWED_URL_SCHEMES = frozenset({"http", "https"})

# Text counts as HTML only if it holds a well-formed tag of a known HTML
# element or an entity; anything else is plain text and gets escaped, so a
# maths option like "a<b and b>c" keeps its meaning. Escaped text is inert, so
# misjudging HTML as text can never let markup through.
_TAG_NAMES = (
    "a|abbr|audio|b|base|big|blockquote|body|br|caption|center|code|col|colgroup|del|"
    "div|em|embed|font|form|h[1-6]|head|hr|html|i|iframe|img|input|ins|li|link|math|"
    "meta|object|ol|p|pre|s|script|small|source|span|strike|strong|style|sub|sup|svg|"
    "table|tbody|td|tfoot|th|thead|tr|u|ul|video"
)
_HTML_HINT = re.compile(
    r"</?(?:" + _TAG_NAMES + r")"
    r"(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>]+))*"
    r"\s*/?>"
    r"|&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});",
    re.IGNORECASE,
)
_IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


def nfc(text: str) -> str:
    """Return text in Unicode NFC form."""
    return unicodedata.normalize("NFC", text)


def clean_plain(text: str | None) -> str:
    """Normalise a plain-text value: NFC, unified newlines, stripped."""
    if text is None:
        return ""
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def sanitize_html(text: str) -> str:
    """Return text reduced to the safe HTML subset, NFC-normalised and stripped."""
    cleaned = nh3.clean(
        nfc(text.replace("\r\n", "\n").replace("\r", "\n")),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        clean_content_tags={"script", "style"},
        strip_comments=True,
        link_rel=None,
    )
    return nfc(cleaned).strip()


def plain_to_html(text: str) -> str:
    """Turn plain text into safe HTML (escaped, newlines as <br>)."""
    plain = clean_plain(text)
    escaped = html.escape(plain, quote=False).replace("\n", "<br>")
    if _CONTROL.search(plain) is None:
        # What nh3 would return for escaped text, without the cost of a parse.
        return escaped.replace("\xa0", "&nbsp;")
    return sanitize_html(escaped)


def looks_like_html(text: str) -> bool:
    """Return True if text contains a real HTML tag or entity."""
    return _HTML_HINT.search(text) is not None


def cell_to_html(text: str | None) -> str:
    """Read a free-text value (spreadsheet cell, Aiken line) as HTML or plain text."""
    if not text:
        return ""
    return sanitize_html(text) if looks_like_html(text) else plain_to_html(text)


def html_to_cell(value: str) -> str:
    """Write record HTML as friendly text where cell_to_html() reads it back equal."""
    if "<" not in value.replace("<br>", ""):
        plain = html.unescape(value.replace("<br>", "\n"))
        if cell_to_html(plain) == value:
            return plain
    return value


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "li", "tr", "td", "th", "pre", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")
        if tag == "img":
            alt = dict(attrs).get("alt")
            self.parts.append(f" {alt or ''} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_plain(value: str) -> str:
    """Return the visible text of an HTML fragment with whitespace collapsed."""
    if "<" in value:
        extractor = _TextExtractor()
        extractor.feed(value)
        extractor.close()
        text = "".join(extractor.parts)
    else:
        text = html.unescape(value)
    return _WHITESPACE.sub(" ", nfc(text)).strip()


def media_refs(value: str) -> list[str]:
    """Return the image sources referenced by sanitised HTML, in order."""
    return [html.unescape(src) for src in _IMG_SRC.findall(value) if src]


def collect_media(texts: Iterable[str], extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Return unique media names: references in the texts first, then extra names."""
    names: dict[str, None] = {}
    for text in texts:
        for ref in media_refs(text):
            names.setdefault(ref, None)
    for name in extra:
        if name:
            names.setdefault(name, None)
    return tuple(names)


def has_content(value: str) -> bool:
    """Return True if HTML shows some text or an image."""
    if "<" not in value:
        return bool(value.strip())
    return bool(html_to_plain(value)) or "<img" in value
