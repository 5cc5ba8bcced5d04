import pytest

from scoring import distractor_analysis

# 10 candidates, 27 % -> groups of 3 (2.7 rounded half-up). Key "B".
TOTALS = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
CHOICES = ["B", "C", "C", "B", "A", "B", "A", "B", "D", None]
# Upper: B, C, C   Lower: B, D, None


def test_shares_in_upper_and_lower_groups():
    report = distractor_analysis(CHOICES, TOTALS, "B", ["A", "B", "C", "D"])
    assert report.group_size == 3
    rows = {row.option: row for row in report.options}
    assert [row.option for row in report.options] == ["A", "B", "C", "D"]
    assert rows["B"].is_key and not rows["C"].is_key
    assert rows["B"].upper == pytest.approx(1 / 3)
    assert rows["C"].upper == pytest.approx(2 / 3)
    assert rows["D"].lower == pytest.approx(1 / 3)
    assert rows["A"].upper == 0 and rows["A"].lower == 0
    assert rows["B"].overall == pytest.approx(0.4)
    assert report.omitted_upper == 0 and report.omitted_lower == pytest.approx(1 / 3)


def test_distractor_that_attracts_the_upper_group_is_flagged():
    report = distractor_analysis(CHOICES, TOTALS, "B", ["A", "B", "C", "D"])
    assert report.strong_distractors == ("C",)
    assert report.discrimination == 0.0
    assert not report.negative_discrimination


def test_negative_discrimination_when_the_lower_group_chooses_the_key_more():
    choices = ["A", "A", "C", "B", "B", "B", "B", "B", "B", "B"]
    report = distractor_analysis(choices, TOTALS, "B")
    assert report.key_upper == 0 and report.key_lower == 1
    assert report.negative_discrimination
    assert report.discrimination == -1
    assert report.strong_distractors == ("A", "C")  # 2/3 and 1/3 of the upper group; key 0


def test_ties_at_the_boundary_keep_input_order():
    totals = [5, 5, 5, 5]
    report = distractor_analysis(["A", "B", "C", "D"], totals, "A")
    assert report.group_size == 1
    assert report.key_upper == 1  # the first candidate is ranked highest
    rows = {row.option: row for row in report.options}
    assert rows["D"].lower == 1


def test_options_not_listed_are_appended_sorted():
    report = distractor_analysis(["Z", "B", "Y", "B"], [4, 3, 2, 1], "B", ["B"])
    assert [row.option for row in report.options] == ["B", "Y", "Z"]


def test_several_keys_count_together():
    report = distractor_analysis(["A", "B", "C", "D"], [4, 3, 2, 1], {"A", "B"})
    assert report.group_size == 1
    assert report.key_upper == 1 and report.key_lower == 0


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        distractor_analysis(["A"], [1, 2], "A")
    with pytest.raises(ValueError):
        distractor_analysis(["A"], [1], "A")


def test_distractor_liked_more_by_the_upper_than_the_lower_group_but_less_than_the_key():
    # Upper: B, B, C (key 2/3, C 1/3); lower: A, A, A. C beats its lower share, not the key.
    choices = ["B", "B", "C", "B", "B", "B", "B", "A", "A", "A"]
    report = distractor_analysis(choices, TOTALS, "B", ["A", "B", "C"])
    assert report.strong_distractors == ()
    assert report.discrimination == pytest.approx(2 / 3)
