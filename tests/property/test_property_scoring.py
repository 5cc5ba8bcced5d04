"""Property-based tests of the pure scoring package.

Credits and points are drawn from dyadic grids (multiples of 1/8 and of 0.5), so choice sums
are exact in binary floating point; the expected scores are computed exactly in rational
arithmetic, and "correct" (full credit) is compared exactly.
"""

from __future__ import annotations

import math
import unicodedata
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from scoring import (
    MULTI_POLICIES,
    SANCTIONS,
    AcceptedAnswer,
    AnalyzeInputError,
    BlankKey,
    ItemKey,
    OptionKey,
    PassRule,
    analyze_csv,
    apply_sanction,
    item_statistics,
    score_item,
    score_part,
)


def fuzz_settings(examples: int) -> settings:
    """Return reproducible settings: fixed seed, no example database, no deadline."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None)


# ---------------------------------------------------------------------------------------
# Keys and responses.

fractions_ = st.integers(-8, 8).map(lambda eighths: eighths / 8)
points_ = st.integers(0, 20).map(lambda halves: halves / 2)
option_ids = st.text(alphabet="abcdefghxyz0123456789-_", min_size=1, max_size=4)


@st.composite
def choice_keys(draw, item_type: str | None = None) -> ItemKey:
    item_type = item_type or draw(
        st.sampled_from(["true_false", "single_choice", "multiple_response"])
    )
    count = 2 if item_type == "true_false" else draw(st.integers(2, 8))
    ids = draw(st.lists(option_ids, min_size=count, max_size=count, unique=True))
    if item_type == "multiple_response":
        fractions = draw(st.lists(fractions_, min_size=count, max_size=count))
    else:
        right = draw(st.integers(0, count - 1))
        others = st.sampled_from([0.0, 0.0, -0.25, -1.0, 0.5])
        fractions = [1.0 if i == right else draw(others) for i in range(count)]
    options = tuple(OptionKey(i, f) for i, f in zip(ids, fractions, strict=True))
    return ItemKey(item_type, options=options, points=draw(points_))


answer_texts = st.text(alphabet="aăâbcdđeêoôơuưAĐ  Hà Nội1", max_size=6)


@st.composite
def fill_keys(draw) -> ItemKey:
    blanks = []
    for _ in range(draw(st.integers(1, 3))):
        texts = draw(st.lists(answer_texts.filter(str.strip), min_size=1, max_size=3))
        answers = [AcceptedAnswer(texts[0], 1.0)]
        answers += [AcceptedAnswer(t, draw(fractions_)) for t in texts[1:]]
        match = draw(st.sampled_from(["exact", "ignore_case", "ignore_accents"]))
        blanks.append(BlankKey(tuple(answers), match))
    return ItemKey("fill_blank", blanks=tuple(blanks), points=draw(points_))


@st.composite
def keys(draw) -> ItemKey:
    key = draw(st.one_of(choice_keys(), fill_keys()))
    if draw(st.integers(0, 9)) == 0:
        key = ItemKey(key.item_type, key.options, key.blanks, key.points, credited_to_all=True)
    return key


@st.composite
def responses(draw, key: ItemKey):
    """Return a response to the key: None, chosen ids (some unknown) or blank texts."""
    if draw(st.integers(0, 7)) == 0:
        return None
    if key.item_type == "fill_blank":
        accepted = [a.text for blank in key.blanks for a in blank.answers]
        text = st.one_of(st.none(), answer_texts, st.sampled_from(accepted))
        count = draw(st.integers(0, len(key.blanks)))
        return tuple(draw(text) for _ in range(count))
    known = [option.id for option in key.options]
    chosen = draw(st.lists(st.sampled_from(known), max_size=len(known), unique=True))
    if draw(st.integers(0, 9)) == 0:
        chosen.append(draw(option_ids.filter(lambda i: i not in known)))
    return frozenset(chosen)


@st.composite
def keyed_responses(draw):
    key = draw(keys())
    return key, draw(responses(key))


# ---------------------------------------------------------------------------------------
# An exact model of the documented rules, in rational arithmetic.


def expected_share(key: ItemKey, response, policy: str) -> Fraction:
    """Return the credit share 0..1 (down to -1 under "negative") the rules document."""
    if key.credited_to_all:
        return Fraction(1)
    credit = {option.id: Fraction(option.fraction) for option in key.options}
    if key.item_type in ("true_false", "single_choice"):
        chosen = set(response or ())
        if len(chosen) != 1:
            return Fraction(0)
        return max(credit.get(next(iter(chosen)), Fraction(0)), Fraction(0))
    if key.item_type == "multiple_response":
        chosen = set(response or ())
        if not chosen:
            return Fraction(0)
        if policy == "all_or_nothing":
            wanted = {i for i, c in credit.items() if c > 0}
            return Fraction(1 if wanted and chosen == wanted else 0)
        total = sum((credit.get(i, Fraction(0)) for i in chosen), Fraction(0))
        low = Fraction(-1) if policy == "negative" else Fraction(0)
        return min(max(total, low), Fraction(1))
    texts = list(response or ()) + [None] * (len(key.blanks) - len(response or ()))
    shares = []
    for blank, text in zip(key.blanks, texts, strict=True):
        best = Fraction(0)
        if text is not None and text.strip():
            for answer in blank.answers:
                if same_answer(answer.text, text, blank.match):
                    best = max(best, Fraction(answer.fraction))
        shares.append(best)
    return sum(shares, Fraction(0)) / len(shares)


def same_answer(accepted: str, given_text: str, match: str) -> bool:
    def norm(text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        if match == "exact":
            return text
        text = " ".join(text.split()).casefold()
        if match == "ignore_accents":
            text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
            text = unicodedata.normalize(
                "NFC", "".join(c for c in text if not unicodedata.combining(c))
            )
        return text

    return norm(accepted) == norm(given_text)


# ---------------------------------------------------------------------------------------
# score_item


@fuzz_settings(300)
@given(case=keyed_responses(), policy=st.sampled_from(MULTI_POLICIES))
def test_item_score_stays_within_its_bounds(case, policy):
    key, response = case
    score = score_item(key, response, multi_policy=policy)
    assert score.maximum == key.points
    lower = -key.points if policy == "negative" else 0.0
    assert lower <= score.earned <= key.points
    if policy != "negative" or key.item_type != "multiple_response":
        assert score.earned >= 0.0


@fuzz_settings(300)
@given(case=keyed_responses(), policy=st.sampled_from(MULTI_POLICIES))
def test_item_score_matches_the_documented_rule_exactly(case, policy):
    key, response = case
    score = score_item(key, response, multi_policy=policy)
    share = expected_share(key, response, policy)
    # Three blanks give thirds, the only shares here that are not exact binary fractions.
    assert score.earned == pytest.approx(float(share * Fraction(key.points)), rel=1e-12, abs=0)
    # Full credit iff correct (an item worth 0 points can never be "correct").
    assert score.correct == (key.points > 0 and share == 1)
    assert score.correct == (key.points > 0 and score.earned == score.maximum)


@fuzz_settings(200)
@given(key=choice_keys("single_choice"), data=st.data())
def test_choosing_the_keyed_option_earns_full_points(key, data):
    (right,) = [option.id for option in key.options if option.fraction == 1.0]
    score = score_item(
        key, frozenset({right}), multi_policy=data.draw(st.sampled_from(MULTI_POLICIES))
    )
    assert score.earned == key.points
    assert score.answered
    assert score.correct == (key.points > 0)
    wrong = data.draw(st.sampled_from([o.id for o in key.options if o.id != right]))
    assert not score_item(key, frozenset({wrong})).correct
    assert not score_item(key, frozenset({right, wrong})).correct  # two marks on one choice


@fuzz_settings(200)
@given(
    case=choice_keys().flatmap(lambda key: responses(key).map(lambda response: (key, response))),
    policy=st.sampled_from(MULTI_POLICIES),
    data=st.data(),
)
def test_renaming_and_reordering_options_does_not_change_the_score(case, policy, data):
    key, response = case
    ids = [option.id for option in key.options]
    renamed = data.draw(st.lists(option_ids, min_size=len(ids), max_size=len(ids), unique=True))
    rename = dict(zip(ids, renamed, strict=True))
    options = [OptionKey(rename[o.id], o.fraction) for o in key.options]
    options = data.draw(st.permutations(options))
    moved = ItemKey(key.item_type, tuple(options), (), key.points, key.credited_to_all)
    moved_response = None
    if response is not None:
        # Ids the key does not know stay unknown: give them names no option has.
        moved_response = frozenset(rename.get(i, f"?{i}") for i in response)
    assert score_item(moved, moved_response, multi_policy=policy) == score_item(
        key, response, multi_policy=policy
    )


# ---------------------------------------------------------------------------------------
# score_part and sanctions

pass_rules = st.one_of(
    st.builds(PassRule, st.just("share_correct"), st.integers(0, 100).map(lambda p: p / 100)),
    st.builds(PassRule, st.just("points"), st.integers(0, 10000).map(lambda p: p / 100)),
)


@st.composite
def part_scores(draw):
    policy = draw(st.sampled_from(MULTI_POLICIES))
    cases = draw(st.lists(keyed_responses(), min_size=1, max_size=8))
    return [score_item(key, response, multi_policy=policy) for key, response in cases]


@fuzz_settings(150)
@given(scores=part_scores(), rule=pass_rules)
def test_part_result_is_bounded_and_counts_correct_items(scores, rule):
    result = score_part(scores, rule)
    assert 0.0 <= result.score_100 <= 100.0
    assert result.item_count == len(scores)
    assert result.correct_count == sum(1 for s in scores if s.correct)
    assert result.share_correct == result.correct_count / result.item_count
    assert 0.0 <= result.share_correct <= 1.0
    assert 0.0 <= result.earned <= result.maximum
    assert result.earned == max(math.fsum(s.earned for s in scores), 0.0)
    assert result.answered_count == sum(1 for s in scores if s.answered)


@fuzz_settings(150)
@given(
    scores=part_scores(),
    basis=st.sampled_from(["share_correct", "points"]),
    thresholds=st.lists(st.integers(0, 100), min_size=2, max_size=2).map(sorted),
)
def test_passing_is_monotone_in_the_threshold(scores, basis, thresholds):
    scale = 0.01 if basis == "share_correct" else 1.0
    low, high = (PassRule(basis, t * scale) for t in thresholds)
    passed_low = score_part(scores, low).passed
    passed_high = score_part(scores, high).passed
    assert passed_low or not passed_high  # passing a higher bar implies passing a lower one
    assert score_part(scores, PassRule(basis, 0.0)).passed  # a zero threshold passes everyone


@fuzz_settings(150)
@given(
    scores=part_scores(),
    rule=pass_rules,
    sanction=st.sampled_from(sorted(SANCTIONS)),
    deduction=st.one_of(st.none(), st.integers(0, 100).map(lambda p: p / 100)),
)
def test_a_sanction_never_raises_a_result(scores, rule, sanction, deduction):
    before = score_part(scores, rule)
    after = apply_sanction(before, sanction, deduction=deduction)
    assert after.sanction == sanction
    assert after.earned <= before.earned
    assert after.score_100 <= before.score_100
    assert after.share_correct <= before.share_correct
    assert after.adjusted_correct <= before.adjusted_correct
    assert after.passed <= before.passed  # a failed part never passes after a sanction
    assert after.correct_count == before.correct_count
    assert 0.0 <= after.score_100 <= 100.0
    with pytest.raises(ValueError):
        apply_sanction(after, sanction)  # sanctions replace each other, they never stack


# ---------------------------------------------------------------------------------------
# Item statistics and CSV analysis


@st.composite
def binary_matrices(draw):
    rows = draw(st.integers(2, 30))
    cols = draw(st.integers(1, 8))
    cells = draw(st.lists(st.integers(0, 1), min_size=rows * cols, max_size=rows * cols))
    return np.array(cells, dtype=float).reshape(rows, cols)


def in_unit_range(value: float | None, low: float = -1.0) -> bool:
    return value is None or (math.isfinite(value) and low - 1e-12 <= value <= 1.0 + 1e-12)


@fuzz_settings(250)
@given(matrix=binary_matrices())
def test_item_statistics_of_any_0_1_matrix_stay_in_range(matrix):
    analysis = item_statistics(matrix)
    assert len(analysis.items) == matrix.shape[1]
    for column, stats in enumerate(analysis.items):
        assert 0.0 <= stats.facility <= 1.0
        assert stats.facility == pytest.approx(matrix[:, column].mean())
        assert 0.0 <= stats.sd <= 1.0
        for value in (
            stats.discrimination_index,
            stats.point_biserial,
            stats.corrected_point_biserial,
        ):
            assert in_unit_range(value)
        if stats.discriminative_efficiency is not None:
            assert stats.discriminative_efficiency <= 1.0 + 1e-9
        if stats.alpha_if_deleted is not None:
            assert stats.alpha_if_deleted <= 1.0 + 1e-9
    exam = analysis.exam
    assert exam.n == matrix.shape[0]
    assert 0.0 <= exam.mean <= 1.0 and 0.0 <= exam.median <= 1.0
    assert exam.sd >= 0.0
    for value in (exam.cronbach_alpha, exam.kr20, exam.kr21):
        assert value is None or (math.isfinite(value) and value <= 1.0 + 1e-9)
    if exam.cronbach_alpha is not None:
        assert exam.kr20 == pytest.approx(exam.cronbach_alpha)  # KR-20 is alpha of 0/1 data


@fuzz_settings(50)
@given(rows=st.integers(0, 1), cols=st.integers(1, 4))
def test_item_statistics_refuses_fewer_than_two_candidates(rows, cols):
    with pytest.raises(ValueError):
        item_statistics(np.zeros((rows, cols)))


CSV_PIECES = [
    ",", ";", "\t", "\n", "\r\n", '"', '""', " ", "candidate", "Candidate", "q1", "q2", "câu 1",
    "câu 1", "0", "1", "2", "0.5", "0,5", "-1", "1e3", "1e-320", "nan", "inf", "1_0",
    "١", "+", ".", "e", "\ufeff", "\x00",
]  # fmt: skip
csv_noise = st.lists(st.one_of(st.sampled_from(CSV_PIECES), st.text(max_size=3)), max_size=40).map(
    "".join
)


SCORES = ["0", "1"] * 8 + ["0.5", "2", "3", "-1", "0.25", "10", "1e6", "1e-200"]
FLAWS = ["", "x", "nan", "1,5", '"1"']


@st.composite
def score_csvs(draw) -> str:
    """Return a mostly well-formed score CSV: header, numeric rows, now and then a flaw."""
    items = draw(st.integers(1, 5))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    header = [f"q{j}" for j in range(1, items + 1)]
    with_id = draw(st.booleans())
    if with_id:
        header = ["candidate", *header]
    lines = [delimiter.join(header)]
    for number in range(draw(st.integers(2, 15))):
        cells = [
            draw(st.sampled_from(FLAWS if draw(st.integers(0, 60)) == 0 else SCORES))
            for _ in range(items)
        ]
        if with_id:
            cells = [f"SBD{number:03d}", *cells]
        lines.append(delimiter.join(cells))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


@fuzz_settings(300)
@given(
    text=st.one_of(csv_noise, score_csvs(), st.binary(max_size=80)),
    rasch=st.booleans(),
)
def test_analyze_csv_gives_a_result_or_an_input_error(text, rasch):
    try:
        result = analyze_csv(text, rasch=rasch)
    except AnalyzeInputError as error:
        assert error.message_id.startswith("analyze.")
        return
    assert set(result) == {"items", "test"}
    assert result["items"]
    for row in result["items"]:  # negative and huge scores are refused as input errors
        assert row["facility"] is None or 0.0 <= row["facility"] <= 1.0
        for name in ("discrimination_index", "point_biserial", "corrected_point_biserial"):
            assert in_unit_range(row[name])


@settings(phases=[Phase.explicit], deadline=None, database=None)
@example(text="q1,q2\n1e200,1\n0,0\n0,1")
@given(text=score_csvs())
def test_analyze_csv_handles_huge_scores(text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as pytest runs; in production the warning is printed
        try:
            result = analyze_csv(text)
        except AnalyzeInputError:
            return
    assert all(row["sd"] is not None for row in result["items"])


@settings(phases=[Phase.explicit], deadline=None, database=None)
@example(text="q1,q2\n-1,0\n0.25,0")
@given(text=score_csvs())
def test_analyze_csv_facility_stays_a_fraction_with_negative_scores(text):
    try:
        result = analyze_csv(text)
    except AnalyzeInputError:
        return
    assert all(0.0 <= row["facility"] <= 1.0 for row in result["items"])
