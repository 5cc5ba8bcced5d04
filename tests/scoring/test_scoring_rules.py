import unicodedata

import pytest

from scoring import (
    RULES,
    AcceptedAnswer,
    BlankKey,
    ItemKey,
    OptionKey,
    normalize_answer,
    score_item,
)


def single(points=1.0, correct="B", ids="ABCD"):
    options = tuple(OptionKey(i, 1.0 if i == correct else 0.0) for i in ids)
    return ItemKey("single_choice", options=options, points=points)


def multi(points=2.0):
    # A and C correct (half each), B and D wrong (-0.5 each).
    return ItemKey(
        "multiple_response",
        options=(
            OptionKey("A", 0.5),
            OptionKey("B", -0.5),
            OptionKey("C", 0.5),
            OptionKey("D", -0.5),
        ),
        points=points,
    )


def blank_item(*texts, match="ignore_case", points=1.0):
    answers = tuple(AcceptedAnswer(t) for t in texts)
    return ItemKey("fill_blank", blanks=(BlankKey(answers, match=match),), points=points)


def nfd(text):
    return unicodedata.normalize("NFD", text)


# --- true/false and single choice -------------------------------------------------


def test_single_choice_correct_earns_the_points():
    s = score_item(single(points=2.5), frozenset({"B"}))
    assert (s.earned, s.maximum, s.correct, s.answered) == (2.5, 2.5, True, True)


def test_single_choice_wrong_earns_zero():
    s = score_item(single(), frozenset({"A"}))
    assert (s.earned, s.correct, s.answered) == (0.0, False, True)


def test_single_choice_two_options_chosen_earns_zero_even_with_the_key():
    s = score_item(single(), frozenset({"A", "B"}))
    assert (s.earned, s.correct, s.answered) == (0.0, False, True)


@pytest.mark.parametrize("response", [None, frozenset()])
def test_single_choice_unanswered(response):
    s = score_item(single(), response)
    assert (s.earned, s.correct, s.answered) == (0.0, False, False)


def test_single_choice_negative_fraction_is_floored_at_zero():
    key = ItemKey("single_choice", options=(OptionKey("A", 1.0), OptionKey("B", -0.5)))
    assert score_item(key, frozenset({"B"})).earned == 0.0


def test_single_choice_partial_fraction():
    key = ItemKey("single_choice", options=(OptionKey("A", 1.0), OptionKey("B", 0.5)), points=3.0)
    s = score_item(key, frozenset({"B"}))
    assert s.earned == 1.5
    assert not s.correct


def test_two_correct_options_either_accepted():
    key = ItemKey("single_choice", options=(OptionKey("A", 1.0), OptionKey("B", 1.0)))
    assert score_item(key, frozenset({"A"})).correct
    assert score_item(key, frozenset({"B"})).correct


def test_unknown_option_id_earns_zero():
    assert score_item(single(), frozenset({"Z"})).earned == 0.0


def test_true_false():
    key = ItemKey("true_false", options=(OptionKey("true", 0.0), OptionKey("false", 1.0)))
    assert score_item(key, frozenset({"false"})).correct
    assert not score_item(key, frozenset({"true"})).correct


def test_choice_accepts_a_list_but_not_a_bare_string():
    assert score_item(single(), ["B"]).correct
    with pytest.raises(TypeError):
        score_item(single(), "B")


def test_credited_to_all_gives_full_points_even_unanswered():
    key = ItemKey("single_choice", options=(OptionKey("A", 1.0),), credited_to_all=True)
    s = score_item(key, None)
    assert (s.earned, s.correct, s.answered) == (1.0, True, False)


def test_zero_point_item_is_never_correct():
    s = score_item(single(points=0.0), frozenset({"B"}))
    assert (s.earned, s.correct) == (0.0, False)


