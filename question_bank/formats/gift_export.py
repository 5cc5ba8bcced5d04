"""GIFT export: records as GIFT text that parse_gift() reads back equal.

Texts are written as [html]; metadata Moodle's GIFT cannot hold travels in a
comment line of bracket tokens (see gift.py). Questions with several blanks
cannot be written (GIFT has one answer block per question).
"""

from __future__ import annotations

from collections.abc import Sequence

from . import messages as msg
from .errors import ExportError, ImportErrorRecord
from .html_text import media_refs
from .metadata import format_letters, moodle_category
from .numbers import format_percent
from .records import (
    DEFAULT_MATCH,
    FILL_BLANK,
    MULTIPLE_RESPONSE,
    TRUE_FALSE,
    QuestionRecord,
)
from .validation import BLANK_MARKER, count_blank_markers


def _escape(text: str) -> str:
    escaped = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("\n", "\\n")


def _token(key: str, value: str) -> str:
    value = value.replace("\\", "\\\\").replace("]", "\\]").replace("\n", " ")
    return f"[{key}:{value}]"


def _option_text(text: str) -> str:
    # An option is read with a text format prefix ([html], [plain]...), so an option that
    # starts with "[" gets an explicit [html] to keep its own bracket.
    return ("[html]" if text.startswith("[") else "") + _escape(text)


def _weighted(prefix: str, fraction: float, body: str, default: float) -> str:
    if fraction == default and not body.startswith("%"):
        return f"\t{prefix}{body}"
    return f"\t{prefix}%{format_percent(fraction)}%{body}"


def _answer_block(record: QuestionRecord) -> str:
    if record.type == TRUE_FALSE:
        return "{TRUE}" if record.options[0].fraction == 1.0 else "{FALSE}"
    lines = []
    if record.type == FILL_BLANK:
        # A short answer is plain text with no format prefix (in Moodle too), so it is
        # written as it is: "[A" stays "[A".
        for answer in record.answers:
            lines.append(_weighted("=", answer.fraction, _escape(answer.text), 1.0))
    else:
        for option in record.options:
            if record.type != MULTIPLE_RESPONSE and option.fraction == 1.0:
                lines.append(f"\t={_option_text(option.text)}")
            else:
                lines.append(_weighted("~", option.fraction, _option_text(option.text), 0.0))
    return "{\n" + "\n".join(lines) + "\n}"


def _stem_with_block(record: QuestionRecord) -> str:
    block = _answer_block(record)
    stem = record.stem
    if record.type == FILL_BLANK and count_blank_markers(stem) == 1:
        before, after = _split_at_marker(stem)
        if after.strip():
            return f"[html]{_escape(before)}{block}{_escape(after)}"
    return f"[html]{_escape(stem)}{block}"


def _split_at_marker(stem: str) -> tuple[str, str]:
    match = BLANK_MARKER.search(stem)
    return stem[: match.start()], stem[match.end() :]


def _metadata_line(record: QuestionRecord) -> str | None:
    tokens = [_token("tag", tag) for tag in record.tags]
    if record.difficulty is not None:
        tokens.append(_token("difficulty", str(record.difficulty)))
    if record.source:
        tokens.append(_token("source", record.source))
    if record.type == FILL_BLANK and record.match != DEFAULT_MATCH:
        tokens.append(_token("match", record.match or ""))
    pinned = [i for i, option in enumerate(record.options) if option.pinned]
    if pinned and record.type != TRUE_FALSE:
        tokens.append(_token("pinned", format_letters(pinned)))
    texts = [record.stem, *(option.text for option in record.options)]
    referenced = {ref for text in texts for ref in media_refs(text)}
    tokens += [_token("media", name) for name in record.media if name not in referenced]
    return "// " + " ".join(tokens) if tokens else None


def export_gift(records: Sequence[QuestionRecord]) -> bytes:
    """Return records as UTF-8 GIFT text."""
    errors = [
        ImportErrorRecord("gift", index, "answers", msg.EXPORT_MULTI_BLANK, {"format": "GIFT"})
        for index, record in enumerate(records, start=1)
        if len(record.blanks) > 1
    ]
    if errors:
        raise ExportError(errors)
    chunks: list[str] = []
    category: str | None = None
    for record in records:
        if record.category != category:
            chunks.append(f"$CATEGORY: {moodle_category(record.category)}")
            category = record.category
        lines = [line for line in (_metadata_line(record),) if line]
        lines.append(_stem_with_block(record))
        chunks.append("\n".join(lines))
    return ("\n\n".join(chunks) + "\n").encode("utf-8")
