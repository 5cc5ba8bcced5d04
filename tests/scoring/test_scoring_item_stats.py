import math
import statistics as st

import numpy as np
import pandas as pd
import pytest

from scoring import item_statistics

# 6 candidates x 4 items; the last item is worth 2 points.
MATRIX = [
    [1, 1, 1, 2],
    [1, 1, 0, 2],
    [1, 0, 1, 1],
    [0, 1, 0, 1],
    [1, 0, 0, 0],
    [0, 0, 1, 0],
]
MAXIMA = [1, 1, 1, 2]


def cronbach(rows):
    """Alpha straight from its definition, with statistics.variance (n - 1) on both sides."""
    k = len(rows[0])
    item_vars = sum(st.variance([row[j] for row in rows]) for j in range(k))
    return k / (k - 1) * (1 - item_vars / st.variance([sum(row) for row in rows]))


def reference_item(rows, maxima, j):
    column = [row[j] for row in rows]
    totals = [sum(row) for row in rows]
    rest = [t - x for t, x in zip(totals, column, strict=True)]
    others = [[x for i, x in enumerate(row) if i != j] for row in rows]
    return {
        "facility": st.mean(column) / maxima[j],
        "sd": st.stdev(column) / maxima[j],
        "discrimination_index": st.correlation(column, rest),
        "discriminative_efficiency": st.covariance(column, rest)
        / st.covariance(sorted(column), sorted(rest)),
        "point_biserial": st.correlation(column, totals),
        "corrected_point_biserial": st.correlation(column, rest),
        "alpha_if_deleted": cronbach(others),
    }


@pytest.mark.parametrize("j", range(4))
def test_item_statistics_match_the_definitions(j):
    stats = item_statistics(np.array(MATRIX), MAXIMA).items[j]
    expected = reference_item(MATRIX, MAXIMA, j)
    for name, value in expected.items():
        assert getattr(stats, name) == pytest.approx(value, abs=1e-12), name
    assert stats.item == str(j + 1)
    assert stats.maximum == MAXIMA[j]


def test_test_statistics_match_the_definitions():
    exam = item_statistics(np.array(MATRIX), MAXIMA).exam
    totals = [sum(row) for row in MATRIX]  # 5, 4, 3, 2, 1, 1
    n = len(totals)
    assert exam.n == 6
    assert exam.max_total == 5
    assert exam.mean == pytest.approx(16 / 6 / 5)
    assert exam.median == pytest.approx(2.5 / 5)
    assert exam.sd == pytest.approx(st.stdev(totals) / 5)
    # Adjusted Fisher-Pearson skewness G1 and sample excess kurtosis G2, from g1 and g2.
    mean = st.mean(totals)
    m2, m3, m4 = (sum((t - mean) ** p for t in totals) / n for p in (2, 3, 4))
    g1, g2 = m3 / m2**1.5, m4 / m2**2 - 3
    assert exam.skewness == pytest.approx(math.sqrt(n * (n - 1)) / (n - 2) * g1)
    assert exam.kurtosis == pytest.approx(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)))
    assert exam.skewness == pytest.approx(pd.Series(totals).skew())
    assert exam.kurtosis == pytest.approx(pd.Series(totals).kurt())
    alpha = cronbach(MATRIX)
    assert exam.cronbach_alpha == pytest.approx(alpha)
    assert exam.error_ratio == pytest.approx(math.sqrt(1 - alpha))
    assert exam.standard_error == pytest.approx(math.sqrt(1 - alpha) * st.stdev(totals) / 5)
    assert exam.kr20 is None and exam.kr21 is None  # item 4 scores 1 of 2 points sometimes