# --- multiple response ------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ({"A", "C"}, 2.0),  # 0.5 + 0.5 = 1 -> 2 points
        ({"A"}, 1.0),  # 0.5
        ({"A", "B"}, 0.0),  # 0.5 - 0.5
        ({"A", "C", "B"}, 1.0),  # 1 - 0.5
        ({"B"}, 0.0),  # -0.5 floored at 0
        ({"A", "B", "C", "D"}, 0.0),
    ],
)
def test_multiple_response_partial(chosen, expected):
    assert score_item(multi(), frozenset(chosen), multi_policy="partial").earned == expected


def test_multiple_response_partial_is_the_default():
    assert score_item(multi(), frozenset({"A"})).earned == 1.0


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ({"A", "C"}, 2.0),
        ({"A"}, 1.0),
        ({"B"}, -1.0),  # -0.5 * 2
        ({"B", "D"}, -2.0),  # -1 * 2
        ({"A", "B"}, 0.0),
    ],
)
def test_multiple_response_negative(chosen, expected):
    assert score_item(multi(), frozenset(chosen), multi_policy="negative").earned == expected


def test_multiple_response_negative_is_floored_at_minus_points():
    key = ItemKey(
        "multiple_response",
        options=(OptionKey("A", 1.0), OptionKey("B", -1.0), OptionKey("C", -1.0)),
        points=3.0,
    )
    assert score_item(key, frozenset({"B", "C"}), multi_policy="negative").earned == -3.0


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [({"A", "C"}, 2.0), ({"A"}, 0.0), ({"A", "C", "B"}, 0.0), ({"C"}, 0.0)],
)
def test_multiple_response_all_or_nothing(chosen, expected):
    s = score_item(multi(), frozenset(chosen), multi_policy="all_or_nothing")
    assert s.earned == expected
    assert s.correct == (expected == 2.0)


def test_multiple_response_thirds_sum_to_full_credit():
    key = ItemKey(
        "multiple_response",
        options=(
            OptionKey("A", 1 / 3),
            OptionKey("B", 1 / 3),
            OptionKey("C", 1 / 3),
            OptionKey("D", -1.0),
        ),
        points=1.5,
    )
    s = score_item(key, frozenset({"A", "B", "C"}))
    assert s.correct
    assert s.earned == 1.5


def test_multiple_response_unanswered():
    for policy in ("partial", "negative", "all_or_nothing"):
        s = score_item(multi(), None, multi_policy=policy)
        assert (s.earned, s.answered) == (0.0, False)


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="multi_policy"):
        score_item(multi(), frozenset({"A"}), multi_policy="generous")


# --- fill in the blank ------------------------------------------------------------


def test_fill_blank_exact_case_and_spaces_matter():
    key = blank_item("Hà Nội", match="exact")
    assert score_item(key, ("Hà Nội",)).correct
    assert not score_item(key, ("hà nội",)).correct
    assert not score_item(key, (" Hà Nội",)).correct


def test_fill_blank_composed_and_decomposed_forms_match_in_every_mode():
    for match in ("exact", "ignore_case", "ignore_accents"):
        key = blank_item("Hà Nội", match=match)
        assert nfd("Hà Nội") != "Hà Nội"
        assert score_item(key, (nfd("Hà Nội"),)).correct, match
        key_nfd = blank_item(nfd("Nguyễn Trãi"), match=match)
        assert score_item(key_nfd, ("Nguyễn Trãi",)).correct, match


def test_fill_blank_ignore_case_trims_and_collapses_whitespace():
    key = blank_item("Hà Nội")
    assert score_item(key, ("  HÀ   nội ",)).correct
    assert not score_item(key, ("ha noi",)).correct


def test_fill_blank_ignore_accents():
    key = blank_item("Hà Nội", match="ignore_accents")
    assert score_item(key, ("ha noi",)).correct
    assert score_item(key, ("  HA  NOI",)).correct
    assert not score_item(key, ("hanoi",)).correct


def test_fill_blank_ignore_accents_reads_d_stroke_as_d():
    key = blank_item("Đồng Nai", match="ignore_accents")
    assert score_item(key, ("dong nai",)).correct
    assert score_item(key, ("đồng nai",)).correct
    assert not score_item(blank_item("Đồng Nai"), ("dong nai",)).correct


