"""Moodle XML parsing: types, categories, tags, media, unsupported types, unsafe XML."""

import base64

import pytest

from question_bank.formats import messages as msg
from question_bank.formats import parse

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


def _errors(result):
    return [(error.line, error.field, error.message_id) for error in result.errors]


def test_moodle_quiz(fixture_bytes):
    result = parse(fixture_bytes("moodle/quiz.xml"), "quiz.xml")
    capital, primes, tf_true, tf_false, short, exact, ordered = result.records
    assert capital.category == "Pháp luật/Cán bộ, công chức"
    assert capital.stem == (
        '<p>Thủ đô của Việt Nam là <b>thành phố nào</b>?</p><img src="ban do.png" alt="bản đồ">'
    )
    assert capital.media == ("ban do.png",)
    assert result.media == {"ban do.png": PIXEL}
    assert (capital.difficulty, capital.tags, capital.source) == (1, ("địa lý",), "Đề thi 2022")
    assert primes.type == "multiple_response" and primes.difficulty == 3
    assert [o.fraction for o in primes.options] == [0.3333333] * 3 + [-1.0, 0.0]
    assert [o.pinned for o in primes.options] == [False] * 4 + [True]
    assert tf_true.category == "Toán"
    assert tf_true.type == "true_false" and tf_true.options[0].fraction == 1.0
    assert tf_false.options[1].fraction == 1.0 and tf_false.stem == "2 &lt; 1"
    assert short.type == "fill_blank" and short.match == "ignore_case"
    assert [(a.text, a.fraction) for a in short.answers] == [("2013", 1.0), ("năm 2013", 0.5)]
    assert exact.match == "exact"
    assert all(option.pinned for option in ordered.options)
    assert [(e.line, e.params["type"]) for e in result.errors] == [
        (87, "essay"), (91, "matching"), (95, "numerical"), (99, "cloze"),
        (103, "description"), (107, "ddwtos"),
    ]  # fmt: skip
    assert {e.message_id for e in result.errors} == {msg.TYPE_UNSUPPORTED}


def test_moodle_broken_questions_are_each_reported(fixture_bytes):
    result = parse(fixture_bytes("moodle/broken.xml"), "broken.xml")
    assert _errors(result) == [
        (3, "type", msg.MOODLE_NO_TYPE),
        (6, "answers", msg.FRACTION_INVALID),
        (11, "options", msg.SINGLE_NEEDS_ONE_CORRECT),
        (17, "answers", msg.MOODLE_TRUE_FALSE_ANSWERS),
        (23, "media", msg.MOODLE_FILE_INVALID),
        (23, "media", msg.MEDIA_NAME_INVALID),
        (27, "answers", msg.FILL_NO_ANSWER),
    ]
    assert "Good one" in [record.stem for record in result.records]


@pytest.mark.parametrize(
    ("name", "message", "line"),
    [
        ("moodle/malformed.xml", msg.XML_MALFORMED, 4),
        ("moodle/entities.xml", msg.XML_FORBIDDEN, None),
        ("moodle/external_entity.xml", msg.XML_FORBIDDEN, None),
    ],
)
def test_unsafe_or_malformed_xml_is_an_error_not_an_exception(fixture_bytes, name, message, line):
    result = parse(fixture_bytes(name), "x.xml", fmt="moodle-xml")
    assert result.records == ()
    assert [(e.line, e.message_id) for e in result.errors] == [(line, message)]


def test_wrong_root_element():
    result = parse(b"<questions/>", "x.xml", fmt="moodle-xml")
    assert result.errors[0].message_id == msg.XML_ROOT
    assert result.errors[0].params == {"expected": "quiz", "found": "questions"}


def test_malicious_html_in_moodle_text():
    data = b"""<quiz><question type="multichoice"><questiontext format="html"><text><![CDATA[
      <p onmouseover="x()">Hi</p><script>alert(1)</script><img src="a.png" onerror="alert(1)">
      <a href="javascript:alert(1)">go</a>]]></text></questiontext>
      <answer fraction="100"><text><![CDATA[<b onclick="y()">yes</b>]]></text></answer>
      <answer fraction="0"><text>no</text></answer></question></quiz>"""
    (record,) = parse(data, "m.xml").records
    texts = (record.stem + record.options[0].text).lower()
    for bad in ("script", "javascript:", "onmouseover", "onerror", "onclick"):
        assert bad not in texts
    assert record.options[0].text == "<b>yes</b>"
