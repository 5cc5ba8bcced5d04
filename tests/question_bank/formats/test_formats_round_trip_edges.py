"""Values that once did not survive export then import, checked with hand-made records and files.

A 0% accepted answer (QTI dropped it), a blank that repeats an accepted answer (now refused
everywhere, as is a pair of answers the blank's matching cannot tell apart but credits
differently), a text starting with an apostrophe (CSV), a tag holding a comma or semicolon
(xlsx, csv) and a short answer starting with "[" (GIFT).
"""

import csv
import io
import zipfile

import pytest

from question_bank.formats import Answer, ExportError, Option, QuestionRecord, export, parse

FORMATS = ["xlsx", "csv", "gift", "moodle-xml", "qti"]
FILENAMES = {
    "xlsx": "x.xlsx",
    "csv": "x.csv",
    "gift": "x.gift",
    "moodle-xml": "x.xml",
    "qti": "x.zip",
}


def _round_trip(records: list[QuestionRecord], fmt: str) -> list[QuestionRecord]:
    result = parse(export(records, fmt), FILENAMES[fmt])
    assert [error.to_json() for error in result.errors] == []
    return list(result.records)


def _shown(result) -> list[tuple[int | None, str | None, str]]:
    return [(error.line, error.field, error.render()) for error in result.errors]


