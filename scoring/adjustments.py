"""Apply the council's sanctions to a part result, as pure functions."""

from __future__ import annotations

from dataclasses import replace

from scoring.passing import decide_pass
from scoring.rounding import percent_half_up
from scoring.types import PartResult

# Share of correct answers and points taken away (Circular 22/2025 defaults; presets upstream).
DEDUCTIONS: dict[str, float] = {"reprimand": 0.25, "warning": 0.50}
VOIDING = frozenset({"suspension", "cancellation"})
ZEROING = frozenset({"unsigned_result_list"})  # no signature on the room's result list: 0 points
SANCTIONS = frozenset(DEDUCTIONS) | VOIDING | ZEROING


def apply_sanction(
    result: PartResult, sanction: str, *, deduction: float | None = None
) -> PartResult:
    """Return the result after one sanction and re-decide pass with the stored rule.

    reprimand takes 25 % and warning 50 % (or `deduction`, a preset share 0..1) off both the
    correct answers and the earned points. adjusted_correct and share_correct stay exact and
    decide the pass (share_correct basis); show adjusted_correct with round_half_up(x, 2).
    score_100 is recomputed from the exact earned points, rounded half-up to 2 decimals.
    suspension and cancellation void the part (zero, not passed, voided=True);
    unsigned_result_list scores it 0 and not passed without voiding it.
    correct_count keeps the number of fully correct items as answered. A result that already
    carries a sanction is refused: escalation replaces a sanction, it does not stack.
    """
    if sanction not in SANCTIONS:
        raise ValueError(f"unknown sanction {sanction!r}; use one of {sorted(SANCTIONS)}")
    if result.sanction is not None:
        raise ValueError(f"result already carries the sanction {result.sanction!r}")
    if sanction in VOIDING or sanction in ZEROING:
        return replace(
            result,
            earned=0.0,
            share_correct=0.0,
            score_100=0.0,
            passed=False,
            adjusted_correct=0.0,
            sanction=sanction,
            voided=sanction in VOIDING,
        )
    if result.threshold is None:
        raise ValueError("the result has no threshold to re-decide the pass")
    share_taken = DEDUCTIONS[sanction] if deduction is None else deduction
    if not 0.0 <= share_taken <= 1.0:
        raise ValueError(f"deduction {share_taken} not in [0, 1]")
    kept = 1.0 - share_taken
    adjusted_correct = result.adjusted_correct * kept
    earned = result.earned * kept
    share_correct = adjusted_correct / result.item_count
    score_100 = percent_half_up(earned, result.maximum)
    return replace(
        result,
        earned=earned,
        share_correct=share_correct,
        score_100=score_100,
        passed=decide_pass(result.basis, result.threshold, share_correct, score_100),
        adjusted_correct=adjusted_correct,
        sanction=sanction,
    )
