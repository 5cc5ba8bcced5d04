"""The one adapter from stored rows to the pure scoring package, and back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from exam_server.models import Attempt, ExamPart, FormItem, ItemVersion
from scoring import (
    AcceptedAnswer,
    BlankKey,
    ItemKey,
    OptionKey,
    PartResult,
    PassRule,
    score_item,
    score_part,
)


def item_key(version: ItemVersion, points: float) -> ItemKey:
    """Build the scoring key of one item version worth `points`."""
    content = version.content
    options = tuple(OptionKey(o["id"], float(o["fraction"])) for o in content.get("options", []))
    blanks = tuple(
        BlankKey(
            tuple(AcceptedAnswer(a["text"], float(a.get("fraction", 1.0))) for a in b["answers"]),
            b.get("match", "ignore_case"),
        )
        for b in content.get("blanks", [])
    )
    return ItemKey(version.item_type, options, blanks, float(points))


def scoring_response(version: ItemVersion, option_order: Sequence[str], stored: Any) -> Any:
    """Turn a stored response (display indexes, or blank texts) into a scoring response."""
    if stored is None:
        return None
    if version.item_type == "fill_blank":
        return tuple(str(text) for text in stored)
    return frozenset(option_order[index] for index in stored if 0 <= index < len(option_order))


def score_form(
    part: ExamPart,
    form_items: Sequence[tuple[FormItem, ItemVersion]],
    responses: Mapping[int, Any],
    multi_policy: str,
) -> PartResult:
    """Score one attempt's form from the responses held per position."""
    scores = [
        score_item(
            item_key(version, form_item.points),
            scoring_response(version, form_item.option_order, responses.get(form_item.position)),
            multi_policy=multi_policy,
        )
        for form_item, version in form_items
    ]
    return score_part(scores, PassRule(part.pass_basis, part.pass_threshold))


def store_result(attempt: Attempt, result: PartResult) -> None:
    """Copy a part result onto the attempt row."""
    attempt.correct_count = result.correct_count
    attempt.answered_count = result.answered_count
    attempt.earned_points = result.earned
    attempt.max_points = result.maximum
    attempt.score_100 = result.score_100
    attempt.share_correct = result.share_correct
    attempt.passed = result.passed
