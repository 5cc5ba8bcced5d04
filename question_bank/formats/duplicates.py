"""Duplicate detection: the same stem and options, ignoring form differences.

Two questions are duplicates when their visible stem text and the sorted
visible texts of their options are equal after NFC, casefolding and collapsing
whitespace (HTML tags and option order do not count). Image sources count, so
two "Which picture...?" questions with different images differ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from . import messages as msg
from .errors import ImportErrorRecord
from .html_text import html_to_plain, media_refs
from .records import QuestionRecord


def _normal(value: str) -> str:
    images = " ".join(media_refs(value))
    return f"{html_to_plain(value)} {images}".strip().casefold()


def duplicate_text(record: QuestionRecord) -> str:
    """Return the normalised text that duplicate_key() hashes."""
    options = sorted(_normal(option.text) for option in record.options)
    return "\x1f".join([_normal(record.stem), *options])


def duplicate_key(record: QuestionRecord) -> str:
    """Return a stable key (hex SHA-256) equal for duplicate questions."""
    return hashlib.sha256(duplicate_text(record).encode("utf-8")).hexdigest()


def find_duplicates(
    records: Iterable[QuestionRecord], file: str, *, rows: bool = False
) -> list[ImportErrorRecord]:
    """Report every record that repeats an earlier one, naming both positions."""
    first_seen: dict[str, QuestionRecord] = {}
    errors: list[ImportErrorRecord] = []
    for record in records:
        key = duplicate_key(record)
        first = first_seen.setdefault(key, record)
        if first is record:
            continue
        here = f"{file}/{record.location_file}" if record.location_file else file
        if first.location_file != record.location_file:
            message = msg.DUPLICATE_FILE
            params = {"other_file": first.location_file or file, "other_line": first.location}
        else:
            message = msg.DUPLICATE_ROW if rows else msg.DUPLICATE_LINE
            params = {"other_line": first.location}
        errors.append(ImportErrorRecord(here, record.location, "stem", message, params))
    return errors
