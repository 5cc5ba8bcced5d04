"""Round 2: written + interview combination, priority points, ranking per position.

Decree 170/2025 defaults (presets the caller may change): 70 % written + 30 % interview,
at least 50 (of 100) in each; priority points added to the round-2 score; ranking by the
total, ties broken by the higher specialist (written) score, then left to the head of the
agency. All figures are on 100 and rounded half-up to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from scoring.rounding import round_half_up

EPSILON = 1e-9


@dataclass(frozen=True)
class RoundTwoRules:
    written_weight: float = 0.7
    interview_weight: float = 0.3  # 0 for a computer-only round 2
    minimum_each: float = 50.0  # each component must reach it (on 100)

    def __post_init__(self) -> None:
        if self.written_weight < 0 or self.interview_weight < 0:
            raise ValueError("weights must not be negative")
        if abs(self.written_weight + self.interview_weight - 1.0) > EPSILON:
            raise ValueError("the weights must add up to 1")


@dataclass(frozen=True)
class RoundTwoScore:
    written: float
    interview: float | None
    priority: float
    combined: float | None  # the weighted score before priority points; None while pending
    total: float | None  # combined + priority points
    eligible: bool  # each component reached the minimum
    pending: bool  # the interview score is still missing


def combine(
    written: float,
    interview: float | None,
    priority: float = 0.0,
    rules: RoundTwoRules = RoundTwoRules(),
) -> RoundTwoScore:
    """Combine a written score and an interview score and add priority points.

    combined = round_half_up(w_written * written + w_interview * interview, 2);
    total = round_half_up(combined + priority, 2). Priority points are added only to an
    eligible score (the rules add them to a passing round-2 result). With an interview weight
    of 0 the interview is not needed.
    """
    needs_interview = rules.interview_weight > 0
    if needs_interview and interview is None:
        return RoundTwoScore(written, None, priority, None, None, False, True)
    interview_part = rules.interview_weight * interview if needs_interview else 0.0
    combined = round_half_up(rules.written_weight * written + interview_part, 2)
    eligible = written >= rules.minimum_each - EPSILON and (
        not needs_interview or interview >= rules.minimum_each - EPSILON
    )
    total = round_half_up(combined + priority, 2) if eligible else combined
    return RoundTwoScore(written, interview, priority, combined, total, eligible, False)


@dataclass(frozen=True)
class Contender:
    key: Hashable
    total: float
    specialist: float  # the written (specialist) score: the first tie-break


@dataclass(frozen=True)
class Ranked:
    key: Hashable
    rank: int  # 1 = best; equal (total, specialist) share a rank
    selected: bool
    tie_for_head: bool  # tied across the last place: the head of the agency decides


def rank_position(contenders: Sequence[Contender], places: int) -> list[Ranked]:
    """Rank eligible contenders for one position against its number of places.

    Order: total, then specialist score, both descending. Contenders with the same total
    and specialist score share a rank. A group that fits within the places is selected; a
    group that straddles the last place is flagged tie_for_head and none of it is selected,
    since the rules leave that choice to the head of the agency. Equal figures keep input
    order in the list.
    """
    if places < 0:
        raise ValueError("places must not be negative")
    ordered = sorted(contenders, key=lambda c: (-c.total, -c.specialist))
    ranked: list[Ranked] = []
    index = 0
    while index < len(ordered):
        group_end = index
        head = ordered[index]
        while group_end + 1 < len(ordered) and same_figures(ordered[group_end + 1], head):
            group_end += 1
        rank = index + 1
        fits = group_end + 1 <= places
        straddles = not fits and rank <= places
        for contender in ordered[index : group_end + 1]:
            ranked.append(Ranked(contender.key, rank, fits, straddles))
        index = group_end + 1
    return ranked


def same_figures(a: Contender, b: Contender) -> bool:
    return abs(a.total - b.total) <= EPSILON and abs(a.specialist - b.specialist) <= EPSILON
