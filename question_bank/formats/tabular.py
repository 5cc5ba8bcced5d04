"""Rows of the spreadsheet template (xlsx or csv) into question records.

See templates.TEMPLATE_DOC for the columns. Row numbers are spreadsheet rows
(the header is row 1); error fields name the column as written in the file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import messages as msg
from .answer_cell import parse_answer_cell
from .columns import (
    COLUMNS,
    FALSE_WORDS,
    OPTION_COLUMNS,
    REQUIRED,
    TRUE_WORDS,
    UNSUPPORTED_TYPES,
    column_for,
    type_for,
)
from .duplicates import find_duplicates
from .errors import ImportErrorRecord, Problem
from .html_text import cell_to_html, clean_plain, collect_media, html_to_plain
from .metadata import (
    ProblemValue,
    fold,
    normalise_category,
    parse_difficulty,
    parse_letters,
    parse_match,
    split_tags,
)
from .numbers import parse_fraction
from .records import (
    FILL_BLANK,
    MULTIPLE_RESPONSE,
    OPTION_LETTERS,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Option,
    ParseResult,
    QuestionRecord,
    true_false_options,
)
from .validation import validate_record

Row = tuple[int, Sequence[object]]


def cell_text(value: object) -> str:
    """Return a cell value as text the way a person reads it in the sheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


@dataclass
class _Layout:
    index: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str | None) -> str | None:
        if name in ("options", "answers"):
            name = "correct" if "correct" in self.headers else "weights"
        return self.headers.get(name or "", name)


def _read_header(
    values: Sequence[object], row: int, file: str
) -> tuple[_Layout, list[ImportErrorRecord]]:
    layout, errors = _Layout(), []
    for position, value in enumerate(values):
        text = clean_plain(cell_text(value))
        if not text:
            continue
        column = column_for(text)
        if column is None:
            errors.append(ImportErrorRecord(file, row, text, msg.HEADER_UNKNOWN, {"column": text}))
        elif column and column in layout.index:
            errors.append(
                ImportErrorRecord(file, row, text, msg.HEADER_DUPLICATE, {"column": text})
            )
        elif column:
            layout.index[column] = position
            layout.headers[column] = text
    for column in REQUIRED:
        if column not in layout.index:
            errors.append(
                ImportErrorRecord(file, row, column, msg.HEADER_MISSING, {"column": column})
            )
    if "correct" not in layout.index and "weights" not in layout.index:
        errors.append(
            ImportErrorRecord(file, row, "correct", msg.HEADER_MISSING, {"column": "correct"})
        )
    return layout, errors


