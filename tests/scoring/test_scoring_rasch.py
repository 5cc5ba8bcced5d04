import numpy as np
import pytest

from scoring import AnalyzeInputError, analyze_csv, rasch_mml
from scoring.rasch import log_likelihoods, quadrature

TRUE_B = np.array([-2.0, -1.2, -0.5, 0.0, 0.4, 0.9, 1.5, 2.2])


def simulate(n=2000, seed=20250701):
    rng = np.random.default_rng(seed)
    ability = rng.standard_normal(n)
    p_right = 1.0 / (1.0 + np.exp(-(ability[:, None] - TRUE_B[None, :])))
    return (rng.random(p_right.shape) < p_right).astype(float)


def marginal_loglik(matrix, b):
    nodes, weights = quadrature(41)
    joint = log_likelihoods(matrix, b, nodes) + np.log(weights)
    return float(np.logaddexp.reduce(joint, axis=1).sum())


def test_recovers_known_difficulties():
    estimates, _ = rasch_mml(simulate())
    assert np.abs(estimates - TRUE_B).max() < 0.15


def test_estimates_maximise_the_marginal_likelihood():
    data = simulate(n=500, seed=3)
    estimates, loglik = rasch_mml(data)
    assert loglik == pytest.approx(marginal_loglik(data, estimates))
    for j in range(len(TRUE_B)):
        for delta in (-0.02, 0.02):
            moved = estimates.copy()
            moved[j] += delta
            assert marginal_loglik(data, moved) < loglik


def test_harder_items_get_higher_difficulty():
    estimates, _ = rasch_mml(simulate(n=1000, seed=11))
    assert list(np.argsort(estimates)) == list(range(len(TRUE_B)))


def test_items_everyone_or_no_one_got_right_have_no_estimate():
    data = simulate(n=300, seed=5)
    data[:, 0] = 1.0
    data[:, 1] = 0.0
    estimates, loglik = rasch_mml(data)
    assert np.isnan(estimates[0]) and np.isnan(estimates[1])
    assert np.isfinite(estimates[2:]).all()
    assert np.isfinite(loglik)


def test_is_deterministic():
    data = simulate(n=300, seed=9)
    first, second = rasch_mml(data), rasch_mml(data.copy())
    assert np.array_equal(first[0], second[0]) and first[1] == second[1]


def test_needs_right_or_wrong_scores():
    with pytest.raises(ValueError):
        rasch_mml(np.array([[0.5, 1.0], [0.0, 1.0]]))


def test_analyze_csv_with_rasch():
    data = simulate(n=200, seed=2)
    header = ",".join(f"q{j + 1}" for j in range(data.shape[1]))
    body = "\n".join(",".join(str(int(x)) for x in row) for row in data)
    result = analyze_csv(f"{header}\n{body}\n", rasch=True)
    difficulties = [row["rasch_difficulty"] for row in result["items"]]
    expected, loglik = rasch_mml(data)
    assert difficulties == pytest.approx(list(expected))
    assert result["test"]["rasch_loglik"] == pytest.approx(loglik)
    assert "rasch_difficulty" not in analyze_csv(f"{header}\n{body}\n")["items"][0]


def test_analyze_csv_rasch_refuses_partial_credit():
    with pytest.raises(AnalyzeInputError) as caught:
        analyze_csv("q1,q2\n1,0.5\n0,1\n1,0\n", rasch=True)
    assert caught.value.message_id == "analyze.rasch_needs_right_or_wrong"
    assert caught.value.params == {"item": "q2", "column": 2}


def test_analyze_csv_rasch_constant_item_is_null():
    result = analyze_csv("q1,q2\n1,0\n1,1\n1,0\n", rasch=True)
    assert result["items"][0]["rasch_difficulty"] is None
    assert result["items"][1]["rasch_difficulty"] is not None


def test_quadrature_is_a_standard_normal_on_41_points():
    nodes, weights = quadrature(41)
    assert nodes.size == 41
    assert weights.sum() == pytest.approx(1.0)
    assert (weights * nodes).sum() == pytest.approx(0.0, abs=1e-12)
    assert (weights * nodes**2).sum() == pytest.approx(1.0)
    assert (weights * nodes**4).sum() == pytest.approx(3.0)
