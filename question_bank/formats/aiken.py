"""Aiken format: a question line, options "A. " or "A) ", then "ANSWER: B".

Extensions beyond Moodle's reader: the question may span several lines before
the first option; "ANSWER:" is case-insensitive and may be written "ĐÁP ÁN:";
several letters ("ANSWER: A, C") make a multiple-response question whose
correct options share the credit equally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import messages as msg
from .duplicates import find_duplicates
from .encoding import decode_text
from .errors import ImportErrorRecord, Problem, ProblemError
from .html_text import cell_to_html, collect_media
from .metadata import ProblemValue, parse_letters
from .records import (
    MULTIPLE_RESPONSE,
    OPTION_LETTERS,
    SINGLE_CHOICE,
    Option,
    ParseResult,
    QuestionRecord,
)
from .validation import validate_record

_OPTION = re.compile(r"^([A-Z])[.)](?:\s+(.*))?$")
_ANSWER = re.compile(r"^(?:ANSWER|ĐÁP\s*ÁN|DAP\s*AN)\s*:\s*(.*)$", re.IGNORECASE)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class _Draft:
    line: int
    stem: list[str] = field(default_factory=list)
    options: list[tuple[str, str, int]] = field(default_factory=list)
    broken: bool = False


class _AikenReader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.records: list[QuestionRecord] = []
        self.errors: list[ImportErrorRecord] = []
        self.draft: _Draft | None = None
        self.blank_before = False

    def error(self, line: int, field_name: str | None, message_id: str, **params) -> None:
        self.errors.append(ImportErrorRecord(self.filename, line, field_name, message_id, params))

    def feed(self, number: int, raw: str) -> None:
        line = raw.strip()
        if not line:
            self.blank_before = True
            return
        answer, option = _ANSWER.match(line), _OPTION.match(line)
        if answer:
            self.finish(number, answer.group(1))
        elif option:
            self.add_option(number, option.group(1), option.group(2) or "")
        else:
            self.add_text(number, line)
        self.blank_before = False

    def add_text(self, number: int, line: str) -> None:
        draft = self.draft
        if draft is not None and draft.options:
            if self.blank_before:
                self.error(draft.line, "answer", msg.AIKEN_MISSING_ANSWER)
                self.draft = None
            else:
                self.error(number, "options", msg.AIKEN_TEXT_AFTER_OPTIONS)
                draft.broken = True
                return
        if self.draft is None:
            self.draft = _Draft(number)
        self.draft.stem.append(line)

    def add_option(self, number: int, letter: str, text: str) -> None:
        draft = self.draft
        if draft is None or not draft.stem:
            # Reported once the question ends (it has no text).
            draft = self.draft = draft or _Draft(number)
        expected = _LETTERS[len(draft.options)] if len(draft.options) < len(_LETTERS) else "?"
        if letter != expected:
            self.error(number, "options", msg.AIKEN_OPTION_ORDER, letter=letter, expected=expected)
            draft.broken = True
        draft.options.append((letter, text, number))

    def finish(self, number: int, value: str) -> None:
        draft, self.draft = self.draft, None
        if draft is None or not draft.stem:
            self.error(number, "answer", msg.AIKEN_ANSWER_WITHOUT_QUESTION)
            return
        problems = []
        if len(draft.options) < 2:
            problems.append(
                Problem("options", msg.AIKEN_TOO_FEW_OPTIONS, {"count": len(draft.options)})
            )
        indexes = self.answer_indexes(number, value, draft)
        for problem in problems:
            self.errors.append(problem.at(self.filename, draft.line))
        if problems or indexes is None or draft.broken:
            return
        self.build(draft, indexes)

    def answer_indexes(self, number: int, value: str, draft: _Draft) -> list[int] | None:
        if not value.strip():
            self.error(number, "answer", msg.AIKEN_ANSWER_EMPTY)
            return None
        try:
            indexes = parse_letters(value, "answer")
        except ProblemValue as exc:
            self.errors.append(exc.problem.at(self.filename, number))
            return None
        letters = [letter for letter, _, _ in draft.options]
        missing = [index for index in indexes if index >= len(letters)]
        if missing:
            self.error(
                number,
                "answer",
                msg.AIKEN_ANSWER_NOT_OPTION,
                letter=OPTION_LETTERS[missing[0]],
                letters=", ".join(letters) or "-",
            )
            return None
        return indexes

    def build(self, draft: _Draft, indexes: list[int]) -> None:
        kind = MULTIPLE_RESPONSE if len(indexes) > 1 else SINGLE_CHOICE
        share = 1.0 / len(indexes)
        options = tuple(
            Option(cell_to_html(text), share if index in indexes else 0.0)
            for index, (_, text, _) in enumerate(draft.options)
        )
        stem = cell_to_html("\n".join(draft.stem))
        record = QuestionRecord(
            type=kind,
            stem=stem,
            options=options,
            media=collect_media([stem, *(option.text for option in options)]),
            location=draft.line,
        )
        problems = validate_record(record)
        self.errors += [problem.at(self.filename, draft.line) for problem in problems]
        if not problems:
            self.records.append(record)

    def close(self) -> None:
        if self.draft is not None:
            self.error(self.draft.line, "answer", msg.AIKEN_MISSING_ANSWER)
            self.draft = None


def parse_aiken(data: bytes, filename: str) -> ParseResult:
    """Parse an Aiken text file."""
    try:
        text = decode_text(data)
    except ProblemError as exc:
        return ParseResult(errors=(exc.at(filename),))
    reader = _AikenReader(filename)
    for number, line in enumerate(text.split("\n"), start=1):
        reader.feed(number, line)
    reader.close()
    errors = reader.errors + find_duplicates(reader.records, filename)
    if not reader.records and not errors:
        errors.append(ImportErrorRecord(filename, None, None, msg.NO_QUESTIONS))
    errors.sort(key=lambda error: error.line or 0)
    return ParseResult(tuple(reader.records), tuple(errors))
