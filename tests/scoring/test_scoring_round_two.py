import pytest

from scoring import Contender, RoundTwoRules, combine, rank_position


def test_seventy_thirty_with_priority_points():
    score = combine(80.0, 60.0, priority=5.0)
    assert score.combined == 74.0 and score.total == 79.0 and score.eligible


def test_each_component_needs_fifty():
    low_interview = combine(90.0, 49.99, priority=7.5)
    assert not low_interview.eligible and low_interview.total == low_interview.combined
    assert combine(50.0, 50.0).eligible


def test_a_missing_interview_is_pending_unless_round_two_is_computer_only():
    assert combine(70.0, None).pending
    computer_only = combine(70.0, None, 2.5, RoundTwoRules(1.0, 0.0))
    assert computer_only.total == 72.5 and not computer_only.pending


def test_rounding_is_half_up_on_two_decimals():
    # 0.7 * 66.67 + 0.3 * 55.55 = 46.669 + 16.665 = 63.334
    assert combine(66.67, 55.55).combined == 63.33
    assert combine(50.05, 50.0).combined == 50.04  # 35.035 + 15 = 50.035 -> 50.04


def test_rules_must_add_up():
    with pytest.raises(ValueError):
        RoundTwoRules(0.7, 0.4)


def test_ranking_breaks_ties_on_the_specialist_score_then_flags_for_the_head():
    contenders = [
        Contender("A", 80.0, 70.0),
        Contender("B", 85.0, 60.0),
        Contender("C", 80.0, 75.0),
        Contender("D", 78.0, 90.0),
        Contender("E", 78.0, 90.0),
        Contender("F", 60.0, 60.0),
    ]
    ranked = {r.key: r for r in rank_position(contenders, places=4)}
    assert [k for k, r in sorted(ranked.items(), key=lambda kv: kv[1].rank)][:3] == ["B", "C", "A"]
    assert all(ranked[k].selected for k in "BCA")
    assert ranked["D"].rank == ranked["E"].rank == 4
    assert ranked["D"].tie_for_head and ranked["E"].tie_for_head
    assert not ranked["D"].selected and not ranked["F"].selected and not ranked["F"].tie_for_head


def test_a_tie_within_the_places_selects_both():
    ranked = rank_position([Contender("A", 70, 70), Contender("B", 70, 70)], places=2)
    assert all(r.selected and not r.tie_for_head and r.rank == 1 for r in ranked)
