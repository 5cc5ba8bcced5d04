import random

import pytest

from scoring import (
    AcceptedAnswer,
    BlankKey,
    ItemKey,
    OptionKey,
    PassRule,
    distractor_analysis,
    rank_by_total,
    score_attempts,
    score_item,
    score_part,
)

KEYS = [
    ItemKey("single_choice", (OptionKey("a", 1.0), OptionKey("b", 0.0)), points=1.5),
    ItemKey("true_false", (OptionKey("t", 1.0), OptionKey("f", 0.0)), points=1.75),
    ItemKey(
        "multiple_response",
        (OptionKey("a", 0.5), OptionKey("b", 0.5), OptionKey("c", -1.0)),
        points=2.0,
    ),
    ItemKey("fill_blank", blanks=(BlankKey((AcceptedAnswer("Hà Nội"),), "ignore_accents"),)),
]
CHOICES = [
    [None, frozenset({"a"}), frozenset({"b"})],
    [None, frozenset({"t"}), frozenset({"f"})],
    [None, frozenset({"a"}), frozenset({"a", "b"}), frozenset({"a", "c"}), ["b", "c"]],
    [None, ("ha noi",), ("Huế",), ["Hà Nội"]],
]


@pytest.mark.parametrize("policy", ["partial", "negative", "all_or_nothing"])
def test_batch_results_equal_scoring_each_attempt(policy):
    rng = random.Random(7)
    attempts = [[rng.choice(options) for options in CHOICES] for _ in range(300)]
    rule = PassRule("points", 50.0)
    batch = score_attempts(KEYS, attempts, rule, multi_policy=policy)
    for row, responses in enumerate(attempts):
        scores = [
            score_item(k, r, multi_policy=policy) for k, r in zip(KEYS, responses, strict=True)
        ]
        assert batch.results[row] == score_part(scores, rule)
        assert list(batch.earned[row]) == [s.earned for s in scores]


def test_every_attempt_must_answer_every_key():
    with pytest.raises(ValueError):
        score_attempts(KEYS, [[None] * 3], PassRule("share_correct", 0.5))


def test_a_shared_ranking_gives_the_same_distractor_report():
    rng = random.Random(3)
    totals = [rng.randint(0, 20) for _ in range(50)]
    choices = [rng.choice(["a", "b", "c", None]) for _ in range(50)]
    ranked = rank_by_total(totals)
    assert distractor_analysis(choices, totals, "a", ["a", "b", "c"], ranked=ranked) == (
        distractor_analysis(choices, totals, "a", ["a", "b", "c"])
    )
    with pytest.raises(ValueError):
        distractor_analysis(choices, totals, "a", ranked=ranked[:-1])