def parse_rows(rows: Iterable[Row], file: str) -> ParseResult:
    """Parse header and data rows into records and every error found."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return ParseResult(errors=(ImportErrorRecord(file, None, None, msg.SHEET_EMPTY),))
    layout, errors = _read_header(first[1], first[0], file)
    if errors and any(error.message_id == msg.HEADER_MISSING for error in errors):
        return ParseResult(errors=tuple(errors))
    records: list[QuestionRecord] = []
    for number, values in iterator:
        cells = {
            column: cell_text(values[position]) if position < len(values) else ""
            for column, position in layout.index.items()
        }
        if not any(text.strip() for text in cells.values()):
            continue
        record, problems = _read_row(cells, number)
        errors += [problem.at(file, number, layout.header(problem.field)) for problem in problems]
        if record is not None:
            records.append(record)
    errors += find_duplicates(records, file, rows=True)
    if not records and not errors:
        errors.append(ImportErrorRecord(file, None, None, msg.NO_QUESTIONS))
    return ParseResult(tuple(records), tuple(errors))


def _options(cells: dict[str, str], problems: list[Problem]) -> list[str]:
    texts = [cell_to_html(cells.get(column, "")) for column in OPTION_COLUMNS]
    last = max((index for index, text in enumerate(texts) if text), default=-1)
    for index in range(last):
        if not texts[index]:
            problems.append(
                Problem(OPTION_COLUMNS[index], msg.OPTION_GAP, {"letter": OPTION_LETTERS[index]})
            )
    return texts[: last + 1]


def _letters(cells: dict[str, str], column: str, count: int, problems: list[Problem]) -> list[int]:
    try:
        indexes = parse_letters(cells.get(column, ""), column)
    except ProblemValue as exc:
        problems.append(exc.problem)
        return []
    for index in indexes:
        if index >= count:
            problems.append(
                Problem(column, msg.LETTER_NOT_OPTION, {"letter": OPTION_LETTERS[index]})
            )
    return [index for index in indexes if index < count]


def _weights(cells: dict[str, str], count: int, problems: list[Problem]) -> list[float] | None:
    text = clean_plain(cells.get("weights", ""))
    if not text:
        return None
    values: list[float] = []
    for part in re.split(r"[;|\n]", text):
        value = parse_fraction(part)
        if value is None:
            problems.append(Problem("weights", msg.WEIGHT_INVALID, {"value": part.strip()}))
            return None
        values.append(value)
    if len(values) != count:
        problems.append(
            Problem("weights", msg.WEIGHTS_COUNT, {"count": len(values), "options": count})
        )
        return None
    return values


def _infer_type(cells: dict[str, str], options: list[str]) -> str:
    correct = fold(cells.get("correct", ""))
    if not options:
        return TRUE_FALSE if correct in TRUE_WORDS | FALSE_WORDS else FILL_BLANK
    if len(options) == 2 and _true_false_meanings(options) is not None:
        return TRUE_FALSE
    weights = [parse_fraction(part) for part in re.split(r"[;|\n]", cells.get("weights", ""))]
    if sum(1 for value in weights if value and value > 0) > 1:
        return MULTIPLE_RESPONSE
    try:
        many = len(parse_letters(cells.get("correct", ""), "correct")) > 1
    except ProblemValue:
        many = False
    return MULTIPLE_RESPONSE if many else SINGLE_CHOICE


def _true_false_meanings(options: list[str]) -> list[bool] | None:
    meanings = []
    for text in options:
        word = fold(html_to_plain(text))
        if word in TRUE_WORDS:
            meanings.append(True)
        elif word in FALSE_WORDS:
            meanings.append(False)
        else:
            return None
    return meanings if sorted(meanings) == [False, True] else None


def _read_row(cells: dict[str, str], row: int) -> tuple[QuestionRecord | None, list[Problem]]:
    problems: list[Problem] = []
    options = _options(cells, problems)
    raw_type = clean_plain(cells.get("type", ""))
    kind = type_for(raw_type) if raw_type else _infer_type(cells, options)
    if kind is None:
        unsupported = fold(raw_type) in UNSUPPORTED_TYPES
        message = msg.TYPE_UNSUPPORTED if unsupported else msg.TYPE_UNKNOWN
        params = {"type": raw_type} if unsupported else {"value": raw_type}
        return None, [Problem("type", message, params)]
    common = _common_fields(cells, problems)
    stem = cell_to_html(cells.get("stem", ""))
    body: dict[str, object]
    if kind == FILL_BLANK:
        body = _fill_blank(cells, options, problems)
    elif kind == TRUE_FALSE:
        body = _true_false(cells, options, problems)
    else:
        body = _choice(kind, cells, options, problems)
    if body is None:
        return None, problems
    media = common.pop("media")
    texts = [stem] + [option.text for option in body.get("options", ())]
    record = QuestionRecord(
        type=kind,
        stem=stem,
        media=collect_media(texts, media),
        location=row,
        **body,
        **common,
    )
    if problems:
        return None, problems
    problems = validate_record(record)
    return (None if problems else record), problems


def _common_fields(cells: dict[str, str], problems: list[Problem]) -> dict[str, object]:
    values: dict[str, object] = {
        "category": normalise_category(cells.get("category")),
        "tags": tuple(split_tags(cells.get("tags"))),
        "source": clean_plain(cells.get("source")) or None,
        "media": [
            name.strip()
            for name in re.split(r"[|;\n]", clean_plain(cells.get("media")))
            if name.strip()
        ],
    }
    try:
        values["difficulty"] = parse_difficulty(clean_plain(cells.get("difficulty")))
    except ProblemValue as exc:
        problems.append(exc.problem)
    return values


def _fill_blank(cells, options, problems) -> dict[str, object] | None:
    if options:
        problems.append(Problem("options", msg.FILL_HAS_OPTIONS))
    if clean_plain(cells.get("weights")):
        problems.append(Problem("weights", msg.WEIGHTS_NOT_FOR_FILL))
    try:
        blanks = parse_answer_cell(cells.get("correct"), "correct")
        match = parse_match(cells.get("match"))
    except ProblemValue as exc:
        problems.append(exc.problem)
        return None
    if not blanks:
        problems.append(Problem("correct", msg.CORRECT_MISSING))
        return None
    return {"blanks": tuple(tuple(blank) for blank in blanks), "match": match}


def _true_false(cells, options, problems) -> dict[str, object] | None:
    if len(options) not in (0, 2):
        problems.append(Problem("options", msg.TRUE_FALSE_OPTION_COUNT, {"count": len(options)}))
        return None
    meanings = _true_false_meanings(options) if options else [True, False]
    if meanings is None:
        problems.append(Problem("options", msg.TRUE_FALSE_OPTION_TEXT))
        return None
    value = clean_plain(cells.get("correct"))
    word = fold(value)
    if not value:
        problems.append(Problem("correct", msg.CORRECT_MISSING))
        return None
    if word in TRUE_WORDS or word in FALSE_WORDS:
        truth = word in TRUE_WORDS
    elif word in ("a", "b"):
        truth = meanings[0 if word == "a" else 1]
    else:
        problems.append(Problem("correct", msg.TRUE_FALSE_VALUE, {"value": value}))
        return None
    return {"options": true_false_options(truth)}


def _choice(kind, cells, options, problems) -> dict[str, object] | None:
    count = len(options)
    correct = _letters(cells, "correct", count, problems)
    pinned = set(_letters(cells, "pinned", count, problems))
    weights = _weights(cells, count, problems)
    if weights is None and not correct:
        if not clean_plain(cells.get("correct")) and not clean_plain(cells.get("weights")):
            problems.append(Problem("correct", msg.CORRECT_MISSING))
        return None
    if weights is None:
        share = 1.0 if kind == SINGLE_CHOICE else 1.0 / len(correct)
        weights = [share if index in correct else 0.0 for index in range(count)]
    elif correct:
        marked = [index for index, value in enumerate(weights) if value > 0]
        if kind == SINGLE_CHOICE:
            marked = [index for index, value in enumerate(weights) if value == 1]
        if marked != correct:
            problems.append(Problem("weights", msg.WEIGHTS_CONFLICT))
    return {
        "options": tuple(
            Option(text, weight, index in pinned)
            for index, (text, weight) in enumerate(zip(options, weights, strict=True))
        )
    }


__all__ = ["COLUMNS", "cell_text", "parse_rows"]
