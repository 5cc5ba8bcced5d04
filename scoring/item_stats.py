"""Item and test statistics with Moodle's quiz-statistics definitions.

Input: one row per candidate (first attempt), one column per item, raw item scores.
Every variance and covariance uses the sample denominator n - 1. Correlations of a constant
column are undefined and reported as None. Fractions are 0..1, not percentages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ItemStats:
    """Statistics of one item."""

    item: str
    maximum: float
    facility: float  # mean score / maximum
    sd: float  # sample SD of score / maximum
    discrimination_index: float | None  # Pearson r of item with rest (= total - item)
    discriminative_efficiency: float | None  # cov(item, rest) / cov of sorted pairing
    point_biserial: float | None  # Pearson r of item with total
    corrected_point_biserial: float | None  # = discrimination_index
    alpha_if_deleted: float | None  # Cronbach's alpha of the other items

    @property
    def negative_discrimination(self) -> bool:
        """Return whether stronger candidates do worse on this item than weaker ones."""
        return self.discrimination_index is not None and self.discrimination_index < 0


@dataclass(frozen=True)
class ExamStats:
    """Statistics of the candidates' total scores; scores are fractions of max_total."""

    n: int
    max_total: float  # sum of item maxima
    mean: float
    median: float
    sd: float
    skewness: float | None
    kurtosis: float | None  # excess kurtosis (0 for a normal distribution)
    cronbach_alpha: float | None
    kr20: float | None
    kr21: float | None
    error_ratio: float | None
    standard_error: float | None


@dataclass(frozen=True)
class ItemAnalysis:
    """Per-item statistics and test statistics of one score matrix."""

    items: tuple[ItemStats, ...]
    exam: ExamStats


