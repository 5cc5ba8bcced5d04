import json
import unicodedata

import numpy as np
import pytest

from scoring import AnalyzeInputError, analyze_csv, item_statistics

CSV = """candidate,q1,q2,q3,q4
SBD001,1,1,1,2
SBD002,1,1,0,2
SBD003,1,0,1,1
SBD004,0,1,0,1
SBD005,1,0,0,0
SBD006,0,0,1,0
"""
ITEM_KEYS = {
    "item",
    "facility",
    "sd",
    "discrimination_index",
    "discriminative_efficiency",
    "point_biserial",
    "corrected_point_biserial",
    "alpha_if_deleted",
}
TEST_KEYS = {
    "n",
    "mean",
    "median",
    "sd",
    "skewness",
    "kurtosis",
    "cronbach_alpha",
    "kr20",
    "kr21",
    "error_ratio",
    "standard_error",
}


def error_of(text):
    with pytest.raises(AnalyzeInputError) as caught:
        analyze_csv(text)
    return caught.value


def test_output_shape_and_values():
    result = analyze_csv(CSV)
    assert set(result) == {"items", "test"}
    assert [row["item"] for row in result["items"]] == ["q1", "q2", "q3", "q4"]
    assert all(set(row) == ITEM_KEYS for row in result["items"])
    assert set(result["test"]) == TEST_KEYS
    matrix = np.array(
        [[1, 1, 1, 2], [1, 1, 0, 2], [1, 0, 1, 1], [0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]]
    )
    expected = item_statistics(matrix, [1, 1, 1, 2])  # q4 is not 0/1: its maximum is 2
    assert result["items"][3]["facility"] == pytest.approx(expected.items[3].facility)
    assert result["items"][3]["facility"] == pytest.approx(6 / 6 / 2)
    assert result["test"]["cronbach_alpha"] == pytest.approx(expected.exam.cronbach_alpha)
    assert result["test"]["n"] == 6 and isinstance(result["test"]["n"], int)
    json.dumps(result, allow_nan=False)


def test_without_id_column_and_with_fractions():
    result = analyze_csv("a,b\n0.5,1\n0.25,0\n0,1\n")
    assert [row["item"] for row in result["items"]] == ["a", "b"]
    assert result["items"][0]["facility"] == pytest.approx(0.75 / 3 / 0.5)  # maximum 0.5


def test_constant_column_gives_json_null():
    result = analyze_csv("q1,q2,q3\n1,1,0\n1,0,1\n1,1,1\n")
    text = json.dumps(result, allow_nan=False)
    assert result["items"][0]["discrimination_index"] is None
    assert "null" in text


def test_bytes_with_bom_semicolons_and_decimal_commas():
    text = "\ufeffcandidate;câu 1;câu 2\nA;0,5;1\nB;1;0\nC;0;1\n".encode()
    result = analyze_csv(text)
    assert [row["item"] for row in result["items"]] == ["câu 1", "câu 2"]
    assert result["items"][0]["facility"] == pytest.approx(0.5)


def test_blank_lines_are_skipped_and_lines_still_counted():
    err = error_of("q1,q2\n\n1,0\n\n0,x\n")
    assert err.message_id == "analyze.not_a_number"
    assert err.params == {"line": 5, "column": 2, "item": "q2", "value": "x"}


def test_ragged_row_names_the_line():
    err = error_of("candidate,q1,q2\nA,1,0\nB,1\nC,0,0\n")
    assert err.message_id == "analyze.ragged_row"
    assert err.params == {"line": 3, "expected": 3, "found": 2}


def test_non_numeric_score_names_line_and_column_counting_the_id_column():
    err = error_of("candidate,q1,q2\nA,1,0\nB,1,đúng\n")
    assert err.message_id == "analyze.not_a_number"
    assert err.params["line"] == 3 and err.params["column"] == 3 and err.params["item"] == "q2"


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "50%"])
def test_non_finite_values_are_not_numbers(value):
    assert error_of(f"q1,q2\n1,0\n0,{value}\n").message_id == "analyze.not_a_number"


def test_empty_cell_is_a_missing_score():
    err = error_of("q1,q2\n1,0\n0, \n")
    assert err.message_id == "analyze.missing_score"
    assert err.params == {"line": 3, "column": 2, "item": "q2"}


def test_fewer_than_two_candidates():
    err = error_of("q1,q2\n1,0\n")
    assert err.message_id == "analyze.too_few_candidates"
    assert err.params == {"found": 1, "minimum": 2}


@pytest.mark.parametrize("text", ["candidate\nA\nB\n", "candidate,\n"])
def test_no_items(text):
    assert error_of(text).message_id in {"analyze.no_items", "analyze.empty_item_name"}


def test_only_the_id_column_is_no_items():
    err = error_of("candidate\nA\nB\n")
    assert err.message_id == "analyze.no_items"
    assert err.params == {"line": 1}


@pytest.mark.parametrize("text", ["", "\n\n", b""])
def test_empty_input(text):
    assert error_of(text).message_id == "analyze.empty"


def test_duplicate_item_names():
    err = error_of("q1,q2,q1\n1,0,1\n0,1,0\n")
    assert err.message_id == "analyze.duplicate_item"
    assert err.params == {"line": 1, "column": 3, "item": "q1", "first_column": 1}


def test_bytes_that_are_not_utf8():
    assert error_of("q1\n1\n0\n".encode("utf-16")).message_id == "analyze.not_utf8"


def test_a_column_nobody_scored_on_is_a_right_or_wrong_item_with_facility_zero():
    result = analyze_csv("candidate,q1,q2\nA,1,0\nB,0,0\n")
    assert result["items"][1]["facility"] == 0.0


@pytest.mark.parametrize("value", ["-1", "-0.25", "2e6"])
def test_scores_outside_zero_to_the_maximum_are_refused(value):
    err = error_of(f"q1,q2\n1,1\n0,{value}\n")
    assert err.message_id == "analyze.score_out_of_range"
    assert err.params["line"] == 3 and err.params["column"] == 2


def test_error_is_a_value_error_with_a_readable_message():
    err = error_of("q1,q2\n1,0\n")
    assert isinstance(err, ValueError)
    assert "too_few_candidates" in str(err)


def test_all_zero_column_is_right_or_wrong_with_maximum_one():
    result = analyze_csv("q1,q2\n0,1\n0,0\n0,1\n")
    assert result["items"][0]["facility"] == 0.0
    assert result["items"][0]["sd"] == 0.0


@pytest.mark.parametrize("value", ["1_0", "0x1", "１", "1.0.0", "--1"])
def test_only_plain_decimal_numbers_are_accepted(value):
    assert error_of(f"q1,q2\n1,0\n0,{value}\n").message_id == "analyze.not_a_number"


@pytest.mark.parametrize("value", ["1.", ".5", "+1", "1e0", "0.25"])
def test_plain_decimal_forms(value):
    analyze_csv(f"q1,q2\n1,1\n0,{value}\n")


def test_composed_and_decomposed_item_names_are_the_same_item():
    decomposed = unicodedata.normalize("NFD", "câu 1")
    err = error_of(f"câu 1,{decomposed}\n1,0\n0,1\n")
    assert err.message_id == "analyze.duplicate_item"
    assert err.params["item"] == "câu 1"


def test_csv_syntax_error_names_the_line():
    err = error_of('q1,q2\n1,0\n0,"1"x\n1,1\n')
    assert err.message_id == "analyze.bad_csv"
    assert err.params["line"] == 3
    assert error_of('q1,q2\n1,0\n0,"1\n').message_id == "analyze.bad_csv"
