"""Score distributions for reports: fixed-width bins and a summary."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scoring.rounding import round_half_up


@dataclass(frozen=True)
class Bin:
    lower: float
    upper: float  # exclusive, except the last bin, which holds the upper bound itself
    count: int


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    median: float | None
    sd: float | None  # sample SD
    minimum: float | None
    maximum: float | None


def histogram(
    values: Sequence[float], lower: float = 0.0, upper: float = 100.0, width: float = 10.0
) -> list[Bin]:
    """Count values in bins [lower, lower+width), …, [upper-width, upper].

    A value exactly on a boundary goes to the bin it starts (50 counts in 50–60), except
    the upper bound, which belongs to the last bin (100 counts in 90–100). Values outside
    [lower, upper] are clamped into the first or last bin, so every value is counted.
    """
    if width <= 0 or upper <= lower:
        raise ValueError("need lower < upper and a positive width")
    count = math.ceil((upper - lower) / width - 1e-9)
    bins = [0] * count
    for value in values:
        index = math.floor((value - lower) / width + 1e-9)
        bins[min(max(index, 0), count - 1)] += 1
    return [
        Bin(lower + i * width, min(lower + (i + 1) * width, upper), bins[i]) for i in range(count)
    ]


def summary(values: Sequence[float]) -> Summary:
    """Return n, mean, median, sample SD, min and max, rounded half-up to 2 decimals."""
    if not values:
        return Summary(0, None, None, None, None, None)
    sd = round_half_up(statistics.stdev(values), 2) if len(values) > 1 else None
    return Summary(
        n=len(values),
        mean=round_half_up(statistics.fmean(values), 2),
        median=round_half_up(statistics.median(values), 2),
        sd=sd,
        minimum=min(values),
        maximum=max(values),
    )
