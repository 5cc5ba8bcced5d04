"""CSV import and export of the spreadsheet template.

Import: UTF-8 (BOM optional) or UTF-16 with BOM; the delimiter (comma,
semicolon or tab) is taken from the header line. Export: UTF-8 with BOM (so
Excel shows Vietnamese correctly), comma-separated; cells that Excel would run
as formulas (starting with = + - @, a tab or a carriage return) get a leading
apostrophe, removed on import. A text that itself starts with an apostrophe gets
one too, so import removes exactly what export added and every text comes back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from . import messages as msg
from .encoding import decode_text
from .errors import ImportErrorRecord, ProblemError
from .records import ParseResult, QuestionRecord
from .tabular import parse_rows
from .tabular_export import header_row, record_row

_DELIMITERS = ",;\t"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Cells the guard prefixes with an apostrophe: formula starts, and an apostrophe itself
# (so that import can tell the added apostrophe from one the text starts with).
_GUARDED_START = (*_FORMULA_START, "'")


def _delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _unguard(value: str) -> str:
    """Remove the apostrophe _guard() added (the exact inverse of _guard)."""
    if value.startswith("'") and value[1:].startswith(_GUARDED_START):
        return value[1:]
    return value


def parse_csv(data: bytes, filename: str) -> ParseResult:
    """Parse a CSV file laid out like the template."""
    try:
        text = decode_text(data)
    except ProblemError as exc:
        return ParseResult(errors=(exc.at(filename),))
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    errors: list[ImportErrorRecord] = []
    number = 0
    try:
        for number, values in enumerate(reader, start=1):  # noqa: B007 - used after loop
            rows.append((number, [_unguard(value) for value in values]))
    except csv.Error:
        errors.append(ImportErrorRecord(filename, number + 1, None, msg.CSV_MALFORMED))
    result = parse_rows(rows, filename)
    return ParseResult(result.records, tuple(errors) + result.errors)


def _guard(value: str) -> str:
    """Keep Excel from running a cell as a formula; _unguard() gives the value back."""
    return "'" + value if value.startswith(_GUARDED_START) else value


def write_csv(rows: Sequence[Sequence[str]], lang: str) -> bytes:
    """Write a header row and text rows as UTF-8 CSV with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header_row(lang))
    for row in rows:
        writer.writerow([_guard(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def export_csv(records: Sequence[QuestionRecord], lang: str = "vi") -> bytes:
    """Write records as CSV in the template layout."""
    return write_csv([record_row(record, lang) for record in records], lang)
