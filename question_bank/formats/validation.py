"""Invariants every question record must satisfy, shared by all formats."""

from __future__ import annotations

import re
from collections.abc import Sequence

from scoring.text import normalize_answer

from . import messages as msg
from .errors import Problem
from .html_text import has_content, html_to_plain
from .records import (
    CHOICE_TYPES,
    MATCH_EXACT,
    MATCH_MODES,
    MAX_OPTIONS,
    MIN_OPTIONS,
    MULTIPLE_RESPONSE,
    OPTION_LETTERS,
    QUESTION_TYPES,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Answer,
    QuestionRecord,
)

# Moodle writes thirds as 33.33333%, so sums may miss 1 by a few 1e-7.
SUM_TOLERANCE = 1e-4
BLANK_MARKER = re.compile(r"(?<!_)____(?!_)")


def count_blank_markers(stem: str) -> int:
    """Return how many exact BLANK markers ("____") the stem holds."""
    return len(BLANK_MARKER.findall(stem))


def letter(index: int) -> str:
    """Return the option letter for a 0-based position (A, B, ..., then #9...)."""
    return OPTION_LETTERS[index] if index < len(OPTION_LETTERS) else f"#{index + 1}"


def percent(value: float) -> str:
    """Format a fraction as a percentage for messages."""
    return f"{value * 100:.6g}"


def validate_record(record: QuestionRecord) -> list[Problem]:
    """Return every problem of the record (empty when it is valid)."""
    problems: list[Problem] = []
    if record.type not in QUESTION_TYPES:
        return [Problem("type", msg.TYPE_UNKNOWN, {"value": record.type})]
    if not has_content(record.stem):
        problems.append(Problem("stem", msg.STEM_EMPTY))
    if record.type in CHOICE_TYPES:
        problems += _validate_choice(record)
    else:
        problems += _validate_fill_blank(record)
    if record.difficulty not in (None, 1, 2, 3):
        problems.append(Problem("difficulty", msg.DIFFICULTY_INVALID, {"value": record.difficulty}))
    return problems


def _validate_choice(record: QuestionRecord) -> list[Problem]:
    problems: list[Problem] = []
    options = record.options
    if record.answers:
        problems.append(Problem("answers", msg.CHOICE_HAS_ANSWERS))
    count = len(options)
    if record.type == TRUE_FALSE and count != 2:
        return [Problem("options", msg.TRUE_FALSE_OPTION_COUNT, {"count": count})]
    if not MIN_OPTIONS <= count <= MAX_OPTIONS:
        message = (
            msg.SINGLE_OPTION_COUNT if record.type == SINGLE_CHOICE else msg.MULTIPLE_OPTION_COUNT
        )
        return [Problem("options", message, {"count": count})]
    seen: dict[str, int] = {}
    for index, option in enumerate(options):
        field = f"option_{letter(index).lower()}"
        if not has_content(option.text):
            problems.append(Problem(field, msg.OPTION_EMPTY, {"letter": letter(index)}))
            continue
        key = html_to_plain(option.text).casefold()
        if "<img" in option.text:
            key += option.text
        if key in seen:
            problems.append(
                Problem(
                    field,
                    msg.OPTION_DUPLICATE,
                    {"first": letter(seen[key]), "second": letter(index)},
                )
            )
        seen.setdefault(key, index)
        if not -1.0 <= option.fraction <= 1.0:
            problems.append(Problem(field, msg.FRACTION_RANGE, {"value": percent(option.fraction)}))
    full = sum(1 for option in options if option.fraction == 1.0)
    if record.type == TRUE_FALSE:
        if full != 1 or sorted(option.fraction for option in options) != [0.0, 1.0]:
            problems.append(Problem("options", msg.TRUE_FALSE_NEEDS_ONE_CORRECT))
    elif record.type == SINGLE_CHOICE:
        if full != 1:
            problems.append(Problem("options", msg.SINGLE_NEEDS_ONE_CORRECT, {"count": full}))
    elif record.type == MULTIPLE_RESPONSE:
        positive = [option.fraction for option in options if option.fraction > 0]
        if not positive:
            problems.append(Problem("options", msg.MULTIPLE_NO_CORRECT))
        elif abs(sum(positive) - 1.0) > SUM_TOLERANCE:
            problems.append(Problem("options", msg.MULTIPLE_SUM, {"total": percent(sum(positive))}))
    return problems


def _validate_fill_blank(record: QuestionRecord) -> list[Problem]:
    problems: list[Problem] = []
    if record.options:
        problems.append(Problem("options", msg.FILL_HAS_OPTIONS))
    if record.match not in MATCH_MODES:
        problems.append(Problem("match", msg.MATCH_INVALID, {"value": record.match}))
    blanks = record.blanks or ((),)
    for number, answers in enumerate(blanks, start=1):
        if not answers:
            problems.append(Problem("answers", msg.FILL_NO_ANSWER, {"blank": number}))
            continue
        problems += _repeated_answers(number, answers, record.match)
        for answer in answers:
            if not answer.text.strip():
                problems.append(Problem("answers", msg.ANSWER_EMPTY, {"blank": number}))
            if not 0.0 <= answer.fraction <= 1.0:
                problems.append(
                    Problem(
                        "answers",
                        msg.ANSWER_FRACTION_RANGE,
                        {"value": percent(answer.fraction)},
                    )
                )
        if not any(answer.fraction == 1.0 for answer in answers):
            problems.append(Problem("answers", msg.FILL_NO_FULL_ANSWER, {"blank": number}))
    markers = count_blank_markers(record.stem)
    if markers != len(blanks) and not (len(blanks) == 1 and markers == 0):
        problems.append(
            Problem(
                "answers",
                msg.BLANK_COUNT_MISMATCH,
                {"markers": markers, "blanks": len(blanks)},
            )
        )
    return problems


def _repeated_answers(number: int, answers: Sequence[Answer], match: str | None) -> list[Problem]:
    """Report an accepted answer written twice, or one whose credit can never be earned.

    Scoring compares a response with every accepted answer under the blank's match mode
    and keeps the best credit. So the same text twice is always a slip (and a QTI mapping,
    keyed by the text, cannot even hold it), and two texts the matching counts as one
    answer ("Hà Nội" and "Ha Noi" when accents are ignored) with different credits promise
    a credit the lower one never earns. The same credit for both is only redundant: authors
    list the spellings they accept, and that is allowed.
    """
    problems: list[Problem] = []
    mode = match if match in MATCH_MODES else MATCH_EXACT
    texts: set[str] = set()
    first_of: dict[str, Answer] = {}
    for answer in answers:
        if not answer.text.strip():
            continue  # reported as empty
        text = normalize_answer(answer.text, MATCH_EXACT)
        if text in texts:
            params = {"blank": number, "text": answer.text}
            problems.append(Problem("answers", msg.ANSWER_REPEATED, params))
            continue
        texts.add(text)
        first = first_of.setdefault(normalize_answer(answer.text, mode), answer)
        if first.fraction != answer.fraction:
            params = {
                "blank": number,
                "first": first.text,
                "first_credit": percent(first.fraction),
                "second": answer.text,
                "second_credit": percent(answer.fraction),
            }
            problems.append(Problem("answers", msg.ANSWER_EQUIVALENT_CREDIT, params))
    return problems
