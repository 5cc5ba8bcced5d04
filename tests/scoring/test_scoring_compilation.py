import pytest

from scoring import (
    ItemScore,
    PartSitting,
    PassRule,
    Sanction,
    compile_candidate,
    result_changes,
    score_part,
)
from scoring.compilation import adjust_part, strongest


def result(correct, total=60, basis="share_correct", threshold=0.5):
    scores = [ItemScore(1.0, 1.0, True, True)] * correct
    scores += [ItemScore(0.0, 1.0, False, True)] * (total - correct)
    return score_part(scores, PassRule(basis, threshold))


def test_passing_every_required_part_passes_and_exempt_parts_are_skipped():
    outcome = compile_candidate(
        [
            PartSitting(1, "sat", result(31)),
            PartSitting(2, "exempt"),
            PartSitting(3, "sat", result(30)),
        ]
    )
    assert outcome.overall == "passed"
    assert [p.status for p in outcome.parts] == ["sat", "exempt", "sat"]


def test_failing_or_missing_one_part_fails():
    assert (
        compile_candidate(
            [PartSitting(1, "sat", result(31)), PartSitting(2, "sat", result(29))]
        ).overall
        == "failed"
    )
    assert (
        compile_candidate([PartSitting(1, "sat", result(31)), PartSitting(2, "absent")]).overall
        == "failed"
    )
    assert (
        compile_candidate([PartSitting(1, "absent"), PartSitting(2, "absent")]).overall == "absent"
    )
    assert (
        compile_candidate(
            [PartSitting(1, "sat", result(40)), PartSitting(2, "in_progress")]
        ).overall
        == "pending"
    )
    assert compile_candidate([PartSitting(1, "exempt")]).overall == "exempt"


def test_a_reprimand_can_fail_a_part_and_the_exam():
    outcome = compile_candidate(
        [PartSitting(1, "sat", result(39), (Sanction("reprimand", source=7),))]
    )
    (part,) = outcome.parts
    assert part.result.adjusted_correct == 29.25 and not part.result.passed
    assert part.sanction.source == 7
    assert outcome.overall == "failed"


def test_a_preset_deduction_replaces_the_default_share():
    part = adjust_part(PartSitting(1, "sat", result(40), (Sanction("reprimand", deduction=0.1),)))
    assert part.result.adjusted_correct == pytest.approx(36.0)


def test_the_most_severe_sanction_counts_and_they_never_stack():
    sanctions = (Sanction("reprimand"), Sanction("warning"), Sanction("reprimand"))
    assert strongest(sanctions).name == "warning"
    part = adjust_part(PartSitting(1, "sat", result(60), sanctions))
    assert part.result.adjusted_correct == 30.0 and part.result.sanction == "warning"


def test_suspension_voids_sat_and_later_parts_alike():
    suspension = (Sanction("suspension"),)
    outcome = compile_candidate(
        [
            PartSitting(1, "sat", result(50), suspension),
            PartSitting(2, "absent", sanctions=suspension),
        ]
    )
    assert [p.status for p in outcome.parts] == ["voided", "voided"]
    assert outcome.parts[0].result.voided and outcome.parts[0].result.score_100 == 0
    assert outcome.overall == "voided"


def test_an_unsigned_result_list_scores_zero_without_voiding():
    part = adjust_part(PartSitting(1, "sat", result(55), (Sanction("unsigned_result_list"),)))
    assert part.status == "sat" and part.result.score_100 == 0 and not part.result.voided
    assert not part.passed


def test_exempt_parts_ignore_sanctions():
    part = adjust_part(PartSitting(1, "exempt", sanctions=(Sanction("suspension"),)))
    assert part.status == "exempt"


def test_a_sat_part_needs_its_result_and_statuses_are_checked():
    with pytest.raises(ValueError):
        PartSitting(1, "sat")
    with pytest.raises(ValueError):
        PartSitting(1, "asleep")
    with pytest.raises(ValueError):
        Sanction("detention")


def test_result_changes_lists_only_what_moved():
    before = {("A", 1): result(29), ("B", 1): result(40), ("C", 1): None}
    after = {("A", 1): result(30), ("B", 1): result(40), ("C", 1): result(10)}
    changes = result_changes(before, after)
    assert [c.key for c in changes] == [("A", 1), ("C", 1)]
    assert changes[0].pass_changed and changes[0].score_delta == pytest.approx(1.67)
    assert changes[1].before is None and changes[1].score_delta == pytest.approx(16.67)
