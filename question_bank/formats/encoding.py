"""Decode uploaded text files: UTF-8 (with or without BOM) or UTF-16 with a BOM.

Legacy 8-bit encodings (TCVN3, VNI, Windows-1258/1252) are refused rather than
guessed: a wrong guess would silently corrupt Vietnamese text.
"""

from __future__ import annotations

import codecs

from . import messages as msg
from .errors import ProblemError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes) -> str:
    """Return the text of data with newlines unified; raise ProblemError if unreadable."""
    encoding, body = "utf-8", data
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, body = name, data[len(bom) :]
            break
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise ProblemError(msg.ENCODING_UTF16_INVALID, field="encoding") from exc
        line = body[: exc.start].count(b"\n") + 1
        raise ProblemError(
            msg.ENCODING_LEGACY,
            line=line,
            field="encoding",
            byte=f"{body[exc.start]:02X}",
            line_number=line,
        ) from exc
    if "\x00" in text:
        raise ProblemError(msg.BINARY_CONTENT, field="encoding")
    return text.replace("\r\n", "\n").replace("\r", "\n")
