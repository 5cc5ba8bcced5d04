"""Value types shared by the scoring rules, pass rules and sanctions."""

from __future__ import annotations

from dataclasses import dataclass

ItemTypeName = str  # "true_false" | "single_choice" | "multiple_response" | "fill_blank"

# None (unanswered), chosen option ids (choice types) or blank texts (fill_blank).
Response = frozenset[str] | tuple[str | None, ...] | None

MATCH_MODES = ("exact", "ignore_case", "ignore_accents")
PASS_BASES = ("share_correct", "points")


@dataclass(frozen=True)
class OptionKey:
    """One option of a choice item and the credit it earns when chosen."""

    id: str
    fraction: float  # from -1 to 1; 1 = the correct option of a single choice

    def __post_init__(self) -> None:
        if not -1.0 <= self.fraction <= 1.0:
            raise ValueError(f"option {self.id!r}: fraction {self.fraction} not in [-1, 1]")


@dataclass(frozen=True)
class AcceptedAnswer:
    """One accepted text for a blank and the credit it earns."""

    text: str
    fraction: float = 1.0

    def __post_init__(self) -> None:
        if not -1.0 <= self.fraction <= 1.0:
            raise ValueError(f"answer {self.text!r}: fraction {self.fraction} not in [-1, 1]")


@dataclass(frozen=True)
class BlankKey:
    """The accepted answers of one blank and how texts are compared."""

    answers: tuple[AcceptedAnswer, ...]
    # "exact": NFC only. "ignore_case": also trims, collapses inner whitespace and casefolds.
    # "ignore_accents": ignore_case plus Vietnamese diacritics removed and đ read as d.
    match: str = "ignore_case"

    def __post_init__(self) -> None:
        if self.match not in MATCH_MODES:
            raise ValueError(f"unknown match mode {self.match!r}")


@dataclass(frozen=True)
class ItemKey:
    """The answer key of one item and the points it is worth."""

    item_type: str
    options: tuple[OptionKey, ...] = ()
    blanks: tuple[BlankKey, ...] = ()
    points: float = 1.0  # the points of the item's difficulty group; the item's maximum
    # A faulty item the chair credits to every candidate: full points whatever the response.
    credited_to_all: bool = False

    def __post_init__(self) -> None:
        if self.points < 0:
            raise ValueError(f"points must not be negative, got {self.points}")
        object.__setattr__(self, "points", float(self.points))


@dataclass(frozen=True)
class ItemScore:
    """The score of one response to one item."""

    earned: float  # 0..maximum; down to -maximum only under the "negative" policy
    maximum: float  # = the key's points
    correct: bool  # full credit
    answered: bool


@dataclass(frozen=True)
class PassRule:
    """How a part is passed: a threshold on the share correct or on the 0..100 score."""

    basis: str  # "share_correct" (threshold 0..1) | "points" (threshold 0..100)
    threshold: float

    def __post_init__(self) -> None:
        if self.basis not in PASS_BASES:
            raise ValueError(f"unknown pass basis {self.basis!r}")
        upper = 1.0 if self.basis == "share_correct" else 100.0
        if not 0.0 <= self.threshold <= upper:
            raise ValueError(
                f"threshold {self.threshold} out of range 0..{upper:g} for basis {self.basis!r}"
            )


@dataclass(frozen=True)
class PartResult:
    """The result of one part, before or after a sanction."""

    item_count: int
    answered_count: int
    correct_count: int  # items with full credit, as answered (never changed by a sanction)
    earned: float
    maximum: float
    share_correct: float  # adjusted_correct / item_count, 0..1, not rounded
    score_100: float  # earned / maximum * 100, 2 decimals, half-up
    passed: bool
    basis: str
    threshold: float | None = None  # the pass rule's threshold, kept to re-decide after a sanction
    # Correct answers counted after a sanction's deduction; exact, may be fractional.
    adjusted_correct: float | None = None
    sanction: str | None = None
    voided: bool = False

    def __post_init__(self) -> None:
        if self.adjusted_correct is None:
            object.__setattr__(self, "adjusted_correct", float(self.correct_count))
