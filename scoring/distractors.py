"""Distractor analysis of one choice item: who chose what among high and low scorers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from scoring.rounding import round_half_up


@dataclass(frozen=True)
class OptionShare:
    """The share of each group choosing one option."""

    option: str
    is_key: bool
    upper: float  # share of the upper group choosing it, 0..1
    lower: float
    overall: float


@dataclass(frozen=True)
class DistractorReport:
    """Option shares in the upper and lower groups and the flags examiners look for."""

    group_size: int
    options: tuple[OptionShare, ...]
    omitted_upper: float  # share of the upper group that left the item unanswered
    omitted_lower: float
    key_upper: float  # share of the upper group choosing a key option
    key_lower: float
    discrimination: float  # key_upper - key_lower
    negative_discrimination: bool  # the lower group chose the key more often
    strong_distractors: tuple[str, ...]  # distractors the upper group chose more than the key


def group_size(n: int, share: float) -> int:
    """Return round-half-up(share * n), at least 1 and at most n // 2 so groups never overlap."""
    return max(1, min(int(round_half_up(share * n, 0)), n // 2))


def distractor_analysis(
    choices: Sequence[str | None],
    totals: Sequence[float],
    key: str | Collection[str],
    options: Sequence[str] = (),
    *,
    share: float = 0.27,
) -> DistractorReport:
    """Compare option choices of the top and bottom 27 % of candidates by total score.

    choices[i] is candidate i's chosen option id (None if unanswered); totals[i] their total.
    Candidates are ranked by total, highest first; equal totals keep input order, so at a group
    boundary the earlier candidate goes to the upper group. Options are listed in the given
    order, then any other chosen ids sorted. With several key options, the key shares count
    a candidate choosing any of them.
    """
    if len(choices) != len(totals):
        raise ValueError(f"{len(choices)} choices for {len(totals)} totals")
    n = len(choices)
    if n < 2:
        raise ValueError(f"need at least 2 candidates, got {n}")
    keys = frozenset([key] if isinstance(key, str) else key)
    size = group_size(n, share)
    ranked = sorted(range(n), key=lambda i: -totals[i])  # stable: ties keep input order
    upper = [choices[i] for i in ranked[:size]]
    lower = [choices[i] for i in ranked[-size:]]

    seen = {c for c in choices if c is not None}
    listed = list(dict.fromkeys(options))
    listed += sorted(seen.difference(listed))

    def share_of(group: list[str | None], wanted: Collection[str | None]) -> float:
        return sum(1 for c in group if c in wanted) / len(group)

    rows = tuple(
        OptionShare(
            option=option,
            is_key=option in keys,
            upper=share_of(upper, {option}),
            lower=share_of(lower, {option}),
            overall=share_of(list(choices), {option}),
        )
        for option in listed
    )
    key_upper = share_of(upper, keys)
    key_lower = share_of(lower, keys)
    return DistractorReport(
        group_size=size,
        options=rows,
        omitted_upper=share_of(upper, {None}),
        omitted_lower=share_of(lower, {None}),
        key_upper=key_upper,
        key_lower=key_lower,
        discrimination=key_upper - key_lower,
        negative_discrimination=key_upper < key_lower,
        strong_distractors=tuple(
            row.option for row in rows if not row.is_key and row.upper > key_upper
        ),
    )
