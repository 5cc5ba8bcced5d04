import pytest

from scoring import ItemScore, PassRule, percent_half_up, round_half_up, score_part


def right(points=1.0):
    return ItemScore(earned=points, maximum=points, correct=True, answered=True)


def wrong(points=1.0, answered=True):
    return ItemScore(earned=0.0, maximum=points, correct=False, answered=answered)


def test_round_one_sixty_correct_out_of_60_at_half():
    scores = [right()] * 30 + [wrong()] * 25 + [wrong(answered=False)] * 5
    r = score_part(scores, PassRule("share_correct", 0.5))
    assert (r.item_count, r.answered_count, r.correct_count) == (60, 55, 30)
    assert r.share_correct == 0.5
    assert r.score_100 == 50.0
    assert r.passed
    assert r.basis == "share_correct"


def test_one_below_the_share_threshold_fails():
    scores = [right()] * 29 + [wrong()] * 31
    assert not score_part(scores, PassRule("share_correct", 0.5)).passed


def test_share_threshold_reached_despite_float_error():
    # 0.1 * 3 is 0.30000000000000004 in binary; 3 of 10 must pass a 0.1 * 3 threshold.
    scores = [right()] * 3 + [wrong()] * 7
    assert score_part(scores, PassRule("share_correct", 0.1 * 3)).passed


def test_points_basis_at_the_boundary():
    # Difficulty groups: 10 items of 2 points, 10 items of 3 points -> maximum 50.
    scores = [right(2.0)] * 10 + [right(3.0)] * 1 + [wrong(3.0)] * 9 + [right(1.0)] * 0
    r = score_part(scores, PassRule("points", 50))
    assert (r.earned, r.maximum) == (23.0, 50.0)
    assert r.score_100 == 46.0
    assert not r.passed
    scores = [right(2.0)] * 10 + [right(3.0)] * 2 + [wrong(3.0)] * 8 + [wrong(1.0)] * 0
    r = score_part(scores, PassRule("points", 50))
    assert r.score_100 == 52.0
    assert r.passed
    scores = [ItemScore(25.0, 25.0, True, True), ItemScore(0.0, 25.0, False, True)]
    r = score_part(scores, PassRule("points", 50))
    assert r.score_100 == 50.0 and r.passed


def test_score_100_rounds_half_up():
    # 1 of 32 = 3.125 -> 3.13 (half-up, not banker's 3.12); 1 of 3 -> 33.33; 2 of 3 -> 66.67.
    assert score_part([right()] + [wrong()] * 31, PassRule("points", 50)).score_100 == 3.13
    assert score_part([right()] + [wrong()] * 2, PassRule("points", 50)).score_100 == 33.33
    assert score_part([right()] * 2 + [wrong()], PassRule("points", 50)).score_100 == 66.67


def test_points_basis_decides_on_the_published_score():
    # 49.995 is published as 50.00, so it passes the 50 threshold.
    scores = [ItemScore(49.995, 100.0, False, True)]
    r = score_part(scores, PassRule("points", 50))
    assert r.score_100 == 50.0 and r.passed


def test_negative_items_floor_the_part_at_zero():
    scores = [ItemScore(-2.0, 2.0, False, True), ItemScore(1.0, 2.0, False, True)]
    r = score_part(scores, PassRule("points", 50))
    assert (r.earned, r.score_100, r.passed) == (0.0, 0.0, False)


def test_negative_items_reduce_a_positive_total():
    scores = [ItemScore(-1.0, 2.0, False, True), right(2.0), right(2.0)]
    r = score_part(scores, PassRule("points", 50))
    assert r.earned == 3.0
    assert r.score_100 == 50.0


def test_empty_part_is_refused():
    with pytest.raises(ValueError):
        score_part([], PassRule("share_correct", 0.5))


def test_pass_rule_validates_threshold_scale():
    with pytest.raises(ValueError):
        PassRule("share_correct", 50)  # percent given where a share is expected
    with pytest.raises(ValueError):
        PassRule("points", 101)
    with pytest.raises(ValueError):
        PassRule("average", 0.5)


def test_zero_point_part_scores_zero():
    r = score_part([wrong(0.0)], PassRule("points", 0))
    assert r.score_100 == 0.0
    assert r.passed  # a 0 threshold is reached by 0


def test_round_half_up_uses_the_decimal_a_person_reads():
    assert round_half_up(2.675) == 2.68  # binary 2.67499999... would give 2.67
    assert round_half_up(0.125) == 0.13
    assert round_half_up(33.75) == 33.75
    assert round_half_up(-1.005) == -1.01
    assert percent_half_up(1, 8) == 12.5
    assert percent_half_up(5, 0) == 0.0
