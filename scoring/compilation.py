"""Compile a candidate's results: part outcomes after sanctions, and the overall result.

Pure: the caller gathers each part's status and result (as stored, or re-scored after a key
change) and the sanctions the council confirmed; nothing here reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from scoring.adjustments import SANCTIONS, VOIDING, apply_sanction
from scoring.types import PartResult

PART_STATUSES = ("sat", "absent", "exempt", "in_progress")
OUTCOME_STATUSES = (*PART_STATUSES, "voided")
OVERALL_RESULTS = ("passed", "failed", "absent", "voided", "pending", "exempt")
# From mildest to most severe: when several apply to one part, the most severe one counts
# (the rules escalate a sanction, they never add two deductions).
SEVERITY = ("reprimand", "warning", "unsigned_result_list", "suspension", "cancellation")


@dataclass(frozen=True)
class Sanction:
    """A sanction the council confirmed, with an optional preset deduction (share 0..1)."""

    name: str
    deduction: float | None = None
    source: Hashable | None = None  # the decision it comes from

    def __post_init__(self) -> None:
        if self.name not in SANCTIONS:
            raise ValueError(f"unknown sanction {self.name!r}; use one of {sorted(SANCTIONS)}")


@dataclass(frozen=True)
class PartSitting:
    """What happened in one part: its status and, when sat, the result to adjust."""

    part: Hashable
    status: str  # one of PART_STATUSES
    result: PartResult | None = None
    sanctions: tuple[Sanction, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in PART_STATUSES:
            raise ValueError(f"unknown part status {self.status!r}")
        if self.status == "sat" and self.result is None:
            raise ValueError("a part that was sat needs its result")


@dataclass(frozen=True)
class PartOutcome:
    """A part after sanctions: status (sat, absent, exempt, in_progress or voided), result."""

    part: Hashable
    status: str
    result: PartResult | None
    sanction: Sanction | None = None

    @property
    def passed(self) -> bool:
        return self.status == "sat" and self.result is not None and self.result.passed


@dataclass(frozen=True)
class CandidateOutcome:
    parts: tuple[PartOutcome, ...]
    overall: str  # one of OVERALL_RESULTS


def strongest(sanctions: Sequence[Sanction]) -> Sanction | None:
    """Return the most severe sanction; between equals, the first given."""
    best: Sanction | None = None
    for sanction in sanctions:
        if best is None or SEVERITY.index(sanction.name) > SEVERITY.index(best.name):
            best = sanction
    return best


def adjust_part(sitting: PartSitting) -> PartOutcome:
    """Apply the most severe sanction to a part.

    A voiding sanction (suspension, cancellation) voids any part that is not exempt, sat or
    not (the candidate is barred from later tests). Other sanctions only touch a part that
    was sat: unsigned_result_list scores it 0; reprimand and warning deduct their share from
    the correct answers and the points (scoring.adjustments.apply_sanction).
    """
    sanction = strongest(sitting.sanctions)
    if sanction is None or sitting.status == "exempt":
        return PartOutcome(sitting.part, sitting.status, sitting.result)
    if sanction.name in VOIDING:
        result = (
            apply_sanction(sitting.result, sanction.name) if sitting.result is not None else None
        )
        return PartOutcome(sitting.part, "voided", result, sanction)
    if sitting.status != "sat":
        return PartOutcome(sitting.part, sitting.status, sitting.result)
    result = apply_sanction(sitting.result, sanction.name, deduction=sanction.deduction)
    return PartOutcome(sitting.part, "sat", result, sanction)


def overall_result(parts: Sequence[PartOutcome]) -> str:
    """Return the overall result of the parts that are not exempt.

    voided if any part is voided; pending while a part is still in progress; exempt if every
    part is exempt; absent if the candidate sat none of the others; passed if every other
    part was sat and passed; failed otherwise (a missed part fails the exam).
    """
    required = [p for p in parts if p.status != "exempt"]
    if any(p.status == "voided" for p in required):
        return "voided"
    if any(p.status == "in_progress" for p in required):
        return "pending"
    if not required:
        return "exempt"
    if all(p.status == "absent" for p in required):
        return "absent"
    return "passed" if all(p.passed for p in required) else "failed"


def compile_candidate(sittings: Sequence[PartSitting]) -> CandidateOutcome:
    """Adjust every part and decide the overall result."""
    parts = tuple(adjust_part(sitting) for sitting in sittings)
    return CandidateOutcome(parts, overall_result(parts))


@dataclass(frozen=True)
class ResultChange:
    """A result before and after a change of key or a sanction."""

    key: Hashable
    before: PartResult | None
    after: PartResult | None

    @property
    def score_delta(self) -> float:
        before = self.before.score_100 if self.before else 0.0
        after = self.after.score_100 if self.after else 0.0
        return round(after - before, 2)

    @property
    def pass_changed(self) -> bool:
        return bool(self.before and self.before.passed) != bool(self.after and self.after.passed)


def result_changes(
    before: Mapping[Hashable, PartResult | None], after: Mapping[Hashable, PartResult | None]
) -> list[ResultChange]:
    """Return the results that differ in correct answers, points, score or pass, by key order."""
    keys = set(before) | set(after)
    try:
        ordered = sorted(keys)
    except TypeError:  # keys of mixed types: any stable order will do
        ordered = sorted(keys, key=repr)
    changes = []
    for key in ordered:
        old, new = before.get(key), after.get(key)
        if figures(old) != figures(new):
            changes.append(ResultChange(key, old, new))
    return changes


def figures(result: PartResult | None) -> tuple | None:
    if result is None:
        return None
    return (
        result.correct_count,
        result.adjusted_correct,
        result.earned,
        result.score_100,
        result.passed,
        result.voided,
    )
