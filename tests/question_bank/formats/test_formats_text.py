"""HTML sanitising, plain-text handling, NFC, encodings."""

import codecs
import unicodedata

import pytest

from question_bank.formats import messages as msg
from question_bank.formats.encoding import decode_text
from question_bank.formats.errors import ProblemError
from question_bank.formats.html_text import (
    cell_to_html,
    html_to_cell,
    media_refs,
    sanitize_html,
)

MALICIOUS = [
    "<script>alert(1)</script>ok",
    '<img src="x.png" onerror="alert(1)">',
    '<img src="javascript:alert(1)">',
    '<IMG SRC="JaVaScRiPt:alert(1)">',
    '<a href="javascript:alert(1)">link</a>',
    '<p onclick="steal()">text</p>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<img src="data:text/html;base64,PHNjcmlwdD4=">',
    "<style>body{display:none}</style>x",
    '<span style="background:url(javascript:alert(1))">x</span>',
]


@pytest.mark.parametrize("dirty", MALICIOUS)
def test_sanitizer_removes_scripts_handlers_and_javascript_urls(dirty):
    for clean in (sanitize_html(dirty), cell_to_html(dirty)):
        lowered = clean.lower()
        assert "<script" not in lowered
        assert "javascript:" not in lowered
        assert "onerror" not in lowered and "onclick" not in lowered and "onload" not in lowered
        assert "<iframe" not in lowered and "<svg" not in lowered and "style=" not in lowered
        assert "data:" not in lowered


def test_sanitizer_keeps_the_allowed_subset():
    html = (
        "<p><b>b</b><i>i</i><u>u</u><em>e</em><strong>s</strong>H<sub>2</sub>O x<sup>2</sup>"
        "<br><span>s</span><code>c</code></p><pre>p</pre><ul><li>1</li></ul><ol><li>2</li></ol>"
        '<table><tbody><tr><td>1</td></tr></tbody></table><img src="a.png" alt="A">'
    )
    assert sanitize_html(html) == html
    assert sanitize_html('<img src="a.png" width="5" class="x">') == '<img src="a.png">'


def test_sanitizing_is_idempotent_and_nfc():
    decomposed = unicodedata.normalize("NFD", "<p>Tiếng Việt &amp; x&nbsp;y</p>")
    once = sanitize_html(decomposed)
    assert once == sanitize_html(once)
    assert once == unicodedata.normalize("NFC", once)
    assert "Tiếng Việt" in once


@pytest.mark.parametrize(
    "plain", ["a<b and b>c", "Tom & Jerry", "x < 5", "line 1\nline 2", "&lt;p&gt; literal"]
)
def test_plain_cells_round_trip_through_html(plain):
    html = cell_to_html(plain)
    assert cell_to_html(html_to_cell(html)) == html


def test_plain_text_is_escaped_not_interpreted():
    assert cell_to_html("a<b and b>c") == "a&lt;b and b&gt;c"
    assert cell_to_html("<b>bold</b>") == "<b>bold</b>"


def test_media_refs_in_order():
    assert media_refs('<img src="a.png"> x <img src="b&amp;c.png">') == ["a.png", "b&c.png"]


def test_decode_utf8_with_and_without_bom_and_utf16():
    text = "Câu hỏi\r\nĐáp án"
    assert decode_text(text.encode()) == "Câu hỏi\nĐáp án"
    assert decode_text(codecs.BOM_UTF8 + text.encode()) == "Câu hỏi\nĐáp án"
    assert decode_text(text.encode("utf-16")) == "Câu hỏi\nĐáp án"
    assert decode_text(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == "Câu hỏi\nĐáp án"


@pytest.mark.parametrize(
    ("data", "line", "byte"),
    [
        # Windows-1258 writes tone marks as separate combining bytes.
        (unicodedata.normalize("NFD", "ok\nHòa bình").encode("cp1258"), 2, "CC"),
        ("ok\nCafé crème".encode("cp1252"), 2, "E9"),
        (b"ok\nok\nC\xa9u h\xe1i TCVN3", 3, "A9"),
    ],
)
def test_legacy_encodings_are_refused_naming_the_line(data, line, byte):
    with pytest.raises(ProblemError) as caught:
        decode_text(data)
    assert caught.value.message_id == msg.ENCODING_LEGACY
    assert caught.value.line == line
    assert caught.value.params["byte"] == byte


def test_nul_bytes_and_broken_utf16_are_refused():
    with pytest.raises(ProblemError):
        decode_text(b"abc\x00def")
    with pytest.raises(ProblemError):
        decode_text(codecs.BOM_UTF16_LE + b"\x00\xd8")


@pytest.mark.parametrize(
    "plain",
    ["a & b < c > d", "x\xa0y", "quote \" and ' ", "tab\there", "  spaced  ", "a\nb\n\nc",
     "Tiếng Việt", "emoji 🙂", "&amp; &lt; &#39;", "<<>>"],
)  # fmt: skip
def test_plain_fast_path_matches_the_sanitizer(plain):
    from question_bank.formats.html_text import plain_to_html

    escaped = plain_to_html(plain)
    assert escaped == sanitize_html(escaped)
