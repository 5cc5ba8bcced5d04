"""The item-type registry: per-type rules and the record <-> content conversion."""

from __future__ import annotations

import unicodedata

import pytest

from question_bank.formats import Answer, Option, QuestionRecord, true_false_options
from question_bank.item_types import REGISTRY, errors_of, from_record, to_record
from tests.question_bank.factories_bank import choice_content


def fields(issues):
    return [(issue.field, issue.warning) for issue in issues]


def test_every_stored_type_is_registered():
    assert set(REGISTRY) == {"true_false", "single_choice", "multiple_response", "fill_blank"}


def test_single_choice_needs_exactly_one_fully_correct_option():
    ok = REGISTRY["single_choice"].validate("Stem", choice_content())
    assert errors_of(ok) == []
    two_keys = choice_content()
    two_keys["options"][1]["fraction"] = 1.0
    issues = errors_of(REGISTRY["single_choice"].validate("Stem", two_keys))
    assert ("options", False) in fields(issues)


@pytest.mark.parametrize("count, error", [(1, True), (2, False), (8, False), (9, True)])
def test_single_choice_allows_two_to_eight_options(count, error):
    content = choice_content(texts=[f"opt {n}" for n in range(count)])
    issues = errors_of(REGISTRY["single_choice"].validate("Stem", content))
    assert bool(issues) is error


def test_single_choice_with_other_than_four_options_only_warns():
    issues = REGISTRY["single_choice"].validate("Stem", choice_content(texts=("a", "b", "c")))
    assert errors_of(issues) == []
    assert [i.warning for i in issues] == [True]
    assert "4 options" in issues[0].render()


def test_true_false_has_exactly_two_options():
    content = choice_content(texts=("Đúng", "Sai", "Không rõ"))
    issues = errors_of(REGISTRY["true_false"].validate("Stem", content))
    assert issues and issues[0].field == "options"
    assert errors_of(REGISTRY["true_false"].validate("Stem", choice_content(("Đúng", "Sai")))) == []


def test_multiple_response_fractions_of_correct_options_sum_to_one():
    content = choice_content()
    content["options"][0]["fraction"] = 0.5
    content["options"][1]["fraction"] = 0.25
    issues = errors_of(REGISTRY["multiple_response"].validate("Stem", content))
    assert "75" in issues[0].render()
    content["options"][1]["fraction"] = 0.5
    content["options"][2]["fraction"] = -1.0  # a penalty is allowed
    assert errors_of(REGISTRY["multiple_response"].validate("Stem", content)) == []


def test_fill_blank_needs_accepted_answers_and_a_known_match_rule():
    good = {
        "options": [],
        "blanks": [{"answers": [{"text": "2013", "fraction": 1.0}], "match": "exact"}],
    }
    assert errors_of(REGISTRY["fill_blank"].validate("Năm ____", good)) == []
    empty = {"options": [], "blanks": [{"answers": [], "match": "exact"}]}
    assert errors_of(REGISTRY["fill_blank"].validate("Năm ____", empty))
    bad_match = {
        "options": [],
        "blanks": [{"answers": [{"text": "x", "fraction": 1.0}], "match": "fuzzy"}],
    }
    assert [i.field for i in errors_of(REGISTRY["fill_blank"].validate("S", bad_match))] == [
        "match"
    ]


def test_record_to_content_sanitises_and_normalises():
    decomposed = unicodedata.normalize("NFD", "Hiến pháp")
    record = QuestionRecord(
        type="single_choice",
        stem=f"{decomposed} <b>2013</b>",
        options=(Option("A", 1.0), Option("B"), Option("Tất cả", pinned=True)),
    )
    item_type, stem, content = from_record(record)
    assert item_type == "single_choice"
    assert unicodedata.is_normalized("NFC", stem) and "Hiến pháp" in stem
    assert [o["id"] for o in content["options"]] == ["o1", "o2", "o3"]
    assert content["options"][2]["pinned"] is True and content["blanks"] == []


def test_script_never_survives_into_stored_content():
    record = QuestionRecord(
        type="true_false",
        stem='<p onclick="x()">Hi<script>alert(1)</script></p>',
        options=true_false_options(False),
    )
    _type, stem, content = from_record(record)
    assert "script" not in stem and "onclick" not in stem
    assert [o["fraction"] for o in content["options"]] == [0.0, 1.0]


def test_fill_blank_round_trips_through_records():
    record = QuestionRecord(
        type="fill_blank",
        stem="Năm ____ và ngày ____",
        blanks=((Answer("1945"),), (Answer("2/9"), Answer("2-9", 0.5))),
        match="ignore_accents",
    )
    item_type, stem, content = from_record(record)
    assert content["blanks"][1]["answers"][1] == {"text": "2-9", "fraction": 0.5}
    assert all(blank["match"] == "ignore_accents" for blank in content["blanks"])
    assert to_record(item_type, stem, content) == record
