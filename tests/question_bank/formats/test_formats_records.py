"""Records: JSON shape, equality, multi-blank representation, validation rules."""

import json

import pytest

from question_bank.formats import (
    Answer,
    Option,
    QuestionRecord,
    duplicate_key,
    true_false_options,
    validate_record,
)
from question_bank.formats import messages as msg

JSON_KEYS = [
    "type",
    "stem",
    "options",
    "answers",
    "match",
    "category",
    "difficulty",
    "tags",
    "media",
    "source",
]


def test_to_json_has_exactly_the_documented_keys(sample_records):
    for record in sample_records:
        data = record.to_json()
        assert list(data) == JSON_KEYS
        json.dumps(data)  # JSON-able
        for option in data["options"]:
            assert list(option) == ["text", "fraction", "pinned"]
        for answer in data["answers"]:
            assert list(answer) == ["text", "fraction"]


def test_location_is_kept_but_not_compared_or_serialised():
    first = QuestionRecord(type="fill_blank", stem="x", answers=(Answer("a"),), location=3)
    second = QuestionRecord(type="fill_blank", stem="x", answers=(Answer("a"),), location=9)
    assert first == second
    assert first.location == 3
    assert "location" not in first.to_json()


def test_fill_blank_defaults_and_first_blank_as_answers(multi_blank_record):
    single = QuestionRecord(type="fill_blank", stem="x", answers=(Answer("a"),))
    assert single.blanks == ((Answer("a"),),)
    assert single.match == "ignore_case"
    data = multi_blank_record.to_json()
    assert data["answers"] == [{"text": "1945", "fraction": 1.0}]
    assert len(multi_blank_record.blanks) == 2
    assert validate_record(multi_blank_record) == []
    with pytest.raises(ValueError):
        QuestionRecord(
            type="fill_blank", stem="x", answers=(Answer("a"),), blanks=((Answer("b"),),)
        )


def test_choice_records_have_no_match_and_fractions_are_rounded():
    record = QuestionRecord(
        type="multiple_response", stem="x", options=(Option("a", 1 / 3), Option("b", 2 / 3))
    )
    assert record.match is None
    assert record.options[0].fraction == 0.3333333


def test_all_sample_records_are_valid(sample_records):
    for record in sample_records:
        assert validate_record(record) == [], record


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (QuestionRecord(type="single_choice", stem="x", options=(Option("a", 1.0),)),
         msg.SINGLE_OPTION_COUNT),
        (QuestionRecord(type="single_choice", stem="x", options=(Option("a"), Option("b"))),
         msg.SINGLE_NEEDS_ONE_CORRECT),
        (QuestionRecord(type="single_choice", stem="x",
                        options=tuple(Option(str(i), i == 0) for i in range(9))),
         msg.SINGLE_OPTION_COUNT),
        (QuestionRecord(type="true_false", stem="x", options=(Option("a", 1.0),)),
         msg.TRUE_FALSE_OPTION_COUNT),
        (QuestionRecord(type="true_false", stem="x",
                        options=(Option("Đúng", 1.0), Option("Sai", 1.0))),
         msg.TRUE_FALSE_NEEDS_ONE_CORRECT),
        (QuestionRecord(type="multiple_response", stem="x",
                        options=(Option("a", 0.5), Option("b", 0.2))),
         msg.MULTIPLE_SUM),
        (QuestionRecord(type="multiple_response", stem="x",
                        options=(Option("a", 0.0), Option("b", -1.0))),
         msg.MULTIPLE_NO_CORRECT),
        (QuestionRecord(type="single_choice", stem="x",
                        options=(Option("a", 1.0), Option("b", -2.0))),
         msg.FRACTION_RANGE),
        (QuestionRecord(type="single_choice", stem="x",
                        options=(Option("Hà Nội", 1.0), Option("hà  nội"))),
         msg.OPTION_DUPLICATE),
        (QuestionRecord(type="single_choice", stem="", options=(Option("a", 1.0), Option("b"))),
         msg.STEM_EMPTY),
        (QuestionRecord(type="fill_blank", stem="x", answers=(Answer("a", 0.5),)),
         msg.FILL_NO_FULL_ANSWER),
        (QuestionRecord(type="fill_blank", stem="x", answers=(Answer("a"),), match="fuzzy"),
         msg.MATCH_INVALID),
        (QuestionRecord(type="fill_blank", stem="one ____ only",
                        blanks=((Answer("a"),), (Answer("b"),))),
         msg.BLANK_COUNT_MISMATCH),
        (QuestionRecord(type="essay", stem="x"), msg.TYPE_UNKNOWN),
        (QuestionRecord(type="true_false", stem="x", options=true_false_options(True),
                        difficulty=4),
         msg.DIFFICULTY_INVALID),
    ],
)  # fmt: skip
def test_validation_reports_broken_invariants(record, message):
    assert message in [problem.message_id for problem in validate_record(record)]


def test_duplicate_key_ignores_form_but_not_content():
    base = QuestionRecord(
        type="single_choice", stem="Thủ đô là gì?", options=(Option("Hà Nội", 1.0), Option("Huế"))
    )
    same = QuestionRecord(
        type="single_choice",
        stem="<p>THỦ  ĐÔ   là gì?</p>",
        options=(Option("huế"), Option("<b>Hà Nội</b>", 1.0)),
    )
    other = QuestionRecord(
        type="single_choice", stem="Thủ đô là gì?", options=(Option("Hà Nội", 1.0), Option("Vinh"))
    )
    assert duplicate_key(base) == duplicate_key(same)
    assert duplicate_key(base) != duplicate_key(other)
    assert len(duplicate_key(base)) == 64
