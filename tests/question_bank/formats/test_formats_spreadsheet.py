"""The xlsx/csv template: headers in two languages, every column, errors by row."""

import codecs
import datetime as dt
import unicodedata

import pytest

from question_bank.formats import (
    TEMPLATE_DOC,
    export,
    parse,
    template_csv,
    template_records,
    template_xlsx,
)
from question_bank.formats import messages as msg

EN_HEADER = ["type", "stem", "option_a", "option_b", "option_c", "option_d", "correct"]


def _messages(result):
    return [(error.line, error.field, error.message_id) for error in result.errors]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_templates_parse_to_their_examples(lang):
    for data, name in ((template_xlsx(lang), "mau.xlsx"), (template_csv(lang), "mau.csv")):
        result = parse(data, name)
        assert result.errors == ()
        assert list(result.records) == template_records(lang)
        assert [record.location for record in result.records] == [2, 3, 4, 5]
        assert {record.type for record in result.records} == {
            "single_choice",
            "multiple_response",
            "true_false",
            "fill_blank",
        }


def test_template_doc_explains_every_column():
    for name in ("type", "stem", "option_a", "correct", "weights", "pinned", "category",
                 "difficulty", "tags", "match", "source", "media", "dap_an", "do_kho"):  # fmt: skip
        assert name in TEMPLATE_DOC


def test_vietnamese_headers_without_accents_and_csv_semicolons(fixture_bytes):
    result = parse(fixture_bytes("csv/semicolon.csv"), "semicolon.csv")
    assert result.errors == ()
    first, multiple, truth, blank, multiline = result.records
    assert first.type == "single_choice"
    assert first.category == "Địa lý/Việt Nam"
    assert first.difficulty == 1
    assert first.tags == ("địa lý", "thủ đô")
    assert first.source == "Đề 2023"
    assert [option.pinned for option in first.options] == [False, False, False, True]
    assert [option.fraction for option in multiple.options] == [0.5, 0.5, -1.0, 0.0]
    assert multiple.difficulty == 2
    assert truth.type == "true_false" and truth.options[0].fraction == 1.0
    assert blank.type == "fill_blank" and blank.match == "exact" and blank.difficulty == 3
    assert [answer.text for answer in blank.answers] == ["2013", "năm 2013"]
    assert multiline.type == "single_choice"  # guessed from an empty type cell
    assert multiline.stem == "Câu hỏi nhiều dòng:<br>a &lt; b và b &gt; c thì?"


def test_every_error_names_row_and_column(fixture_bytes):
    result = parse(fixture_bytes("csv/errors.csv"), "errors.csv")
    assert _messages(result) == [
        (1, "colour", msg.HEADER_UNKNOWN),
        (2, "correct", msg.CORRECT_MISSING),
        (3, "correct", msg.LETTER_NOT_OPTION),
        (4, "option_b", msg.OPTION_GAP),
        (5, "type", msg.TYPE_UNSUPPORTED),
        (6, "type", msg.TYPE_UNKNOWN),
        (7, "difficulty", msg.DIFFICULTY_INVALID),
        (8, "match", msg.MATCH_INVALID),
        (9, "correct", msg.TRUE_FALSE_VALUE),
        (10, "stem", msg.STEM_EMPTY),
        (12, "stem", msg.DUPLICATE_ROW),
    ]
    assert result.errors[-1].params == {"other_line": 11}
    assert result.errors[4].params == {"type": "essay"}
    assert len(result.records) == 2


def test_english_and_vietnamese_type_names_and_difficulty_words(make_xlsx):
    header = ["Loại", "Nội dung", "Phương án A", "Phương án B", "Đáp án", "Độ khó"]
    rows = [
        ["Trắc nghiệm một đáp án", "q1", "a", "b", "B", "Dễ"],
        ["single_choice", "q2", "a", "b", "a", "trung binh"],
        ["Nhiều đáp án", "q3", "a", "b", "A;B", "KHÓ"],
        ["multiple_response", "q4", "a", "b", "AB", 3],
        ["Đúng/Sai", "q5", "", "", "Sai", 1.0],
        ["dung_sai", "q6", "Sai", "Đúng", "B", ""],
        ["true_false", "q7", "", "", True, "easy"],
        ["Điền khuyết", "q8", "", "", "x|y", "medium"],
        ["short_answer", "q9", "", "", "z", "hard"],
    ]
    result = parse(make_xlsx([header, *rows]), "bank.xlsx")
    assert result.errors == ()
    types = [record.type for record in result.records]
    assert (
        types
        == ["single_choice"] * 2
        + ["multiple_response"] * 2
        + ["true_false"] * 3
        + ["fill_blank"] * 2
    )
    assert [record.difficulty for record in result.records] == [1, 2, 3, 3, 1, None, 1, 2, 3]
    q6 = result.records[5]
    assert [option.text for option in q6.options] == ["Đúng", "Sai"]
    assert q6.options[0].fraction == 1.0  # B was "Đúng"