def test_hand_computed_guttman_pattern():
    # Totals 3, 2, 1, 0: variance 5/3; item variances 1/4, 1/3, 1/4 (sum 5/6).
    # alpha = 3/2 * (1 - (5/6) / (5/3)) = 0.75; KR-21 = 3/2 * (1 - 1.5 * 1.5 / (3 * 1.25)) = 0.6.
    rows = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]])
    result = item_statistics(rows)
    exam = result.exam
    assert exam.cronbach_alpha == pytest.approx(0.75)
    assert exam.kr20 == pytest.approx(0.75)
    assert exam.kr21 == pytest.approx(0.6)
    assert exam.error_ratio == pytest.approx(0.5)
    assert exam.mean == pytest.approx(0.5) and exam.median == pytest.approx(0.5)
    assert exam.sd == pytest.approx(math.sqrt(5 / 3) / 3)
    assert exam.skewness == pytest.approx(0.0, abs=1e-12)
    assert exam.kurtosis == pytest.approx(-1.2)
    first = result.items[0]
    # Item (1,1,1,0) with rest (2,1,0,0): cov 1/4, rest variance 11/12; sorted pairing gives 1/4.
    assert [i.facility for i in result.items] == [0.75, 0.5, 0.25]
    assert first.discrimination_index == pytest.approx(0.25 / math.sqrt(0.25 * 11 / 12))
    assert first.discriminative_efficiency == pytest.approx(1.0)


def test_kr20_equals_alpha_for_right_or_wrong_items_scaled_to_their_points():
    rows = np.array([[2, 1, 0], [2, 0, 1], [0, 1, 1], [0, 0, 0], [2, 1, 1]])
    exam = item_statistics(rows, [2, 1, 1]).exam
    scaled = (rows / [2, 1, 1]).tolist()
    assert exam.kr20 == pytest.approx(cronbach(scaled))
    assert exam.cronbach_alpha == pytest.approx(cronbach(rows.tolist()))
    assert exam.kr20 != pytest.approx(exam.cronbach_alpha)  # alpha weighs the 2-point item


def test_negative_discrimination_is_flagged():
    # Item 2 is answered right only by the weakest candidates.
    rows = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 0], [0, 1, 0], [0, 1, 0]])
    items = item_statistics(rows).items
    assert items[1].discrimination_index < 0
    assert items[1].negative_discrimination
    assert not items[0].negative_discrimination


def test_constant_columns_give_none_not_errors():
    rows = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0], [1, 0, 0]], dtype=float)
    result = item_statistics(rows)
    everyone, no_one = result.items[0], result.items[2]
    for stats in (everyone, no_one):
        assert stats.sd == 0.0
        assert stats.discrimination_index is None
        assert stats.discriminative_efficiency is None
        assert stats.point_biserial is None
        assert stats.corrected_point_biserial is None
    assert everyone.facility == 1.0 and no_one.facility == 0.0
    # Item 2 is the only varying item: its rest (items 1 and 3) is constant.
    assert result.items[1].discrimination_index is None
    assert result.items[1].point_biserial == pytest.approx(1.0)
    assert result.items[1].alpha_if_deleted is None  # the other two items have constant totals


def test_constant_totals_leave_test_reliability_undefined():
    rows = np.array([[1, 0], [0, 1], [1, 0], [0, 1]])
    exam = item_statistics(rows).exam
    assert exam.sd == 0.0
    for name in ("skewness", "kurtosis", "cronbach_alpha", "kr20", "kr21", "error_ratio"):
        assert getattr(exam, name) is None, name
    assert exam.standard_error is None


def test_a_single_item_has_no_rest():
    result = item_statistics(np.array([[1], [0], [1]]))
    assert result.items[0].discrimination_index is None
    assert result.items[0].alpha_if_deleted is None
    assert result.exam.cronbach_alpha is None


def test_dataframe_columns_name_the_items():
    frame = pd.DataFrame(MATRIX, columns=["q1", "q2", "q3", "q4"])
    result = item_statistics(frame, MAXIMA)
    assert [i.item for i in result.items] == ["q1", "q2", "q3", "q4"]
    assert result == item_statistics(np.array(MATRIX), MAXIMA, names=["q1", "q2", "q3", "q4"])


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        item_statistics(np.array([[1, 0]]))  # one candidate
    with pytest.raises(ValueError):
        item_statistics(np.array([[1, np.nan], [0, 1]]))
    with pytest.raises(ValueError):
        item_statistics(np.array(MATRIX), [1, 1, 1])
    with pytest.raises(ValueError):
        item_statistics(np.array(MATRIX), [1, 1, 0, 2])


def test_statistics_are_deterministic():
    rng = np.random.default_rng(7)
    rows = (rng.random((300, 20)) < 0.6).astype(float)
    assert item_statistics(rows) == item_statistics(rows.copy())
