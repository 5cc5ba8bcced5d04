"""Distractor analysis of one choice item: who chose what among high and low scorers."""

from __future__ import annotations

from collections import Counter
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


def rank_by_total(totals: Sequence[float]) -> list[int]:
    """Return candidate indexes by total, highest first; equal totals keep input order."""
    return sorted(range(len(totals)), key=lambda i: -totals[i])


def distractor_analysis(
    choices: Sequence[str | None],
    totals: Sequence[float],
    key: str | Collection[str],
    options: Sequence[str] = (),
    *,
    share: float = 0.27,
    ranked: Sequence[int] | None = None,
) -> DistractorReport:
    """Compare option choices of the top and bottom 27 % of candidates by total score.

    choices[i] is candidate i's chosen option id (None if unanswered); totals[i] their total.
    Candidates are ranked by total, highest first; equal totals keep input order, so at a group
    boundary the earlier candidate goes to the upper group. Options are listed in the given
    order, then any other chosen ids sorted. With several key options, the key shares count
    a candidate choosing any of them. `ranked` may pass rank_by_total(totals) when many items
    share the same candidates and totals, so the ranking is computed once.
    """
    if len(choices) != len(totals):
        raise ValueError(f"{len(choices)} choices for {len(totals)} totals")
    n = len(choices)
    if n < 2:
        raise ValueError(f"need at least 2 candidates, got {n}")
    keys = frozenset([key] if isinstance(key, str) else key)
    size = group_size(n, share)
    if ranked is None:
        ranked = rank_by_total(totals)
    elif len(ranked) != n:
        raise ValueError(f"a ranking of {len(ranked)} for {n} candidates")
    upper = Counter(choices[i] for i in ranked[:size])
    lower = Counter(choices[i] for i in ranked[-size:])
    overall = Counter(choices)

    seen = {c for c in overall if c is not None}
    listed = list(dict.fromkeys(options))
    listed += sorted(seen.difference(listed))

    def share_of(counts: Counter, wanted: Collection[str | None], size: int) -> float:
        return sum(counts[c] for c in wanted) / size

    rows = tuple(
        OptionShare(
            option=option,
            is_key=option in keys,
            upper=share_of(upper, (option,), size),
            lower=share_of(lower, (option,), size),
            overall=share_of(overall, (option,), n),
        )
        for option in listed
    )
    key_upper = share_of(upper, keys, size)
    key_lower = share_of(lower, keys, size)
    return DistractorReport(
        group_size=size,
        options=rows,
        omitted_upper=share_of(upper, (None,), size),
        omitted_lower=share_of(lower, (None,), size),
        key_upper=key_upper,
        key_lower=key_lower,
        discrimination=key_upper - key_lower,
        negative_discrimination=key_upper < key_lower,
        strong_distractors=tuple(
            row.option for row in rows if not row.is_key and row.upper > key_upper
        ),
    )
