"""Format detection from file names and content."""

import pytest

from question_bank.formats import (
    FORMATS,
    UnknownFormatError,
    detect_format,
    export,
    parse,
    template_csv,
    template_xlsx,
)
from question_bank.formats import messages as msg


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("gift/basic.gift", "gift"),
        ("aiken/basic.txt", "aiken"),
        ("moodle/quiz.xml", "moodle-xml"),
        ("qti/choice_v21.xml", "qti"),
        ("qti/truefalse_v30.xml", "qti"),
        ("qti/test_v21.xml", "qti"),
        ("csv/semicolon.csv", "csv"),
    ],
)
def test_detect_fixture_files(fixture_bytes, name, fmt):
    data = fixture_bytes(name)
    assert detect_format(name.rsplit("/", 1)[-1], data) == fmt
    # Content alone is enough once the extension says nothing.
    assert detect_format("upload.txt" if fmt != "csv" else "upload", data) == fmt


def test_detect_by_content_for_gift_in_a_txt_file(fixture_bytes):
    assert detect_format("cau-hoi.txt", fixture_bytes("gift/basic.gift")) == "gift"
    assert detect_format("questions", fixture_bytes("moodle/quiz.xml")) == "moodle-xml"


def test_detect_zip_kinds(make_zip, sample_records):
    assert detect_format("bank.bin", template_xlsx("vi")) == "xlsx"
    assert detect_format("export.bin", export(sample_records, "qti")) == "qti"
    assert detect_format("x.zip", make_zip({"readme.txt": b"hi"})) == "qti"
    assert detect_format("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 8) == "xlsx"
    assert detect_format("t.csv", template_csv("en")) == "csv"


def test_unknown_content():
    with pytest.raises(UnknownFormatError):
        detect_format("notes.txt", b"Just some notes without questions.")
    with pytest.raises(UnknownFormatError):
        detect_format("page.xml", b"<html><body/></html>")
    result = parse(b"Just some notes.", "notes.txt")
    assert [(e.field, e.message_id) for e in result.errors] == [("file", msg.UNKNOWN_FORMAT)]


def test_registry_lists_the_formats():
    assert set(FORMATS) == {"xlsx", "csv", "gift", "moodle-xml", "aiken", "qti"}
    exportable = {name for name, fmt in FORMATS.items() if fmt.exporter}
    assert {"xlsx", "gift", "moodle-xml", "qti"} <= exportable
    with pytest.raises(ValueError):
        parse(b"", "x", fmt="docx")
    with pytest.raises(ValueError):
        export([], "aiken")
