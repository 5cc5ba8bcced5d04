"""Export then parse gives back the same records, in every exporting format."""

import dataclasses
import io
import zipfile

import pytest

from question_bank.formats import ExportError, Option, QuestionRecord, export, parse
from question_bank.formats import messages as msg

FORMATS = ["xlsx", "csv", "gift", "moodle-xml", "qti"]
MEDIA = {
    "images/map.png": b"\x89PNG map",
    "images/a.png": b"\x89PNG a",
    "images/extra.png": b"\x89PNG extra",
}
FILENAMES = {
    "xlsx": "x.xlsx",
    "csv": "x.csv",
    "gift": "x.gift",
    "moodle-xml": "x.xml",
    "qti": "x.zip",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_without_loss(fmt, sample_records):
    data = export(sample_records, fmt)
    result = parse(data, FILENAMES[fmt])
    assert result.errors == ()
    assert list(result.records) == sample_records
    assert [r.to_json() for r in result.records] == [r.to_json() for r in sample_records]


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_is_stable_after_a_second_pass(fmt, sample_records):
    first = parse(export(sample_records, fmt), FILENAMES[fmt]).records
    assert parse(export(first, fmt), FILENAMES[fmt]).records == first


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "qti"])
def test_several_blanks_round_trip(fmt, multi_blank_record):
    result = parse(export([multi_blank_record], fmt), FILENAMES[fmt])
    assert result.errors == ()
    assert result.records == (multi_blank_record,)


@pytest.mark.parametrize("fmt", ["gift", "moodle-xml"])
def test_several_blanks_are_refused_where_the_format_cannot_hold_them(fmt, multi_blank_record):
    with pytest.raises(ExportError) as caught:
        export([multi_blank_record], fmt)
    assert [e.message_id for e in caught.value.errors] == [msg.EXPORT_MULTI_BLANK]


def test_invalid_records_are_not_exported():
    bad = QuestionRecord(type="single_choice", stem="x", options=(Option("a"), Option("b")))
    with pytest.raises(ExportError) as caught:
        export([bad], "gift")
    assert caught.value.errors[0].line == 1
    assert caught.value.errors[0].message_id == msg.SINGLE_NEEDS_ONE_CORRECT


@pytest.mark.parametrize("fmt", ["moodle-xml", "qti"])
def test_media_bytes_travel_with_the_export(fmt, sample_records):
    result = parse(export(sample_records, fmt, media=MEDIA), FILENAMES[fmt])
    assert result.errors == ()
    assert list(result.records) == sample_records
    assert dict(result.media) == MEDIA


def test_qti_export_is_a_qti3_content_package(sample_records):
    archive = zipfile.ZipFile(io.BytesIO(export(sample_records, "qti", media=MEDIA)))
    names = archive.namelist()
    assert names[0] == "imsmanifest.xml"
    assert "images/map.png" in names
    item = archive.read("item-00001.xml").decode()
    assert 'xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"' in item
    assert "qti-choice-interaction" in item and 'fixed="true"' in item
    assert "rptemplates/map_response.xml" in item  # partial credit -> map_response


@pytest.mark.parametrize(
    "name",
    ["gift/basic.gift", "moodle/quiz.xml", "csv/semicolon.csv", "aiken/basic.txt",
     "qti/choice_v21.xml", "qti/multiple_v21.xml", "qti/multi_blank_v30.xml"],
)  # fmt: skip
@pytest.mark.parametrize("fmt", FORMATS)
def test_fixtures_survive_every_exporter(fixture_bytes, name, fmt):
    records = parse(fixture_bytes(name), name.rsplit("/", 1)[-1]).records
    assert records
    if fmt in ("gift", "moodle-xml"):
        records = tuple(r for r in records if len(r.blanks) <= 1)
    again = parse(export(records, fmt), FILENAMES[fmt]).records
    assert again == records


def test_export_languages_for_spreadsheets(sample_records):
    for lang in ("vi", "en"):
        data = export(sample_records, "xlsx", lang=lang)
        assert list(parse(data, "x.xlsx").records) == sample_records
    header = export(sample_records[:1], "csv", lang="vi").decode("utf-8-sig").split("\r\n")[0]
    assert header.startswith("Loại,Câu hỏi,Phương án A")


def test_records_differing_in_any_field_do_not_compare_equal(sample_records):
    record = sample_records[0]
    for change in ({"difficulty": 2}, {"tags": ("x",)}, {"source": None}, {"category": "Khác"}):
        assert dataclasses.replace(record, **change) != record
