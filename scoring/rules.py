"""Score one response to one item, through a registry keyed by the stored item type."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from functools import lru_cache

from scoring.text import normalize_answer
from scoring.types import BlankKey, ItemKey, ItemScore, Response

TOLERANCE = 1e-9
MULTI_POLICIES = ("all_or_nothing", "partial", "negative")

Rule = Callable[[ItemKey, Response, str], ItemScore]


# Scores are immutable and few distinct ones occur (0 or full points, mostly), so sharing
# instances saves building a frozen dataclass per response on the hot path.
item_score = lru_cache(maxsize=4096, typed=True)(ItemScore)


def make_score(key: ItemKey, earned: float, answered: bool) -> ItemScore:
    """Build an ItemScore; earned within 1e-9 of a bound snaps to it; correct = full credit."""
    maximum = key.points
    if key.credited_to_all:
        earned = maximum
    elif earned != maximum:
        if abs(earned - maximum) <= TOLERANCE:
            earned = maximum
        elif abs(earned) <= TOLERANCE:
            earned = 0.0  # also turns -0.0 into 0.0
    return item_score(earned, maximum, maximum > 0 and earned == maximum, answered)


def chosen_ids(response: Response) -> frozenset[str]:
    """Return the chosen option ids of a choice response; None means none chosen."""
    if type(response) is frozenset:  # the common case, checked first because it is hot
        return response
    if response is None:
        return frozenset()
    if isinstance(response, str) or not isinstance(response, Collection):
        raise TypeError(f"a choice response is a set of option ids, got {response!r}")
    return frozenset(response)


def score_one_choice(key: ItemKey, response: Response, multi_policy: str = "partial") -> ItemScore:
    """Score true/false or single choice: exactly one option chosen earns max(fraction, 0)."""
    chosen = chosen_ids(response)
    earned = 0.0
    if len(chosen) == 1:
        (option_id,) = chosen
        # An id the key does not know earns nothing rather than failing the whole paper.
        for option in key.options:
            if option.id == option_id:
                earned = max(option.fraction, 0.0) * key.points
                break
    return make_score(key, earned, answered=bool(chosen))


def score_multiple_response(
    key: ItemKey, response: Response, multi_policy: str = "partial"
) -> ItemScore:
    """Score multiple response under a policy.

    all_or_nothing: full points only if the chosen set is exactly the options with fraction > 0.
    partial: sum of chosen fractions clamped to [0, 1], times points.
    negative: sum of chosen fractions clamped to [-1, 1], times points; the item may go down to
    -points and score_part floors the part total at 0.
    Unknown option ids add 0. Sums use math.fsum, so option order never changes a score.
    """
    chosen = chosen_ids(response)
    if not chosen:
        return make_score(key, 0.0, answered=False)
    if multi_policy == "all_or_nothing":
        wanted = frozenset(option.id for option in key.options if option.fraction > 0)
        earned = float(key.points) if wanted and chosen == wanted else 0.0
        return make_score(key, earned, answered=True)
    total = math.fsum(option.fraction for option in key.options if option.id in chosen)
    if multi_policy == "partial":
        share = min(max(total, 0.0), 1.0)
    elif multi_policy == "negative":
        share = min(max(total, -1.0), 1.0)
    else:
        raise ValueError(f"unknown multi_policy {multi_policy!r}; use one of {MULTI_POLICIES}")
    return make_score(key, share * key.points, answered=True)


def blank_texts(key: ItemKey, response: Response) -> tuple[str | None, ...]:
    """Return one text (or None) per blank; a short response leaves the last blanks empty."""
    if response is None:
        return (None,) * len(key.blanks)
    if isinstance(response, str) or not isinstance(response, (tuple, list)):
        raise TypeError(f"a fill_blank response is a tuple of texts, got {response!r}")
    if len(response) > len(key.blanks):
        raise ValueError(f"{len(response)} texts for {len(key.blanks)} blanks")
    return tuple(response) + (None,) * (len(key.blanks) - len(response))


def score_blank(blank: BlankKey, text: str | None) -> float:
    """Return the best fraction among matching accepted answers, floored at 0."""
    if text is None or not text.strip():
        return 0.0
    given = normalize_answer(text, blank.match)
    best = 0.0
    for answer in blank.answers:
        if answer.fraction > best and normalize_answer(answer.text, blank.match) == given:
            best = answer.fraction
    return best


def score_fill_blank(key: ItemKey, response: Response, multi_policy: str = "partial") -> ItemScore:
    """Score fill in the blank: the mean of the blank scores, times points."""
    if not key.blanks:
        raise ValueError("a fill_blank key needs at least one blank")
    texts = blank_texts(key, response)
    blank_scores = [score_blank(b, t) for b, t in zip(key.blanks, texts, strict=True)]
    share = math.fsum(blank_scores) / len(blank_scores)
    answered = any(t is not None and t.strip() for t in texts)
    return make_score(key, share * key.points, answered=answered)


RULES: dict[str, Rule] = {
    "true_false": score_one_choice,
    "single_choice": score_one_choice,
    "multiple_response": score_multiple_response,
    "fill_blank": score_fill_blank,
}


def score_item(key: ItemKey, response: Response, *, multi_policy: str = "partial") -> ItemScore:
    """Score one response with the rule registered for the key's item type."""
    rule = RULES.get(key.item_type)
    if rule is None:
        raise ValueError(f"unknown item type {key.item_type!r}")
    if multi_policy not in MULTI_POLICIES:
        raise ValueError(f"unknown multi_policy {multi_policy!r}; use one of {MULTI_POLICIES}")
    return rule(key, response, multi_policy)
