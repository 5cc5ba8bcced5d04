"""QTI 2.1 and 3.0 items, tests and content packages; zip safety."""

import io
import zipfile
from pathlib import Path

import pytest

from question_bank.formats import BLANK, parse
from question_bank.formats import messages as msg

PACKAGE = Path(__file__).parent / "fixtures" / "qti" / "package"


def _package_files() -> dict[str, bytes]:
    return {
        path.relative_to(PACKAGE).as_posix(): path.read_bytes()
        for path in sorted(PACKAGE.rglob("*"))
        if path.is_file()
    }


def _errors(result):
    return [(error.file, error.line, error.field, error.message_id) for error in result.errors]


def test_qti21_single_choice_with_prompt_shuffle_and_fixed(fixture_bytes):
    result = parse(fixture_bytes("qti/choice_v21.xml"), "choice.xml")
    assert result.errors == ()
    (record,) = result.records
    assert record.type == "single_choice"
    assert "Đọc đoạn sau" in record.stem and "<strong>thành phố nào</strong>" in record.stem
    assert "No" not in record.options[2].text  # inline feedback is not option text
    assert [(o.text, o.fraction, o.pinned) for o in record.options] == [
        ("Huế", 0.0, False),
        ("Hà Nội", 1.0, False),
        ("Đà Nẵng", 0.0, False),
        ("Tất cả các phương án trên", 0.0, True),
    ]


def test_qti21_mapping_is_normalised_to_the_item_maximum(fixture_bytes):
    (record,) = parse(fixture_bytes("qti/multiple_v21.xml"), "multi.xml").records
    assert record.type == "multiple_response"
    assert [o.fraction for o in record.options] == [0.5, 0.5, -0.25, 0.0]
    assert all(o.pinned for o in record.options)  # shuffle="false"


def test_qti30_true_false_is_detected(fixture_bytes):
    (record,) = parse(fixture_bytes("qti/truefalse_v30.xml"), "tf.xml").records
    assert record.type == "true_false"
    assert [(o.text, o.fraction) for o in record.options] == [("Đúng", 0.0), ("Sai", 1.0)]
    assert record.stem == "<p>The Earth is flat.</p>"


def test_qti30_text_entry_becomes_fill_blank(fixture_bytes):
    (record,) = parse(fixture_bytes("qti/text_entry_v30.xml"), "te.xml").records
    assert record.type == "fill_blank"
    assert record.stem == f"<p>Thủ đô của Việt Nam là {BLANK}.</p>"
    assert [(a.text, a.fraction) for a in record.answers] == [("Hà Nội", 1.0), ("Ha Noi", 0.5)]
    assert record.match == "ignore_case"


def test_qti30_several_blanks(fixture_bytes):
    (record,) = parse(fixture_bytes("qti/multi_blank_v30.xml"), "mb.xml").records
    assert [[a.text for a in blank] for blank in record.blanks] == [["1945"], ["Ba Đình"]]
    assert record.answers == record.blanks[0]
    assert record.stem.count(BLANK) == 2
    assert record.match == "exact"


@pytest.mark.parametrize(
    ("name", "field", "message"),
    [
        ("qti/unsupported_v21.xml", "itemBody", msg.TYPE_UNSUPPORTED),
        ("qti/custom_rp_v21.xml", "responseProcessing", msg.QTI_RP_CUSTOM),
    ],
)
def test_unsupported_items_are_reported(fixture_bytes, name, field, message):
    result = parse(fixture_bytes(name), "item.xml")
    assert result.records == ()
    assert _errors(result) == [("item.xml", 2, field, message)]


def test_unsupported_interaction_is_named(fixture_bytes):
    result = parse(fixture_bytes("qti/unsupported_v21.xml"), "item.xml")
    assert result.errors[0].params == {"type": "orderInteraction"}
    assert "orderInteraction" in result.errors[0].render()


def test_a_test_file_alone_asks_for_the_package(fixture_bytes):
    result = parse(fixture_bytes("qti/test_v21.xml"), "test.xml")
    assert [(e.line, e.params["href"]) for e in result.errors] == [
        (5, "items/choice.xml"),
        (6, "items/text.xml"),
    ]


