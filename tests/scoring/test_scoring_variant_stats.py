import numpy as np
import pytest

from scoring import FlagRules, item_flags, item_statistics, variant_statistics


def test_matches_the_full_matrix_statistics_when_everyone_had_the_item():
    rng = np.random.default_rng(3)
    matrix = (rng.random((40, 8)) < np.linspace(0.3, 0.9, 8)).astype(float)
    full = item_statistics(matrix)
    totals = matrix.sum(axis=1)
    for j in range(8):
        v = variant_statistics(str(j), matrix[:, j], totals, 1.0)
        f = full.items[j]
        assert v.n == 40
        assert v.facility == pytest.approx(f.facility)
        assert v.sd == pytest.approx(f.sd)
        assert v.discrimination_index == pytest.approx(f.discrimination_index)
        assert v.point_biserial == pytest.approx(f.point_biserial)
        assert v.discriminative_efficiency == pytest.approx(f.discriminative_efficiency)


def test_constant_or_tiny_samples_give_none_not_errors():
    v = variant_statistics("q", [1, 1, 1], [3, 2, 5], 1.0)
    assert v.facility == 1.0 and v.discrimination_index is None and v.sd == 0.0
    one = variant_statistics("q", [1], [3], 1.0)
    assert one.sd is None and one.point_biserial is None
    assert variant_statistics("q", [], [], 1.0).facility is None


def test_flags():
    assert item_flags(0.5, -0.2, 50) == ("negative_discrimination",)
    assert item_flags(0.95, 0.1, 50) == ("weak_discrimination", "too_easy")
    assert item_flags(0.1, 0.4, 5, ["c"]) == ("few_candidates", "too_hard", "strong_distractor")
    assert item_flags(0.5, 0.3, 50) == ()
    assert item_flags(0.85, 0.3, 50, rules=FlagRules(max_facility=0.8)) == ("too_easy",)
