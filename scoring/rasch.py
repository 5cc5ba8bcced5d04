"""Rasch item difficulties by marginal maximum likelihood (Bock-Aitkin EM), numpy only."""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

# Newton steps on a logit scale are capped so a bad start cannot overshoot.
MAX_STEP = 2.0


def quadrature(points: int) -> tuple[np.ndarray, np.ndarray]:
    """Return nodes and weights (summing to 1) for an N(0, 1) ability distribution."""
    nodes, weights = hermegauss(points)
    return nodes, weights / weights.sum()


def log_likelihoods(matrix: np.ndarray, difficulties: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Return log P(response row | ability at each node), candidates x nodes."""
    logits = nodes[None, :] - difficulties[:, None]  # items x nodes
    log_p = -np.logaddexp(0.0, -logits)
    log_q = -np.logaddexp(0.0, logits)
    return matrix @ log_p + (1.0 - matrix) @ log_q


def rasch_mml(
    matrix: np.ndarray, *, points: int = 41, tol: float = 1e-6, max_iter: int = 2000
) -> tuple[np.ndarray, float]:
    """Estimate Rasch difficulties with ability ~ N(0, 1) and slope 1; return (b, loglik).

    EM over a Gauss-Hermite grid: the E-step gives expected counts per node, the M-step
    solves each item's likelihood equation by Newton steps. Stops when no difficulty moves
    more than tol. Items everyone got right or wrong have no finite estimate: their difficulty
    is NaN and they are left out of the likelihood. loglik is the natural-log marginal
    likelihood of the other items at the estimates.
    """
    data = np.asarray(matrix, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 1:
        raise ValueError("need a 2-D matrix with at least 2 candidates and 1 item")
    if not np.isin(data, (0.0, 1.0)).all():
        raise ValueError("the Rasch model needs 0/1 scores")
    proportion = data.mean(axis=0)
    estimable = (proportion > 0) & (proportion < 1)
    difficulties = np.full(data.shape[1], np.nan)
    if not estimable.any():
        return difficulties, 0.0

    x = data[:, estimable]
    nodes, weights = quadrature(points)
    log_weights = np.log(weights)
    p = proportion[estimable]
    b = np.log((1.0 - p) / p)  # start from the logit of the proportion wrong
    for _ in range(max_iter):
        joint = log_likelihoods(x, b, nodes) + log_weights
        posterior = np.exp(joint - np.logaddexp.reduce(joint, axis=1, keepdims=True))
        at_node = posterior.sum(axis=0)  # expected candidates per node
        right_at_node = x.T @ posterior  # items x nodes: expected right answers
        new_b = b.copy()
        for _ in range(20):
            prob = 1.0 / (1.0 + np.exp(-(nodes[None, :] - new_b[:, None])))
            gradient = (right_at_node - at_node * prob).sum(axis=1)
            curvature = (at_node * prob * (1.0 - prob)).sum(axis=1)
            step = np.clip(gradient / curvature, -MAX_STEP, MAX_STEP)
            new_b -= step
            if np.abs(step).max() < tol / 10:
                break
        moved = np.abs(new_b - b).max()
        b = new_b
        if moved < tol:
            break
    joint = log_likelihoods(x, b, nodes) + log_weights
    loglik = float(np.logaddexp.reduce(joint, axis=1).sum())
    difficulties[estimable] = b
    return difficulties, loglik