def _qti_item(*entries: tuple[str, str], case_sensitive: str = "false") -> bytes:
    mapping = "".join(
        f'<qti-map-entry map-key="{key}" mapped-value="{value}" case-sensitive="{case_sensitive}"/>'
        for key, value in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
    identifier="capital" title="Capital" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string">
    <qti-mapping default-value="0">{mapping}</qti-mapping>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <p>Thủ đô của Việt Nam là <qti-text-entry-interaction response-identifier="RESPONSE"/>.</p>
  </qti-item-body>
  <qti-response-processing
    template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml"/>
</qti-assessment-item>
""".encode()


# --- An accepted answer worth 0% -----------------------------------------------------------

ZERO_CREDIT = QuestionRecord(
    type="fill_blank",
    stem="Thủ đô của Việt Nam là ____.",
    answers=(Answer("Hà Nội"), Answer("Thăng Long", 0.5), Answer("Sài Gòn", 0.0)),
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_zero_credit_answer_comes_back_from_every_format(fmt):
    assert _round_trip([ZERO_CREDIT], fmt) == [ZERO_CREDIT]


def test_qti_writes_the_zero_credit_answer_as_a_map_entry():
    archive = zipfile.ZipFile(io.BytesIO(export([ZERO_CREDIT], "qti")))
    item = archive.read("item-00001.xml").decode()
    assert 'map-key="Sài Gòn" mapped-value="0.0"' in item


def test_qti_from_another_tool_keeps_a_key_mapped_to_zero():
    data = _qti_item(("Hà Nội", "2"), ("Sài Gòn", "0"), ("Huế", "-1"))
    result = parse(data, "capital.xml")
    assert result.errors == ()
    (record,) = result.records
    # A negative value means nothing for a typed answer and is left out, as before.
    assert [(a.text, a.fraction) for a in record.answers] == [("Hà Nội", 1.0), ("Sài Gòn", 0.0)]


# --- A blank that repeats an accepted answer -----------------------------------------------


def _fill(*answers: Answer, match: str | None = None, stem: str = "Năm ____?") -> QuestionRecord:
    return QuestionRecord(type="fill_blank", stem=stem, answers=answers, match=match)


SAME_ANSWER = (
    "Blank %s gives “%s” %s%% and “%s” %s%%, but its answer matching counts them as the same "
    "answer, so the higher credit always applies; give them the same credit or keep only one."
)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (_fill(Answer("1945"), Answer("1945", 0.5), match="exact"),
         "Blank 1 lists the accepted answer “1945” more than once; keep only one."),
        (_fill(Answer("Hà Nội"), Answer("Hà Nội")),
         "Blank 1 lists the accepted answer “Hà Nội” more than once; keep only one."),
        (_fill(Answer("Hà Nội"), Answer("hà  nội", 0.5)),
         SAME_ANSWER % (1, "Hà Nội", 100, "hà  nội", 50)),
        (_fill(Answer("Hà Nội", 0.5), Answer("Ha Noi"), match="ignore_accents"),
         SAME_ANSWER % (1, "Hà Nội", 50, "Ha Noi", 100)),
        (QuestionRecord(type="fill_blank", stem="Năm ____ tại ____.",
                        blanks=((Answer("1945"),), (Answer("Ba Đình"), Answer("BA ĐÌNH", 0.5)))),
         SAME_ANSWER % (2, "Ba Đình", 100, "BA ĐÌNH", 50)),
    ],
)  # fmt: skip
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_blank_repeating_an_answer_is_refused_by_every_exporter(record, message, fmt):
    with pytest.raises(ExportError) as caught:
        export([record], fmt)
    assert [(e.line, e.field, e.render()) for e in caught.value.errors] == [(1, "answers", message)]


@pytest.mark.parametrize(
    "record",
    [
        # Listing the spellings one accepts is redundant under a lenient matching, not wrong.
        _fill(Answer("Hà Nội"), Answer("Ha Noi"), Answer("HÀ NỘI"), match="ignore_accents"),
        _fill(Answer("Hà Nội"), Answer("hà nội", 0.0), match="exact"),
        _fill(Answer("Hà Nội"), Answer("Ha Noi", 0.5)),  # ignore_case keeps accents apart
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_spellings_the_matching_tells_apart_or_credits_alike_are_kept(record, fmt):
    assert _round_trip([record], fmt) == [record]


def test_a_spreadsheet_row_repeating_an_answer_names_row_and_column(make_xlsx):
    rows = [
        ["loai", "cau_hoi", "dap_an", "kieu_so_khop"],
        ["Điền khuyết", "Thủ đô của Việt Nam là ____.", "Hà Nội|Ha Noi|%50%HÀ NỘI", ""],
        ["Điền khuyết", "Thủ đô của Pháp là ____.", "Paris|Pa-ri|PARIS", "ignore_accents"],
        ["Điền khuyết", "Sông lớn nhất miền Bắc là ____.", "Hồng|Hồng", ""],
    ]
    result = parse(make_xlsx(rows), "bank.xlsx")
    assert [record.location for record in result.records] == [3]
    assert _shown(result) == [
        (2, "dap_an", SAME_ANSWER % (1, "Hà Nội", 100, "HÀ NỘI", 50)),
        (4, "dap_an", "Blank 1 lists the accepted answer “Hồng” more than once; keep only one."),
    ]


def test_a_gift_question_repeating_an_answer_names_its_line():
    data = "// first\n::Q1:: Thủ đô? {=Hà Nội =%50%Hà Nội}\n\n::Q2:: Số? {=4 =bốn}\n"
    result = parse(data.encode(), "bank.gift")
    assert len(result.records) == 1
    assert _shown(result) == [
        (2, "answers", "Blank 1 lists the accepted answer “Hà Nội” more than once; keep only one.")
    ]


def test_a_qti_mapping_repeating_a_key_is_reported_not_silently_collapsed():
    # The importer used to keep the last entry, so "Hà Nội" became worth 0%.
    data = _qti_item(("Hà Nội", "1"), ("Hà Nội", "0"), case_sensitive="true")
    result = parse(data, "capital.xml")
    assert result.records == ()
    assert _shown(result) == [
        (2, "answers", "Blank 1 lists the accepted answer “Hà Nội” more than once; keep only one.")
    ]


# --- A text starting with an apostrophe in CSV ---------------------------------------------

APOSTROPHES = QuestionRecord(
    type="single_choice",
    stem="'Quốc hội' là cơ quan nào?",
    options=(Option("'=B", 1.0), Option("''x"), Option("'Ý kiến'"), Option("=1+1")),
    tags=("'trích dẫn",),
    source="'=Đề 2023",
)


def test_csv_keeps_texts_starting_with_an_apostrophe():
    assert _round_trip([APOSTROPHES], "csv") == [APOSTROPHES]


def test_csv_cells_that_excel_would_run_stay_text():
    header, row = csv.reader(io.StringIO(export([APOSTROPHES], "csv").decode("utf-8-sig")))
    cells = dict(zip(header, row, strict=True))
    # One apostrophe more before a text starting with "=" or with an apostrophe.
    assert [cells["Câu hỏi"], cells["Thẻ"], cells["Nguồn"]] == [
        "''Quốc hội' là cơ quan nào?",
        "''trích dẫn",
        "''=Đề 2023",
    ]
    options = [cells[f"Phương án {letter}"] for letter in "ABCD"]
    assert options == ["''=B", "'''x", "''Ý kiến'", "'=1+1"]


def test_hand_written_csv_apostrophes():
    data = b"stem,option_a,option_b,option_c,correct\n'=SUM(A1),''=x,'abc,'-1,A\n"
    (record,) = parse(data, "bank.csv").records
    assert record.stem == "=SUM(A1)"
    assert [o.text for o in record.options] == ["'=x", "'abc", "-1"]


# --- A tag holding a comma or semicolon ----------------------------------------------------

TAGGED = QuestionRecord(
    type="true_false",
    stem="Luật Cán bộ, công chức được thông qua năm 2008.",
    options=(Option("Đúng", 1.0, True), Option("Sai", 0.0, True)),
    tags=("Luật, nghị định", "a;b", "C\\C++", "pháp luật"),
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_tag_holding_a_comma_comes_back_from_every_format(fmt):
    assert _round_trip([TAGGED], fmt) == [TAGGED]


def test_spreadsheet_tags_escape_separators_inside_a_tag():
    text = export([TAGGED], "csv").decode("utf-8-sig")
    assert '"Luật\\, nghị định, a\\;b, C\\\\C++, pháp luật"' in text


def test_hand_written_tags_cell_with_escaped_separators(make_xlsx):
    rows = [
        ["stem", "option_a", "option_b", "correct", "tags"],
        ["Câu 1", "x", "y", "A", "Luật\\, nghị định; thủ tục, C\\C++"],
    ]
    (record,) = parse(make_xlsx(rows), "bank.xlsx").records
    assert record.tags == ("Luật, nghị định", "thủ tục", "C\\C++")


# --- A GIFT short answer starting with "[" -------------------------------------------------

BRACKETS = QuestionRecord(
    type="fill_blank",
    stem="Chỉ số đầu tiên của mảng a là ____.",
    answers=(Answer("[0]"), Answer("[html]0", 0.5)),
    match="exact",
)


def test_gift_keeps_a_short_answer_starting_with_a_bracket():
    data = export([BRACKETS], "gift")
    assert "\t=[0]\n" in data.decode() and "[html][0]" not in data.decode()
    assert _round_trip([BRACKETS], "gift") == [BRACKETS]


def test_hand_written_gift_short_answers_with_brackets():
    data = "Chỉ số đầu tiên? {=[0] =%50%[zero]}\n".encode()
    (record,) = parse(data, "bank.gift").records
    assert [(a.text, a.fraction) for a in record.answers] == [("[0]", 1.0), ("[zero]", 0.5)]