def test_content_package_with_media_and_a_missing_item(make_zip):
    result = parse(make_zip(_package_files()), "goi.zip")
    choice, text = result.records
    assert choice.location_file == "items/choice.xml"
    assert choice.stem == '<p>Which province is shown?<img src="images/pixel.png" alt="map"></p>'
    assert choice.media == ("images/pixel.png",)
    assert result.media == {"images/pixel.png": (PACKAGE / "images" / "pixel.png").read_bytes()}
    assert text.type == "fill_blank" and BLANK not in text.stem  # answer box after the text
    assert text.answers[0].text == "Hiến pháp" and text.match == "exact"
    assert _errors(result) == [
        ("goi.zip/imsmanifest.xml", 16, "href", msg.QTI_RESOURCE_MISSING),
    ]


def test_package_without_manifest_or_items(make_zip):
    result = parse(make_zip({"item.xml": b"<x/>"}), "p.zip", fmt="qti")
    assert [e.message_id for e in result.errors] == [msg.QTI_MANIFEST_MISSING]
    manifest = b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources/></manifest>'
    result = parse(make_zip({"imsmanifest.xml": manifest}), "p.zip")
    assert [e.message_id for e in result.errors] == [msg.QTI_NO_ITEMS]


def test_item_errors_name_the_file_inside_the_package(make_zip, fixture_bytes):
    files = _package_files()
    files["items/choice.xml"] = fixture_bytes("qti/unsupported_v21.xml")
    result = parse(make_zip(files), "p.zip")
    assert ("p.zip/items/choice.xml", 2, "itemBody", msg.TYPE_UNSUPPORTED) in _errors(result)


def test_not_qti_xml():
    result = parse(b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "x.xml", fmt="qti")
    assert [e.message_id for e in result.errors] == [msg.QTI_NOT_QTI]


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/passwd", "a/../../b.xml", "C:/x.xml"])
def test_zip_with_unsafe_names_is_refused(make_zip, name):
    result = parse(make_zip({"imsmanifest.xml": b"<manifest/>", name: b"x"}), "p.zip", fmt="qti")
    assert [e.message_id for e in result.errors] == [msg.ZIP_UNSAFE_NAME]


def test_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", b"<manifest/>")
        archive.writestr("bomb.bin", b"\0" * (20 * 1024 * 1024))
    result = parse(buffer.getvalue(), "bomb.zip", fmt="qti")
    assert [e.message_id for e in result.errors] == [msg.ZIP_RATIO]


def test_not_a_zip():
    result = parse(b"PK\x03\x04 broken", "p.zip", fmt="qti")
    assert [e.message_id for e in result.errors] == [msg.ZIP_INVALID]


def test_malicious_html_in_qti_is_cleaned():
    data = b"""<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x">
      <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
        <correctResponse><value>A</value></correctResponse></responseDeclaration>
      <itemBody><p onclick="x()">Hi<img src="javascript:alert(1)"/></p>
        <choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
          <simpleChoice identifier="A"><span onmouseover="y()">a</span></simpleChoice>
          <simpleChoice identifier="B">b</simpleChoice></choiceInteraction></itemBody>
    </assessmentItem>"""
    (record,) = parse(data, "x.xml").records
    texts = (record.stem + record.options[0].text).lower()
    assert "javascript" not in texts and "onclick" not in texts and "onmouseover" not in texts


def test_duplicates_across_package_files_name_both_files(make_zip, fixture_bytes):
    item = fixture_bytes("qti/choice_v21.xml")
    manifest = b"""<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>
      <resource identifier="a" type="imsqti_item_xmlv2p1" href="a.xml"/>
      <resource identifier="b" type="imsqti_item_xmlv2p1" href="b.xml"/>
    </resources></manifest>"""
    result = parse(make_zip({"imsmanifest.xml": manifest, "a.xml": item, "b.xml": item}), "p.zip")
    assert _errors(result) == [("p.zip/b.xml", 2, "stem", msg.DUPLICATE_FILE)]
    assert result.errors[0].params == {"other_file": "a.xml", "other_line": 2}


def test_corrupt_member_is_an_error(make_zip):
    data = bytearray(make_zip({"imsmanifest.xml": b"<manifest>" + b"x" * 2000 + b"</manifest>"}))
    data[60] ^= 0xFF  # inside the compressed manifest
    result = parse(bytes(data), "p.zip", fmt="qti")
    assert [e.message_id for e in result.errors] == [msg.ZIP_INVALID]