def test_normalize_answer_strips_horn_and_breve():
    assert normalize_answer("Thừa Thiên Huế, Đắk Lắk", "ignore_accents") == (
        "thua thien hue, dak lak"
    )
    assert normalize_answer(nfd("ƯỚC LƯỢNG"), "ignore_accents") == "uoc luong"


def test_fill_blank_best_fraction_among_matches():
    answers = (AcceptedAnswer("Hà Nội", 1.0), AcceptedAnswer("ha noi", 0.5))
    key = ItemKey("fill_blank", blanks=(BlankKey(answers, match="ignore_accents"),))
    assert score_item(key, ("ha noi",)).earned == 1.0  # both match; the best counts
    key = ItemKey("fill_blank", blanks=(BlankKey(answers, match="ignore_case"),), points=4)
    assert score_item(key, ("HA NOI",)).earned == 2.0  # only the 0.5 answer matches


def test_fill_blank_mean_over_blanks():
    blanks = (
        BlankKey((AcceptedAnswer("1945"),)),
        BlankKey((AcceptedAnswer("Ba Đình"),)),
        BlankKey((AcceptedAnswer("Hồ Chí Minh"), AcceptedAnswer("Bác Hồ", 0.5))),
    )
    key = ItemKey("fill_blank", blanks=blanks, points=3.0)
    s = score_item(key, ("1945", "ba đình", "bác hồ"))
    assert s.earned == pytest.approx(2.5)  # (1 + 1 + 0.5) / 3 * 3
    assert not s.correct
    s = score_item(key, ("1945", "sai", "Hồ Chí Minh"))
    assert s.earned == pytest.approx(2.0)
    s = score_item(key, ("1945", "Ba Đình", "Hồ Chí Minh"))
    assert s.correct and s.earned == 3.0


def test_fill_blank_short_response_leaves_blanks_empty():
    blanks = (BlankKey((AcceptedAnswer("a"),)), BlankKey((AcceptedAnswer("b"),)))
    key = ItemKey("fill_blank", blanks=blanks, points=2.0)
    s = score_item(key, ("a",))
    assert (s.earned, s.answered) == (1.0, True)
    with pytest.raises(ValueError):
        score_item(key, ("a", "b", "c"))


@pytest.mark.parametrize("response", [None, (), ("",), ("   ",), (None,)])
def test_fill_blank_unanswered(response):
    s = score_item(blank_item("x"), response)
    assert (s.earned, s.answered) == (0.0, False)


def test_fill_blank_rejects_a_bare_string():
    with pytest.raises(TypeError):
        score_item(blank_item("x"), "x")


# --- registry ---------------------------------------------------------------------


def test_registry_holds_the_four_types():
    assert set(RULES) == {"true_false", "single_choice", "multiple_response", "fill_blank"}


def test_unknown_item_type_names_it():
    with pytest.raises(ValueError, match="essay"):
        score_item(ItemKey("essay"), None)


def test_option_fraction_out_of_range_is_refused():
    with pytest.raises(ValueError):
        OptionKey("A", 1.5)
    with pytest.raises(ValueError):
        BlankKey((), match="fuzzy")


def test_scores_are_floats_and_zero_is_never_negative():
    key = ItemKey("multiple_response", options=(OptionKey("A", 1), OptionKey("B", -1)), points=2)
    s = score_item(key, frozenset({"A", "B"}), multi_policy="negative")
    assert s.earned == 0.0 and str(s.earned) == "0.0"
    assert key.points == 2.0 and isinstance(key.points, float)
    assert isinstance(score_item(key, frozenset({"A"})).earned, float)


def test_equal_scores_compare_equal_whatever_their_history():
    first = score_item(single(points=2.0), frozenset({"B"}))
    again = score_item(single(points=2.0), frozenset({"B"}))
    assert first == again
    assert score_item(single(points=2.0), frozenset({"A"})) != first
