"""Score many attempts at once, reusing the score of every distinct response to an item.

Scoring is pure, so two candidates who gave the same response to the same key get the same
ItemScore: across thousands of attempts an item sees only a handful of distinct responses.
Caching per item keeps a batch re-score (council decisions, audits, benchmarks) fast while
every score still comes from the one rule per item type, so figures equal score_item's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.passing import part_result
from scoring.rules import score_item
from scoring.types import ItemKey, ItemScore, PartResult, PassRule, Response


@dataclass(frozen=True)
class BatchResult:
    results: tuple[PartResult, ...]  # one per attempt
    earned: np.ndarray  # attempts x items, the points each response earned


class ItemScorer:
    """Score responses to one key, remembering each distinct response's score."""

    __slots__ = ("key", "policy", "cache")

    def __init__(self, key: ItemKey, policy: str) -> None:
        self.key = key
        self.policy = policy
        self.cache: dict = {}

    def __call__(self, response: Response) -> ItemScore:
        try:
            return self.cache[response]
        except KeyError:
            score = self.cache[response] = score_item(self.key, response, multi_policy=self.policy)
            return score
        except TypeError:  # an unhashable response (a list): score it without the cache
            return score_item(self.key, response, multi_policy=self.policy)


def score_attempts(
    keys: Sequence[ItemKey],
    attempts: Sequence[Sequence[Response]],
    rule: PassRule,
    *,
    multi_policy: str = "partial",
) -> BatchResult:
    """Score attempts that share the same keys (one response per key, in key order).

    Item by item, each distinct response is scored once with score_item; every attempt's
    part result is then built by scoring.passing.part_result from its exact totals (earned
    summed with math.fsum in item order), so results equal score_part's one by one.
    """
    n, k = len(attempts), len(keys)
    for row, responses in enumerate(attempts):
        if len(responses) != k:
            raise ValueError(f"attempt {row}: {len(responses)} responses for {k} items")
    if k == 0:
        raise ValueError("a part needs at least one item score")
    earned = np.zeros((n, k))
    correct = np.zeros((n, k), dtype=np.int64)
    answered = np.zeros((n, k), dtype=np.int64)
    maxima = []
    columns = list(zip(*attempts, strict=True)) if n else [()] * k
    for j, (key, column) in enumerate(zip(keys, columns, strict=True)):
        scorer = ItemScorer(key, multi_policy)
        maxima.append(key.points)
        try:
            distinct = list(dict.fromkeys(column))
        except TypeError:  # unhashable responses: score cell by cell
            scores = [scorer(response) for response in column]
            earned[:, j] = [score.earned for score in scores]
            correct[:, j] = [score.correct for score in scores]
            answered[:, j] = [score.answered for score in scores]
            continue
        index = {response: code for code, response in enumerate(distinct)}
        codes = np.fromiter(map(index.__getitem__, column), dtype=np.intp, count=n)
        scores = [scorer(response) for response in distinct]
        earned[:, j] = np.array([score.earned for score in scores])[codes] if n else []
        correct[:, j] = np.array([score.correct for score in scores], dtype=np.int64)[codes]
        answered[:, j] = np.array([score.answered for score in scores], dtype=np.int64)[codes]
    maximum = math.fsum(maxima)
    correct_counts = correct.sum(axis=1).tolist()
    answered_counts = answered.sum(axis=1).tolist()
    results = tuple(
        part_result(
            item_count=k,
            answered_count=answered_counts[row],
            correct_count=correct_counts[row],
            earned_sum=math.fsum(values),
            maximum=maximum,
            rule=rule,
        )
        for row, values in enumerate(earned.tolist())
    )
    return BatchResult(results, earned)
