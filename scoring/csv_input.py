"""Parse a CSV of item scores into item names and a score matrix, naming every fault."""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

ID_COLUMN = "candidate"
MIN_CANDIDATES = 2
# Plain ASCII decimals only: float() alone also takes "1_000", "nan" and other scripts' digits.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


MAX_SCORE = 1_000_000  # item scores run from 0 to this


class AnalyzeInputError(ValueError):
    """Bad analysis input: a message id for the translation catalogue and its parameters."""

    # A plain exception, not a frozen dataclass: the runtime sets attributes on exceptions.
    def __init__(self, message_id: str, params: dict | None = None) -> None:
        super().__init__(message_id, dict(params or {}))
        self.message_id = message_id
        self.params = dict(params or {})

    def __str__(self) -> str:
        details = ", ".join(f"{name}={value!r}" for name, value in sorted(self.params.items()))
        return f"{self.message_id}({details})"


@dataclass(frozen=True)
class ScoreTable:
    """Item names and a candidates x items matrix of scores."""

    items: tuple[str, ...]
    columns: tuple[int, ...]  # 1-based CSV column of each item
    scores: np.ndarray


def decode(data: str | bytes) -> str:
    """Return the text of the input; bytes are UTF-8, with or without a byte-order mark."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnalyzeInputError("analyze.not_utf8", {"byte_offset": exc.start}) from None


def delimiter_of(header_line: str) -> str:
    """Return "," unless the header uses ";" or tabs and no comma (spreadsheet exports)."""
    if "," not in header_line:
        for candidate in (";", "\t"):
            if candidate in header_line:
                return candidate
    return ","


def parse_number(cell: str, decimal_comma: bool, line: int, column: int, item: str) -> float:
    """Return a cell as a finite float or raise an error naming its line and column."""
    text = cell.strip()
    if not text:
        raise AnalyzeInputError(
            "analyze.missing_score", {"line": line, "column": column, "item": item}
        )
    if decimal_comma:
        text = text.replace(",", ".")
    value = float(text) if NUMBER.fullmatch(text) else math.nan
    if not math.isfinite(value):
        raise AnalyzeInputError(
            "analyze.not_a_number",
            {"line": line, "column": column, "item": item, "value": cell},
        )
    if not 0 <= value <= MAX_SCORE:
        # Facility is a share of the item's maximum, and the moments square the scores:
        # negative marks must be rescaled first, and absurd magnitudes would overflow.
        raise AnalyzeInputError(
            "analyze.score_out_of_range",
            {"line": line, "column": column, "item": item, "value": cell, "maximum": MAX_SCORE},
        )
    return value


def non_blank_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """Yield the rows that hold any text, turning CSV syntax errors into input errors."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "line_num", 0)
            raise AnalyzeInputError("analyze.bad_csv", {"line": line, "detail": str(exc)}) from None
        if any(cell.strip() for cell in row):
            yield row


def parse_scores(data: str | bytes) -> ScoreTable:
    """Parse a header of item names and one row of numeric scores per candidate.

    An optional first column named "candidate" (any case) holds ids and is skipped. Item
    names are trimmed and NFC-normalised. Blank lines are skipped. Quoting is strict. Lines
    and columns in errors are 1-based as a spreadsheet shows them. With ";" or tab as the
    delimiter, a decimal comma ("0,5") is accepted.
    """
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = delimiter_of(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = non_blank_rows(reader)
    header = next(records, None)
    if header is None:
        raise AnalyzeInputError("analyze.empty", {})
    header_line = reader.line_num
    names = [unicodedata.normalize("NFC", cell.strip()) for cell in header]
    skip = 1 if names and names[0].casefold() == ID_COLUMN else 0
    items = names[skip:]
    if not items:
        raise AnalyzeInputError("analyze.no_items", {"line": header_line})
    seen: dict[str, int] = {}
    for column, name in enumerate(items, start=skip + 1):
        if not name:
            raise AnalyzeInputError(
                "analyze.empty_item_name", {"line": header_line, "column": column}
            )
        if name in seen:
            raise AnalyzeInputError(
                "analyze.duplicate_item",
                {"line": header_line, "column": column, "item": name, "first_column": seen[name]},
            )
        seen[name] = column

    rows = []
    for row in records:
        line = reader.line_num
        if len(row) != len(names):
            raise AnalyzeInputError(
                "analyze.ragged_row", {"line": line, "expected": len(names), "found": len(row)}
            )
        rows.append(
            [
                parse_number(cell, delimiter != ",", line, column, name)
                for column, (cell, name) in enumerate(
                    zip(row[skip:], items, strict=True), start=skip + 1
                )
            ]
        )
    if len(rows) < MIN_CANDIDATES:
        raise AnalyzeInputError(
            "analyze.too_few_candidates", {"found": len(rows), "minimum": MIN_CANDIDATES}
        )
    columns = tuple(range(skip + 1, skip + 1 + len(items)))
    return ScoreTable(items=tuple(items), columns=columns, scores=np.array(rows, dtype=float))