def test_weights_pinned_and_conflicts(make_xlsx):
    header = ["type", "stem", "option_a", "option_b", "option_c", "correct", "weights", "pinned"]
    rows = [
        ["multiple_response", "w1", "a", "b", "c", "", "0.5;0,5;-1", "C"],
        ["multiple_response", "w2", "a", "b", "c", "A,C", "", ""],
        ["single_choice", "w3", "a", "b", "c", "A", "100%;50%;-25%", "B,C"],
        ["multiple_response", "w4", "a", "b", "c", "A", "50%;50%;0", ""],
        ["multiple_response", "w5", "a", "b", "c", "A,B", "50%;50%", ""],
        ["single_choice", "w6", "a", "b", "c", "A", "lots;0;0", ""],
        ["single_choice", "w7", "a", "b", "c", "A", "", "Z"],
        ["multiple_response", "w8", "a", "b", "c", "A,B,C", "1/3;1/3;1/3", ""],
    ]
    result = parse(make_xlsx([header, *rows]), "bank.xlsx")
    records = {record.stem: record for record in result.records}
    assert [o.fraction for o in records["w1"].options] == [0.5, 0.5, -1.0]
    assert [o.pinned for o in records["w1"].options] == [False, False, True]
    assert [o.fraction for o in records["w2"].options] == [0.5, 0.0, 0.5]
    assert [o.fraction for o in records["w3"].options] == [1.0, 0.5, -0.25]
    assert [o.fraction for o in records["w8"].options] == [0.3333333] * 3
    assert _messages(result) == [
        (5, "weights", msg.WEIGHTS_CONFLICT),
        (6, "weights", msg.WEIGHTS_COUNT),
        (7, "weights", msg.WEIGHT_INVALID),
        (8, "pinned", msg.LETTERS_INVALID),
    ]


def test_fill_blank_answer_syntax(make_xlsx):
    header = ["type", "stem", "correct", "match"]
    rows = [
        ["fill_blank", "Năm ____ tại ____.", "1945||Ba Đình|%50%Ba Dinh", ""],
        ["fill_blank", "Pipe", r"a\|b|\%50", "ignore_accents"],
        ["fill_blank", "Bad weight", "%5x0%x", ""],
        ["fill_blank", "Too many groups ____", "a||b", ""],
    ]
    result = parse(make_xlsx([header, *rows]), "b.xlsx")
    first, second = result.records
    assert [[a.text for a in blank] for blank in first.blanks] == [["1945"], ["Ba Đình", "Ba Dinh"]]
    assert first.blanks[1][1].fraction == 0.5
    assert [a.text for a in second.answers] == ["a|b", "%50"]
    assert second.match == "ignore_accents"
    assert _messages(result) == [
        (4, "correct", msg.ANSWER_WEIGHT_INVALID),
        (5, "correct", msg.BLANK_COUNT_MISMATCH),
    ]


def test_cells_of_other_types_and_formulas_read_as_text(make_xlsx):
    header = ["type", "stem", "option_a", "option_b", "correct"]
    rows = [["single_choice", "Ngày Quốc khánh?", dt.datetime(1945, 9, 2), 2.5, "A"]]
    result = parse(make_xlsx([header, *rows]), "b.xlsx")
    assert [o.text for o in result.records[0].options] == ["02/09/1945", "2.5"]


def test_missing_required_columns_stop_with_a_header_error(make_xlsx):
    result = parse(make_xlsx([["type", "option_a"], ["single_choice", "a"]]), "b.xlsx")
    assert _messages(result) == [
        (1, "stem", msg.HEADER_MISSING),
        (1, "correct", msg.HEADER_MISSING),
    ]
    assert parse(make_xlsx([["stem", "stem", "correct"]]), "b.xlsx").errors[0].message_id == (
        msg.HEADER_DUPLICATE
    )


