"""Total a part's item scores and decide pass or fail."""

from __future__ import annotations

import math
from collections.abc import Sequence

from scoring.rounding import percent_half_up
from scoring.types import ItemScore, PartResult, PassRule

# A share or score within this distance below the threshold counts as reaching it,
# so 30 of 60 correct passes a 0.5 threshold despite binary floating point.
EPSILON = 1e-9


def decide_pass(basis: str, threshold: float, share_correct: float, score_100: float) -> bool:
    """Return whether the share (basis share_correct) or the 0..100 score reaches the threshold."""
    value = share_correct if basis == "share_correct" else score_100
    return value >= threshold - EPSILON


def score_part(scores: Sequence[ItemScore], rule: PassRule) -> PartResult:
    """Total item scores into a part result and apply the pass rule.

    earned is the exact sum of item points, floored at 0 (the "negative" multiple-response
    policy can make items negative). score_100 = earned / maximum * 100, rounded half-up to
    2 decimals in decimal arithmetic; it is 0 when the part is worth 0 points. The points
    basis decides on the published (rounded) score_100; share_correct is never rounded.
    """
    if not scores:
        raise ValueError("a part needs at least one item score")
    return part_result(
        item_count=len(scores),
        answered_count=sum(1 for s in scores if s.answered),
        correct_count=sum(1 for s in scores if s.correct),
        earned_sum=math.fsum(s.earned for s in scores),
        maximum=math.fsum(s.maximum for s in scores),
        rule=rule,
    )


def part_result(
    *,
    item_count: int,
    answered_count: int,
    correct_count: int,
    earned_sum: float,
    maximum: float,
    rule: PassRule,
) -> PartResult:
    """Build a part result from its totals (earned_sum exact, as math.fsum gives it)."""
    earned = max(earned_sum, 0.0)
    share_correct = correct_count / item_count
    score_100 = percent_half_up(earned, maximum)
    return PartResult(
        item_count=item_count,
        answered_count=answered_count,
        correct_count=correct_count,
        earned=earned,
        maximum=maximum,
        share_correct=share_correct,
        score_100=score_100,
        passed=decide_pass(rule.basis, rule.threshold, share_correct, score_100),
        basis=rule.basis,
        threshold=rule.threshold,
    )
