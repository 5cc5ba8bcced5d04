"""Turn a CSV of item scores into a JSON-able item analysis."""

from __future__ import annotations

import math

import numpy as np

from scoring.csv_input import AnalyzeInputError, ScoreTable, parse_scores
from scoring.item_stats import item_statistics
from scoring.rasch import rasch_mml

ITEM_FIELDS = (
    "facility",
    "sd",
    "discrimination_index",
    "discriminative_efficiency",
    "point_biserial",
    "corrected_point_biserial",
    "alpha_if_deleted",
)
TEST_FIELDS = (
    "n",
    "mean",
    "median",
    "sd",
    "skewness",
    "kurtosis",
    "cronbach_alpha",
    "kr20",
    "kr21",
    "error_ratio",
    "standard_error",
)


def column_maxima(table: ScoreTable) -> np.ndarray:
    """Return 1 for a column of only 0/1 scores, else the column's largest observed score."""
    scores = table.scores
    dichotomous = np.isin(scores, (0.0, 1.0)).all(axis=0)
    maxima = np.where(dichotomous, 1.0, scores.max(axis=0))
    unusable = np.flatnonzero(maxima <= 0)
    if unusable.size:
        j = int(unusable[0])
        raise AnalyzeInputError(
            "analyze.no_positive_score", {"item": table.items[j], "column": table.columns[j]}
        )
    return maxima


def json_number(value: float | int | None) -> float | int | None:
    """Return a plain Python number, or None for a missing or non-finite value."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def rasch_columns(table: ScoreTable, maxima: np.ndarray) -> tuple[list[float | None], float]:
    """Return Rasch difficulties per item and the log-likelihood; items must score 0 or max."""
    scaled = table.scores / maxima
    for j in range(scaled.shape[1]):
        if not np.isin(scaled[:, j], (0.0, 1.0)).all():
            raise AnalyzeInputError(
                "analyze.rasch_needs_right_or_wrong",
                {"item": table.items[j], "column": table.columns[j]},
            )
    difficulties, loglik = rasch_mml(scaled)
    return [json_number(b) for b in difficulties], loglik


def analyze_csv(text: str | bytes, *, rasch: bool = False) -> dict:
    """Parse item scores from CSV and return item and test statistics as a JSON-able dict.

    Item maxima: 1 when a column holds only 0 and 1, otherwise its largest observed score.
    Statistics follow scoring.item_stats (Moodle's definitions, fractions 0..1); undefined
    values are None. With rasch=True each item gets "rasch_difficulty" (logits, None when
    everyone or no one got it right) and the test gets "rasch_loglik".
    """
    table = parse_scores(text)
    maxima = column_maxima(table)
    analysis = item_statistics(table.scores, maxima, names=table.items)
    items = [
        {"item": stats.item, **{name: json_number(getattr(stats, name)) for name in ITEM_FIELDS}}
        for stats in analysis.items
    ]
    test = {name: json_number(getattr(analysis.exam, name)) for name in TEST_FIELDS}
    if rasch:
        difficulties, loglik = rasch_columns(table, maxima)
        for row, difficulty in zip(items, difficulties, strict=True):
            row["rasch_difficulty"] = difficulty
        test["rasch_loglik"] = json_number(loglik)
    return {"items": items, "test": test}
