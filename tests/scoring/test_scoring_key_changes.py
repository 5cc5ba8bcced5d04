import pytest

from scoring import (
    AcceptedAnswer,
    BlankKey,
    ItemKey,
    KeyChange,
    OptionKey,
    amend_key,
    score_item,
)

SINGLE = ItemKey(
    "single_choice",
    (OptionKey("a", 1.0), OptionKey("b", 0.0), OptionKey("c", 0.0), OptionKey("d", 0.0)),
    points=2.0,
)
MULTI = ItemKey(
    "multiple_response",
    (OptionKey("a", 0.5), OptionKey("b", 0.5), OptionKey("c", -0.5), OptionKey("d", 0.0)),
)
BLANK = ItemKey("fill_blank", blanks=(BlankKey((AcceptedAnswer("Hà Nội"),)),))


def test_credit_all_gives_full_points_even_to_a_blank_answer():
    key = amend_key(SINGLE, [KeyChange("credit_all")])
    assert score_item(key, None).earned == 2.0
    assert score_item(key, frozenset({"c"})).correct
    assert score_item(SINGLE, frozenset({"c"})).earned == 0.0  # the original is untouched


def test_a_second_option_is_accepted_and_the_first_still_counts():
    key = amend_key(SINGLE, [KeyChange("accept_option", option_id="b")])
    assert score_item(key, frozenset({"a"})).earned == 2.0
    assert score_item(key, frozenset({"b"})).earned == 2.0
    assert score_item(key, frozenset({"c"})).earned == 0.0


def test_accepting_an_option_in_multiple_response_shares_the_credit():
    key = amend_key(MULTI, [KeyChange("accept_option", option_id="d")])
    assert [o.fraction for o in key.options] == pytest.approx([1 / 3, 1 / 3, -0.5, 1 / 3])
    assert score_item(key, frozenset({"a", "b", "d"}), multi_policy="all_or_nothing").correct
    assert not score_item(key, frozenset({"a", "b"}), multi_policy="all_or_nothing").correct
    assert score_item(key, frozenset({"a", "b", "d"})).earned == pytest.approx(1.0)


def test_a_blank_accepts_another_text_under_its_match_mode():
    key = amend_key(BLANK, [KeyChange("accept_text", blank=0, text="Thủ đô")])
    assert score_item(key, ("thủ đô",)).correct
    assert score_item(key, ("Hà Nội",)).correct
    assert not score_item(BLANK, ("thủ đô",)).correct


@pytest.mark.parametrize(
    ("key", "change"),
    [
        (SINGLE, KeyChange("accept_option", option_id="z")),
        (BLANK, KeyChange("accept_option", option_id="a")),
        (SINGLE, KeyChange("accept_text", blank=0, text="x")),
        (BLANK, KeyChange("accept_text", blank=3, text="x")),
    ],
)
def test_impossible_changes_are_refused(key, change):
    with pytest.raises(ValueError):
        amend_key(key, [change])


def test_a_change_must_name_what_it_accepts():
    with pytest.raises(ValueError):
        KeyChange("accept_option")
    with pytest.raises(ValueError):
        KeyChange("accept_text", blank=0, text="  ")
    with pytest.raises(ValueError):
        KeyChange("forgive")
