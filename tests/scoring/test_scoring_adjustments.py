import pytest

from scoring import ItemScore, PassRule, apply_sanction, round_half_up, score_part


def part(correct, total=60, rule=None):
    scores = [ItemScore(1.0, 1.0, True, True)] * correct
    scores += [ItemScore(0.0, 1.0, False, True)] * (total - correct)
    return score_part(scores, rule or PassRule("share_correct", 0.5))


def test_reprimand_takes_a_quarter_of_correct_answers_and_points():
    r = apply_sanction(part(45), "reprimand")
    assert r.correct_count == 45  # what was answered is unchanged
    assert r.adjusted_correct == 33.75
    assert r.share_correct == 33.75 / 60
    assert r.earned == 33.75
    assert r.score_100 == 56.25
    assert r.passed
    assert r.sanction == "reprimand"
    assert not r.voided


def test_reprimand_can_turn_a_pass_into_a_fail():
    before = part(39)
    assert before.passed
    after = apply_sanction(before, "reprimand")
    assert after.adjusted_correct == 29.25
    assert not after.passed


def test_reprimand_exact_boundary_passes():
    # 40 * 0.75 = 30 of 60 = exactly 0.5.
    r = apply_sanction(part(40), "reprimand")
    assert r.share_correct == 0.5
    assert r.passed


def test_warning_takes_half():
    r = apply_sanction(part(59), "warning")
    assert r.adjusted_correct == 29.5
    assert round_half_up(r.adjusted_correct, 2) == 29.5
    assert r.score_100 == 49.17  # 29.5 / 60 = 49.1666... -> 49.17
    assert not r.passed
    r = apply_sanction(part(60), "warning")
    assert r.passed


def test_warning_on_points_basis():
    r = apply_sanction(part(37, rule=PassRule("points", 50)), "warning")
    assert r.earned == 18.5
    assert r.score_100 == 30.83  # 18.5 / 60 * 100 = 30.8333...
    assert not r.passed


@pytest.mark.parametrize("sanction", ["suspension", "cancellation"])
def test_voiding_sanctions(sanction):
    r = apply_sanction(part(60), sanction)
    assert r.voided
    assert (r.earned, r.score_100, r.share_correct, r.adjusted_correct) == (0, 0, 0, 0)
    assert not r.passed
    assert r.sanction == sanction


def test_unsigned_result_list_scores_zero_without_voiding():
    r = apply_sanction(part(60), "unsigned_result_list")
    assert (r.earned, r.score_100, r.passed, r.voided) == (0.0, 0.0, False, False)


def test_preset_deduction_overrides_the_default():
    r = apply_sanction(part(40), "reprimand", deduction=0.1)
    assert r.adjusted_correct == 36.0


def test_unknown_sanction_is_refused():
    with pytest.raises(ValueError, match="unknown sanction"):
        apply_sanction(part(30), "scolding")


def test_sanctions_do_not_stack():
    with pytest.raises(ValueError, match="already"):
        apply_sanction(apply_sanction(part(50), "reprimand"), "warning")


def test_sanction_leaves_the_input_untouched():
    before = part(45)
    apply_sanction(before, "warning")
    assert before.adjusted_correct == 45.0 and before.sanction is None