def as_matrix(
    scores: np.ndarray | pd.DataFrame, names: Sequence[str] | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Return a float matrix and item names; DataFrame columns name the items."""
    if isinstance(scores, pd.DataFrame):
        if names is None:
            names = [str(column) for column in scores.columns]
        scores = scores.to_numpy()
    matrix = np.asarray(scores, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"expected a 2-D matrix, got {matrix.ndim} dimension(s)")
    n, k = matrix.shape
    if n < 2:
        raise ValueError(f"need at least 2 candidates, got {n}")
    if k < 1:
        raise ValueError("need at least 1 item")
    if not np.isfinite(matrix).all():
        raise ValueError("scores must be finite numbers")
    if names is None:
        names = [str(j + 1) for j in range(k)]
    if len(names) != k:
        raise ValueError(f"{len(names)} names for {k} items")
    return matrix, tuple(names)


def as_maxima(maxima: Sequence[float] | np.ndarray | None, k: int) -> np.ndarray:
    """Return item maxima as a float vector (default 1 each); each must be positive."""
    if maxima is None:
        return np.ones(k)
    vector = np.asarray(maxima, dtype=float).reshape(-1)
    if vector.shape != (k,):
        raise ValueError(f"{vector.size} maxima for {k} items")
    if not (np.isfinite(vector) & (vector > 0)).all():
        raise ValueError("item maxima must be positive numbers")
    return vector


def correlation(cov: float, var_a: float, var_b: float, defined: bool) -> float | None:
    """Return cov / sqrt(var_a * var_b) clipped to [-1, 1], or None when undefined."""
    if not defined or var_a <= 0 or var_b <= 0:
        return None
    return float(min(max(cov / math.sqrt(var_a * var_b), -1.0), 1.0))


def alpha(k: int, sum_item_var: float, total_var: float) -> float | None:
    """Return k/(k-1) * (1 - sum of item variances / total variance), None when undefined."""
    if k < 2 or total_var <= 0:
        return None
    return float(k / (k - 1) * (1.0 - sum_item_var / total_var))


def moments(totals: np.ndarray) -> tuple[float | None, float | None]:
    """Return Moodle's skewness and excess kurtosis of the totals.

    With m_r the r-th central moment (denominator n): k2 = n m2 / (n-1),
    k3 = n^2 m3 / ((n-1)(n-2)), k4 = n^2 ((n+1) m4 - 3 (n-1) m2^2) / ((n-1)(n-2)(n-3));
    skewness = k3 / k2^1.5 (needs n > 2), kurtosis = k4 / k2^2 (needs n > 3); None when the
    totals are constant. These equal pandas' skew() and kurt().
    """
    n = totals.size
    if n < 3 or np.ptp(totals) == 0:
        return None, None
    dev = totals - totals.mean()
    m2, m3, m4 = (float(np.mean(dev**p)) for p in (2, 3, 4))
    k2 = n * m2 / (n - 1)
    skewness = n * n * m3 / ((n - 1) * (n - 2)) / k2**1.5
    if n < 4:
        return skewness, None
    k4 = n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2) / ((n - 1) * (n - 2) * (n - 3))
    return skewness, k4 / (k2 * k2)


def kuder_richardson(scaled: np.ndarray) -> tuple[float | None, float | None]:
    """Return KR-20 and KR-21 of a 0/1 matrix, or (None, None) if any score is not 0 or 1.

    KR-20 uses n - 1 on both sides, so it equals Cronbach's alpha of the 0/1 matrix.
    KR-21 = k/(k-1) * (1 - M (k - M) / (k var)) with M the mean total; M (k - M) / k is an
    n-denominator quantity, so var is the n-denominator variance of the totals.
    """
    if not np.isin(scaled, (0.0, 1.0)).all():
        return None, None
    n, k = scaled.shape
    totals = scaled.sum(axis=1)
    if k < 2 or np.ptp(totals) == 0:
        return None, None
    kr20 = alpha(k, float(scaled.var(axis=0, ddof=1).sum()), float(totals.var(ddof=1)))
    mean = float(totals.mean())
    kr21 = k / (k - 1) * (1.0 - mean * (k - mean) / (k * float(totals.var(ddof=0))))
    return kr20, float(kr21)


def item_statistics(
    scores: np.ndarray | pd.DataFrame,
    maxima: Sequence[float] | np.ndarray | None = None,
    *,
    names: Sequence[str] | None = None,
) -> ItemAnalysis:
    """Compute Moodle's item and test statistics for a candidates x items score matrix.

    Alpha, discrimination and covariances use raw scores (alpha depends on the weights);
    facility, item SD and the test mean, median, SD and standard error are scaled by the
    item maximum or the maximum total. error_ratio = sqrt(1 - alpha) as Moodle does: alpha
    never exceeds 1, so it is defined whenever alpha is, and above 1 when alpha < 0.
    """
    matrix, names = as_matrix(scores, names)
    n, k = matrix.shape
    item_max = as_maxima(maxima, k)
    ddof = n - 1

    totals = matrix.sum(axis=1)
    rest = totals[:, None] - matrix
    item_dev = matrix - matrix.mean(axis=0)
    rest_dev = rest - rest.mean(axis=0)
    total_dev = totals - totals.mean()

    item_var = (item_dev**2).sum(axis=0) / ddof
    rest_var = (rest_dev**2).sum(axis=0) / ddof
    total_var = float((total_dev**2).sum() / ddof)
    cov_rest = (item_dev * rest_dev).sum(axis=0) / ddof
    cov_total = (item_dev * total_dev[:, None]).sum(axis=0) / ddof
    # The largest covariance for these marginals pairs the sorted item and rest scores.
    cov_max = (
        (np.sort(matrix, axis=0) - matrix.mean(axis=0))
        * (np.sort(rest, axis=0) - rest.mean(axis=0))
    ).sum(axis=0) / ddof

    item_varies = np.ptp(matrix, axis=0) > 0
    rest_varies = np.ptp(rest, axis=0) > 0
    total_varies = bool(np.ptp(totals) > 0)
    sum_item_var = float(item_var.sum())

    items = []
    for j in range(k):
        both_vary = bool(item_varies[j] and rest_varies[j])
        r_rest = correlation(cov_rest[j], item_var[j], rest_var[j], both_vary)
        items.append(
            ItemStats(
                item=names[j],
                maximum=float(item_max[j]),
                facility=float(matrix[:, j].mean() / item_max[j]),
                sd=float(math.sqrt(item_var[j]) / item_max[j]) if item_varies[j] else 0.0,
                discrimination_index=r_rest,
                discriminative_efficiency=(
                    float(cov_rest[j] / cov_max[j]) if both_vary and cov_max[j] > 0 else None
                ),
                point_biserial=correlation(
                    cov_total[j], item_var[j], total_var, bool(item_varies[j]) and total_varies
                ),
                corrected_point_biserial=r_rest,
                alpha_if_deleted=(
                    alpha(k - 1, sum_item_var - float(item_var[j]), float(rest_var[j]))
                    if rest_varies[j]
                    else None
                ),
            )
        )

    max_total = float(item_max.sum())
    cronbach = alpha(k, sum_item_var, total_var) if total_varies else None
    kr20, kr21 = kuder_richardson(matrix / item_max)
    skewness, kurtosis = moments(totals)
    sd = math.sqrt(total_var) / max_total if total_varies else 0.0
    error_ratio = math.sqrt(max(1.0 - cronbach, 0.0)) if cronbach is not None else None
    exam = ExamStats(
        n=n,
        max_total=max_total,
        mean=float(totals.mean() / max_total),
        median=float(np.median(totals) / max_total),
        sd=sd,
        skewness=skewness,
        kurtosis=kurtosis,
        cronbach_alpha=cronbach,
        kr20=kr20,
        kr21=kr21,
        error_ratio=error_ratio,
        standard_error=error_ratio * sd if error_ratio is not None else None,
    )
    return ItemAnalysis(items=tuple(items), exam=exam)
