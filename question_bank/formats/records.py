"""Question records: the neutral form every format parses into and exports from.

Representation of fill-in-the-blank questions with several blanks
------------------------------------------------------------------
``blanks`` holds one tuple of accepted answers per blank, in reading order, and
the stem marks each blank with ``BLANK`` ("____", exactly four underscores).
``answers`` is always ``blanks[0]`` (the first blank), which is what to_json()
shows. A single-blank question may leave the marker out of the stem (the answer
box then follows the text); a question with n > 1 blanks has exactly n markers.
Build single-blank records with ``answers=...`` or ``blanks=(...,)``: the other
field is filled in.

Text conventions: stems and option texts are sanitised HTML (see html_text),
NFC-normalised; answers, category, tags and source are plain NFC text.
Fractions are credit from -1 to 1, rounded to 7 decimal places.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ImportErrorRecord

TRUE_FALSE = "true_false"
SINGLE_CHOICE = "single_choice"
MULTIPLE_RESPONSE = "multiple_response"
FILL_BLANK = "fill_blank"
QUESTION_TYPES = (TRUE_FALSE, SINGLE_CHOICE, MULTIPLE_RESPONSE, FILL_BLANK)
CHOICE_TYPES = (TRUE_FALSE, SINGLE_CHOICE, MULTIPLE_RESPONSE)

MATCH_EXACT = "exact"
MATCH_IGNORE_CASE = "ignore_case"
MATCH_IGNORE_ACCENTS = "ignore_accents"
MATCH_MODES = (MATCH_EXACT, MATCH_IGNORE_CASE, MATCH_IGNORE_ACCENTS)
DEFAULT_MATCH = MATCH_IGNORE_CASE

BLANK = "____"
# True/false questions always have these two options, true first, both pinned.
TRUE_TEXT = "Đúng"
FALSE_TEXT = "Sai"
MIN_OPTIONS = 2
MAX_OPTIONS = 8
OPTION_LETTERS = "ABCDEFGH"
FRACTION_DECIMALS = 7


def round_fraction(value: float) -> float:
    """Round a credit fraction the way records store it (and turn -0.0 into 0.0)."""
    return round(float(value), FRACTION_DECIMALS) + 0.0


@dataclass(frozen=True)
class Option:
    """One option of a choice question."""

    text: str
    fraction: float = 0.0
    pinned: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "fraction", round_fraction(self.fraction))

    def to_json(self) -> dict[str, Any]:
        """Return the option as a JSON-able dict."""
        return {"text": self.text, "fraction": self.fraction, "pinned": self.pinned}


@dataclass(frozen=True)
class Answer:
    """One accepted answer of a blank."""

    text: str
    fraction: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "fraction", round_fraction(self.fraction))

    def to_json(self) -> dict[str, Any]:
        """Return the answer as a JSON-able dict."""
        return {"text": self.text, "fraction": self.fraction}


@dataclass(frozen=True)
class QuestionRecord:
    """A parsed question; equality ignores where it came from (location)."""

    type: str
    stem: str
    options: tuple[Option, ...] = ()
    answers: tuple[Answer, ...] = ()
    blanks: tuple[tuple[Answer, ...], ...] = ()
    match: str | None = None
    category: str | None = None
    difficulty: int | None = None
    tags: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    source: str | None = None
    location: int | None = field(default=None, compare=False)
    location_file: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        options = tuple(self.options)
        answers = tuple(self.answers)
        blanks = tuple(tuple(blank) for blank in self.blanks)
        if blanks and not answers:
            answers = blanks[0]
        elif answers and not blanks:
            blanks = (answers,)
        elif answers and blanks and answers != blanks[0]:
            raise ValueError("answers must equal the first blank's answers")
        match = self.match
        if self.type == FILL_BLANK and match is None:
            match = DEFAULT_MATCH
        object.__setattr__(self, "options", options)
        object.__setattr__(self, "answers", answers)
        object.__setattr__(self, "blanks", blanks)
        object.__setattr__(self, "match", match)
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "media", tuple(self.media))

    def to_json(self) -> dict[str, Any]:
        """Return the record as a JSON-able dict with exactly the documented keys."""
        return {
            "type": self.type,
            "stem": self.stem,
            "options": [option.to_json() for option in self.options],
            "answers": [answer.to_json() for answer in self.answers],
            "match": self.match,
            "category": self.category,
            "difficulty": self.difficulty,
            "tags": list(self.tags),
            "media": list(self.media),
            "source": self.source,
        }


def true_false_options(true_is_correct: bool) -> tuple[Option, Option]:
    """Return the canonical options of a true/false question."""
    return (
        Option(TRUE_TEXT, 1.0 if true_is_correct else 0.0, pinned=True),
        Option(FALSE_TEXT, 0.0 if true_is_correct else 1.0, pinned=True),
    )


@dataclass(frozen=True)
class ParseResult:
    """What a parser returns: valid records, every error found, and media bytes.

    Unpacks as ``records, errors = result``. ``media`` maps a media name (as
    listed in record.media) to its bytes, for formats that carry files.
    """

    records: tuple[QuestionRecord, ...] = ()
    errors: tuple[ImportErrorRecord, ...] = ()
    media: Mapping[str, bytes] = field(default_factory=dict)

    def __iter__(self):
        yield self.records
        yield self.errors

    @property
    def ok(self) -> bool:
        """Return True when the file had no error at all."""
        return not self.errors
