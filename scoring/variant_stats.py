"""Statistics of one item among the candidates whose form held it, and flags for bad items.

When forms are drawn at random from a bank, each item is seen by some candidates only; as
Moodle does for random questions, the item is judged among those who saw it, against their
total score on the whole test. Definitions match scoring.item_stats (sample n - 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class VariantStats:
    item: str
    n: int  # candidates who had the item
    maximum: float
    facility: float | None  # mean score / maximum
    sd: float | None  # sample SD of score / maximum
    discrimination_index: float | None  # r(item, total - item)
    point_biserial: float | None  # r(item, total)
    discriminative_efficiency: float | None  # cov(item, rest) / its largest possible value


def pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    """Return Pearson's r, or None when either side is constant or there are < 2 values."""
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    da, db = a - a.mean(), b - b.mean()
    r = float((da * db).sum() / math.sqrt(float((da * da).sum()) * float((db * db).sum())))
    return min(max(r, -1.0), 1.0)


def variant_statistics(
    item: str, scores: Sequence[float], totals: Sequence[float], maximum: float
) -> VariantStats:
    """Return the statistics of one item from its scores and the same candidates' totals."""
    if maximum <= 0:
        raise ValueError("the item maximum must be positive")
    x = np.asarray(scores, dtype=float)
    t = np.asarray(totals, dtype=float)
    if x.shape != t.shape or x.ndim != 1:
        raise ValueError("scores and totals must be two lists of the same length")
    n = int(x.size)
    if n == 0:
        return VariantStats(item, 0, maximum, None, None, None, None, None)
    rest = t - x
    facility = float(x.mean() / maximum)
    sd = float(x.std(ddof=1) / maximum) if n > 1 else None
    efficiency = None
    if n > 1 and np.ptp(x) > 0 and np.ptp(rest) > 0:
        cov = float(((x - x.mean()) * (rest - rest.mean())).sum())
        best = float(((np.sort(x) - x.mean()) * (np.sort(rest) - rest.mean())).sum())
        efficiency = cov / best if best > 0 else None
    return VariantStats(
        item=item,
        n=n,
        maximum=float(maximum),
        facility=facility,
        sd=sd,
        discrimination_index=pearson(x, rest),
        point_biserial=pearson(x, t),
        discriminative_efficiency=efficiency,
    )


@dataclass(frozen=True)
class FlagRules:
    """When an item is flagged for the examiners (guidance values; editable by the caller)."""

    min_facility: float = 0.2
    max_facility: float = 0.9
    min_discrimination: float = 0.15
    min_candidates: int = 10  # below this the figures are too unsteady to judge


FLAGS = (
    "few_candidates",
    "negative_discrimination",
    "weak_discrimination",
    "too_hard",
    "too_easy",
    "strong_distractor",
)


def item_flags(
    facility: float | None,
    discrimination: float | None,
    n: int,
    strong_distractors: Sequence[str] = (),
    rules: FlagRules = FlagRules(),
) -> tuple[str, ...]:
    """Return the flags of an item, in the order of FLAGS.

    negative_discrimination: stronger candidates did worse on it than weaker ones;
    weak_discrimination: 0 <= r < min_discrimination; too_hard / too_easy: facility outside
    [min_facility, max_facility]; strong_distractor: a distractor attracted the upper group
    more than the key did (scoring.distractors).
    """
    flags = []
    if n < rules.min_candidates:
        flags.append("few_candidates")
    if discrimination is not None:
        if discrimination < 0:
            flags.append("negative_discrimination")
        elif discrimination < rules.min_discrimination:
            flags.append("weak_discrimination")
    if facility is not None:
        if facility < rules.min_facility:
            flags.append("too_hard")
        elif facility > rules.max_facility:
            flags.append("too_easy")
    if strong_distractors:
        flags.append("strong_distractor")
    return tuple(flags)
