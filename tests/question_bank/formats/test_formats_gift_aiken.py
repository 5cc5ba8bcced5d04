"""GIFT and Aiken parsing from hand-made fixture files."""

from question_bank.formats import BLANK, parse
from question_bank.formats import messages as msg


def _errors(result):
    return [(error.line, error.field, error.message_id) for error in result.errors]


def test_gift_full_syntax(fixture_bytes):
    result = parse(fixture_bytes("gift/basic.gift"), "basic.gift")
    assert result.errors == ()
    records = {record.location: record for record in result.records}
    q1 = records[7]
    assert q1.type == "single_choice"
    assert q1.stem == f"She {BLANK} to work every day."  # missing-word form
    assert [o.text for o in q1.options if o.fraction == 1.0] == ["goes"]
    assert q1.category == "Ngữ pháp/Thì"
    assert (q1.difficulty, q1.tags, q1.source) == (2, ("grammar", "tenses"), "Đề thi 2023")
    assert [o.text for o in records[9].options] == ["Hà Nội", "Huế", "Đà Nẵng"]  # feedback gone
    assert records[15].stem == "Escaped characters: 1 = 1, {braces}, a ~ tilde and a # hash."
    assert records[15].type == "true_false" and records[15].options[0].fraction == 1.0
    assert records[17].stem == "<p>The sun <b>rises</b> in the <i>east</i>.</p>"
    assert records[19].options[1].fraction == 1.0 and records[21].options[1].fraction == 1.0
    primes = records[26]
    assert primes.type == "multiple_response" and primes.category == "Toán/Số học"
    assert [(o.fraction, o.pinned) for o in primes.options] == [
        (0.5, False), (0.5, False), (-1.0, False), (0.0, True)
    ]  # fmt: skip
    assert [o.fraction for o in records[33].options] == [1.0, 0.5, -0.25]
    short = records[35]
    assert short.type == "fill_blank" and short.match == "ignore_case"
    assert [(a.text, a.fraction) for a in short.answers] == [
        ("four", 1.0),
        ("4", 1.0),
        ("for", 0.5),
    ]
    assert records[37].stem == f"Two plus two equals {BLANK} in base ten."
    assert records[40].match == "exact"
    assert [o.text for o in records[42].options] == ["A", "B"]  # general feedback dropped
    assert records[44].stem == "&lt;b&gt;not bold&lt;/b&gt; is plain text"
    assert records[46].stem == "**Markdown** stays as text"


def test_gift_unsupported_types_are_reported_by_type_and_line(fixture_bytes):
    result = parse(fixture_bytes("gift/unsupported.gift"), "unsupported.gift")
    assert [(e.line, e.params.get("type")) for e in result.errors] == [
        (1, "essay"), (3, "numerical"), (5, "matching"), (10, "description")
    ]  # fmt: skip
    assert all(e.message_id == msg.TYPE_UNSUPPORTED for e in result.errors)
    assert len(result.records) == 1


def test_gift_broken_file_reports_every_error(fixture_bytes):
    result = parse(fixture_bytes("gift/broken.gift"), "broken.gift")
    assert _errors(result) == [
        (1, "answers", msg.GIFT_BRACES),
        (3, "options", msg.SINGLE_OPTION_COUNT),
        (5, "options", msg.MULTIPLE_NO_CORRECT),
        (7, "options", msg.SINGLE_NEEDS_ONE_CORRECT),
        (9, "answers", msg.GIFT_WEIGHT_INVALID),
        (11, "answers", msg.GIFT_WEIGHT_INVALID),
        (13, "answers", msg.GIFT_SEVERAL_BLOCKS),
        (15, "title", msg.GIFT_TITLE_UNCLOSED),
        (17, "options", msg.MULTIPLE_SUM),
    ]
    assert [record.location for record in result.records] == [19]
    assert all(error.file == "broken.gift" for error in result.errors)


def test_gift_malicious_html_is_cleaned(fixture_bytes):
    (record,) = parse(fixture_bytes("gift/malicious.gift"), "m.gift").records
    texts = " ".join([record.stem, *(option.text for option in record.options)]).lower()
    for bad in ("<script", "javascript:", "onclick", "onerror", "onmouseover", "<a "):
        assert bad not in texts
    assert record.stem == '<p>Click here</p><img src="x.png">'
    assert record.media == ("x.png",)


def test_gift_bom_nfc_nfd_and_legacy(fixture_bytes):
    assert parse(fixture_bytes("gift/bom.gift"), "b.gift").records[0].stem.startswith("Thủ đô")
    composed = parse(fixture_bytes("gift/nfc.gift"), "nfc.gift")
    decomposed = parse(fixture_bytes("gift/nfd.gift"), "nfd.gift")
    assert fixture_bytes("gift/nfc.gift") != fixture_bytes("gift/nfd.gift")
    assert composed.errors == decomposed.errors == ()
    assert composed.records == decomposed.records
    utf16 = fixture_bytes("gift/nfc.gift").decode().encode("utf-16")
    assert parse(utf16, "u.gift").records == composed.records
    legacy = "Ca\u0301c ca\u0302u\n{T}".encode("utf-8").replace(b"\xcc\x81", b"\xec")
    assert _errors(parse(legacy, "l.gift", fmt="gift")) == [(1, "encoding", msg.ENCODING_LEGACY)]


def test_gift_duplicates_name_both_lines():
    data = "Câu hỏi?{=a ~b}\n\nCÂU  HỎI?{~B =A}\n".encode()
    result = parse(data, "d.gift")
    assert _errors(result) == [(3, "stem", msg.DUPLICATE_LINE)]
    assert result.errors[0].params == {"other_line": 1}
    assert "line 1" in result.errors[0].render()


def test_aiken_valid_file(fixture_bytes):
    result = parse(fixture_bytes("aiken/basic.txt"), "basic.txt", fmt="aiken")
    assert result.errors == ()
    first, lms, even, multiline = result.records
    assert [o.fraction for o in first.options] == [1.0, 0.0, 0.0, 0.0]
    assert first.options[0].text == "Hà Nội"
    assert lms.location == 8 and lms.options[0].text == "Moodle"
    assert even.type == "multiple_response"
    assert [o.fraction for o in even.options] == [0.5, 0.0, 0.5]
    assert multiline.stem == "A question whose text<br>spans two lines?"


def test_aiken_broken_file_reports_every_error(fixture_bytes):
    result = parse(fixture_bytes("aiken/broken.txt"), "broken.txt", fmt="aiken")
    assert _errors(result) == [
        (1, "answer", msg.AIKEN_MISSING_ANSWER),
        (8, "answer", msg.AIKEN_ANSWER_NOT_OPTION),
        (10, "options", msg.AIKEN_TOO_FEW_OPTIONS),
        (14, "answer", msg.AIKEN_ANSWER_WITHOUT_QUESTION),
        (18, "options", msg.AIKEN_OPTION_ORDER),
        (24, "answer", msg.AIKEN_ANSWER_EMPTY),
    ]
    assert result.errors[1].params == {"letter": "D", "letters": "A, B"}
    assert [record.stem for record in result.records] == ["Good question"]


def test_aiken_legacy_encoding_is_refused():
    data = b"Question\nA. caf\xe9\nB. tea\nANSWER: A\n"
    assert _errors(parse(data, "a.txt", fmt="aiken")) == [(2, "encoding", msg.ENCODING_LEGACY)]