def test_empty_and_broken_workbooks(make_xlsx):
    assert parse(make_xlsx([]), "e.xlsx").errors[0].message_id == msg.SHEET_EMPTY
    assert parse(make_xlsx([EN_HEADER]), "e.xlsx").errors[0].message_id == msg.NO_QUESTIONS
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert parse(ole, "old.xls").errors[0].message_id == msg.LEGACY_XLS
    assert parse(b"PK\x03\x04garbage", "bad.xlsx").errors[0].message_id in (
        msg.ZIP_INVALID,
        msg.NOT_XLSX,
    )


def test_nfc_and_nfd_rows_are_equal_and_duplicates(make_xlsx):
    composed = "Thủ đô của Việt Nam là thành phố nào?"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    header = ["stem", "option_a", "option_b", "correct"]
    nfd = [unicodedata.normalize("NFD", text) for text in ("Hà Nội", "Huế")]
    rows = [[composed, "Hà Nội", "Huế", "A"], [decomposed, *nfd, "A"]]
    result = parse(make_xlsx([header, *rows]), "b.xlsx")
    first, second = result.records
    assert first == second
    assert first.stem == composed
    assert _messages(result) == [(3, "stem", msg.DUPLICATE_ROW)]


def test_csv_encodings(fixture_bytes):
    text = fixture_bytes("csv/semicolon.csv").decode("utf-8")
    reference = parse(text.encode("utf-8"), "a.csv").records
    for data in (codecs.BOM_UTF8 + text.encode("utf-8"), text.encode("utf-16")):
        result = parse(data, "a.csv")
        assert result.errors == ()
        assert result.records == reference
    legacy = unicodedata.normalize("NFD", "stem,correct\nok,A\nHòa bình,A\n").encode("cp1258")
    errors = parse(legacy, "legacy.csv").errors
    assert [(e.line, e.field, e.message_id) for e in errors] == [
        (3, "encoding", msg.ENCODING_LEGACY)
    ]
    assert "line 3" in errors[0].render()


def test_csv_tabs_and_a_broken_quote():
    data = b"stem\tcorrect\toption_a\toption_b\nQ\tA\tx\ty\n"
    assert len(parse(data, "t.csv").records) == 1
    broken = b'stem,correct,option_a,option_b\nQ,A,x,y\n"never closed,A,x,y\n'
    result = parse(broken, "b.csv", fmt="csv")
    assert len(result.records) == 1
    assert [(e.line, e.message_id) for e in result.errors] == [(3, msg.CSV_MALFORMED)]


def test_csv_export_guards_formulas_and_reads_them_back():
    from question_bank.formats import Option, QuestionRecord

    record = QuestionRecord(
        type="single_choice",
        stem='=HYPERLINK("http://evil")',
        options=(Option("-5", 1.0), Option("+5"), Option("@x")),
    )
    data = export([record], "csv")
    assert b"'=HYPERLINK" in data and b"'-5" in data
    assert parse(data, "x.csv").records == (record,)


def test_five_thousand_rows_parse(make_xlsx):
    header = ["type", "stem", "option_a", "option_b", "option_c", "option_d", "correct", "do_kho"]
    rows = [
        ["mot_dap_an", f"Câu hỏi số {n}: 2 + {n} = ?", f"{n + 2}", f"{n + 3}", f"{n + 4}",
         f"{n + 5}", "A", "2"]
        for n in range(5000)
    ]  # fmt: skip
    result = parse(make_xlsx([header, *rows]), "big.xlsx")
    assert result.errors == ()
    assert len(result.records) == 5000
    assert result.records[-1].location == 5001


def test_malicious_cells_are_cleaned(make_xlsx):
    header = ["stem", "option_a", "option_b", "correct"]
    rows = [
        ['<p onclick="x()">Q<script>alert(1)</script></p>', '<img src="a.png" onerror="y()">',
         '<a href="javascript:alert(1)">b</a>', "A"],
        ["<script>alert(2)</script>plain?", "a", "b", "A"],
    ]  # fmt: skip
    first, second = parse(make_xlsx([header, *rows]), "m.xlsx").records
    assert first.stem == "<p>Q</p>"
    assert [o.text for o in first.options] == ['<img src="a.png">', "b"]
    assert first.media == ("a.png",)
    assert "<script" not in second.stem and "alert(2)" not in second.stem
