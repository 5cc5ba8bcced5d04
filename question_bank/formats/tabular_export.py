"""Question records into rows of the spreadsheet template (the inverse of tabular)."""

from __future__ import annotations

from .answer_cell import format_answer_cell
from .columns import COLUMNS, DIFFICULTY_LABELS, HEADERS, OPTION_COLUMNS, TYPE_LABELS
from .html_text import html_to_cell, media_refs
from .metadata import format_letters, join_tags
from .numbers import format_percent
from .records import (
    DEFAULT_MATCH,
    FILL_BLANK,
    MULTIPLE_RESPONSE,
    TRUE_FALSE,
    QuestionRecord,
    round_fraction,
)

_TRUE_FALSE_WORDS = {"vi": ("Đúng", "Sai"), "en": ("True", "False")}


def header_row(lang: str) -> list[str]:
    """Return the template's header row in the given language ("vi" or "en")."""
    return [HEADERS[lang][column] for column in COLUMNS]


def _default_fractions(record: QuestionRecord) -> bool:
    fractions = [option.fraction for option in record.options]
    positive = [value for value in fractions if value > 0]
    if any(value not in (0.0, *positive) for value in fractions):
        return False
    if record.type == MULTIPLE_RESPONSE:
        share = round_fraction(1 / len(positive)) if positive else 0.0
        return all(value == share for value in positive)
    return positive == [1.0]


def record_row(record: QuestionRecord, lang: str = "vi") -> list[str]:
    """Return the cells (as text) of one record, in COLUMNS order."""
    cells = dict.fromkeys(COLUMNS, "")
    cells["type"] = TYPE_LABELS[lang][record.type]
    cells["stem"] = html_to_cell(record.stem)
    texts = [record.stem]
    if record.type == FILL_BLANK:
        cells["correct"] = format_answer_cell(record.blanks)
        if record.match != DEFAULT_MATCH:
            cells["match"] = record.match or ""
    elif record.type == TRUE_FALSE:
        true_word, false_word = _TRUE_FALSE_WORDS[lang]
        cells["correct"] = true_word if record.options[0].fraction == 1.0 else false_word
    else:
        for column, option in zip(OPTION_COLUMNS, record.options, strict=False):
            cells[column] = html_to_cell(option.text)
            texts.append(option.text)
        correct = [i for i, option in enumerate(record.options) if option.fraction > 0]
        if record.type != MULTIPLE_RESPONSE:
            correct = [i for i, option in enumerate(record.options) if option.fraction == 1.0]
        cells["correct"] = format_letters(correct)
        if not _default_fractions(record):
            cells["weights"] = ";".join(
                f"{format_percent(option.fraction)}%" for option in record.options
            )
        pinned = [i for i, option in enumerate(record.options) if option.pinned]
        cells["pinned"] = format_letters(pinned)
    cells["category"] = record.category or ""
    if record.difficulty is not None:
        cells["difficulty"] = DIFFICULTY_LABELS[lang][record.difficulty]
    cells["tags"] = join_tags(record.tags)
    cells["source"] = record.source or ""
    referenced = {ref for text in texts for ref in media_refs(text)}
    cells["media"] = "|".join(name for name in record.media if name not in referenced)
    return [cells[column] for column in COLUMNS]
