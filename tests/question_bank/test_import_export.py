"""Import (all or nothing, duplicates, media) and export (round trips) through the services."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from sqlalchemy import func, select

from exam_server.models import AuditEntry, Item, ItemVersion, Topic
from exam_server.models.bank import BankAccess, ItemVersionMedia, MediaFile
from question_bank.exporting import EXPORT_FORMATS, export_subject, subject_records
from question_bank.formats import ExportError, duplicate_key, parse
from question_bank.importing import import_file
from question_bank.media import candidate_may_fetch, sniff
from tests.question_bank.factories_bank import HEADER_EN, bank_subject, staff, workbook

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
ROWS = [
    HEADER_EN,
    (
        "single_choice",
        "Hiến pháp năm nào?",
        "1992",
        "2013",
        "1980",
        "1946",
        "B",
        "Pháp luật/Hiến pháp",
        1,
        "luật, hiến pháp",
    ),
    (
        "multiple_response",
        "Cơ quan hành chính?",
        "Chính phủ",
        "Tòa án",
        "UBND tỉnh",
        "Quốc hội",
        "A, C",
        "Quản lý nhà nước",
        2,
        "",
    ),
    ("true_false", "Nước sôi ở 100 °C.", "", "", "", "", "Đúng", "", 1, ""),
    ("fill_blank", "Thủ đô là ____.", "", "", "", "", "Hà Nội|Ha Noi", "Địa lý", 3, "địa lý"),
]


@pytest.fixture
def subject(db, clock, ctx):
    return bank_subject(db, clock.now, code="GK", kind="administrative", topics=())


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_a_clean_file_becomes_drafts_with_topics_and_tags(db, clock, subject):
    author = staff(db, clock.now, "examiner", subjects=[subject])
    report = import_file(
        db, data=workbook(ROWS), filename="bank.xlsx", subject=subject, actor=author, now=clock.now
    )
    assert report.ok and report.format == "xlsx" and len(report.item_ids) == 4
    items = db.scalars(select(Item).where(Item.id.in_(report.item_ids)).order_by(Item.id)).all()
    assert {item.status for item in items} == {"draft"}
    assert [item.difficulty for item in items] == [1, 2, 1, 3]
    topics = {t.id: t for t in db.scalars(select(Topic).where(Topic.subject_id == subject.id))}
    leaf = topics[items[0].topic_id]
    assert leaf.name == "Hiến pháp" and topics[leaf.parent_id].name == "Pháp luật"
    assert topics[items[2].topic_id].code == "general"  # no category: the default topic
    assert sorted(t.name for t in items[0].tags) == ["hiến pháp", "luật"]
    fill = db.scalar(select(ItemVersion).where(ItemVersion.item_id == items[3].id))
    assert fill.content["blanks"][0]["answers"] == [
        {"text": "Hà Nội", "fraction": 1.0},
        {"text": "Ha Noi", "fraction": 1.0},
    ]
    assert fill.content["options"] == []
    multi = db.scalar(select(ItemVersion).where(ItemVersion.item_id == items[1].id))
    assert [o["fraction"] for o in multi.content["options"]] == [0.5, 0.0, 0.5, 0.0]
    audit_row = db.scalar(select(AuditEntry).where(AuditEntry.action == "bank_import"))
    assert audit_row.details["items"] == 4 and audit_row.actor_id == author.id


def test_one_bad_row_means_nothing_is_written(db, clock, subject):
    rows = [*ROWS, ("single_choice", "Broken?", "x", "y", "", "", "D", "", 1, "")]
    report = import_file(
        db, data=workbook(rows), filename="bad.xlsx", subject=subject, actor=None, now=clock.now
    )
    assert not report.ok and report.item_ids == []
    assert [(e.file, e.line) for e in report.errors] == [("bad.xlsx", 6)]
    assert count(db, Item, Item.subject_id == subject.id) == 0


def test_errors_render_in_the_ui_language(app, db, clock, subject):
    rows = [HEADER_EN, ("single_choice", "Q?", "a", "b", "", "", "", "", 1, "")]
    report = import_file(
        db, data=workbook(rows), filename="x.xlsx", subject=subject, actor=None, now=clock.now
    )
    from flask_babel import force_locale, gettext

    with force_locale("vi"):
        vietnamese = report.errors[0].render(gettext)
    with force_locale("en"):
        english = report.errors[0].render(gettext)
    assert english == "No correct answer is given." and vietnamese != english
    assert report.to_json()["errors"][0]["line"] == 2


def test_duplicates_against_the_bank_are_reported(db, clock, subject):
    first = import_file(
        db, data=workbook(ROWS), filename="a.xlsx", subject=subject, actor=None, now=clock.now
    )
    assert first.ok
    again = import_file(
        db, data=workbook(ROWS[:3]), filename="b.xlsx", subject=subject, actor=None, now=clock.now
    )
    assert [(e.line, e.field) for e in again.errors] == [(2, "stem"), (3, "stem")]
    assert str(first.item_ids[0]) in again.errors[0].render()
    assert count(db, Item, Item.subject_id == subject.id) == 4


def test_a_dry_run_writes_nothing_and_lists_records(db, clock, subject):
    report = import_file(
        db,
        data=workbook(ROWS),
        filename="bank.xlsx",
        subject=subject,
        actor=None,
        now=clock.now,
        dry_run=True,
    )
    assert report.ok and report.item_ids == [] and len(report.records) == 4
    assert count(db, Item) == 0
    item = report.to_json()["items"][0]
    assert item["options"][1] == {"text": "2013", "fraction": 1.0, "pinned": False}
    assert item["category"] == "Pháp luật/Hiến pháp" and item["tags"] == ["luật", "hiến pháp"]


def test_four_option_rule_is_a_warning_not_an_error(db, clock, subject):
    rows = [HEADER_EN, ("single_choice", "Two options?", "a", "b", "", "", "A", "", 1, "")]
    report = import_file(
        db, data=workbook(rows), filename="w.xlsx", subject=subject, actor=None, now=clock.now
    )
    assert report.ok and len(report.item_ids) == 1
    assert [(w.line, w.field) for w in report.warnings] == [(2, "options")]


GIFT_WITH_IMAGE = """::q1:: Which flag is this? <img src="flag.png" alt="flag"> {
=Viet Nam
~Laos
~Cambodia
~Thailand
}
"""


def test_media_are_stored_by_hash_and_linked(db, clock, subject):
    report = import_file(
        db,
        data=GIFT_WITH_IMAGE.encode(),
        filename="flags.gift",
        subject=subject,
        actor=None,
        now=clock.now,
        files={"flag.png": PNG},
    )
    assert report.ok, [e.render() for e in report.errors]
    version = db.scalar(select(ItemVersion).where(ItemVersion.item_id == report.item_ids[0]))
    media = db.scalar(select(MediaFile))
    assert media.content_type == "image/png" and media.data == PNG
    assert f'src="/bank/media/{media.sha256}"' in version.stem
    assert db.scalar(select(ItemVersionMedia.sha256)) == media.sha256
    assert not candidate_may_fetch(db, 12345, media.sha256)


def test_missing_unsafe_and_external_media_are_errors(db, clock, subject):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    text = (
        GIFT_WITH_IMAGE
        + "\n"
        + GIFT_WITH_IMAGE.replace("q1", "q2")
        .replace("flag.png", "https://example.org/x.png")
        .replace("Which", "What")
    )
    report = import_file(
        db,
        data=text.encode(),
        filename="f.gift",
        subject=subject,
        actor=None,
        now=clock.now,
        files={"flag.png": svg},
    )
    messages = [e.render() for e in report.errors]
    assert any("not an allowed image" in m for m in messages)
    assert any("internet" in m for m in messages)
    missing = import_file(
        db,
        data=GIFT_WITH_IMAGE.encode(),
        filename="f.gift",
        subject=subject,
        actor=None,
        now=clock.now,
    )
    assert "flag.png" in missing.errors[0].render() and count(db, MediaFile) == 0


def test_sniffing_decides_the_type_not_the_name():
    assert sniff(PNG) == "image/png"
    assert sniff(b"<html><script>") is None
    assert sniff(b"ID3\x03\x00rest") == "audio/mpeg"


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_then_import_round_trips(db, clock, subject, fmt):
    first = import_file(
        db, data=workbook(ROWS), filename="a.xlsx", subject=subject, actor=None, now=clock.now
    )
    assert first.ok
    result = export_subject(db, subject, fmt, actor=None, now=clock.now)
    assert result.count == 4 and result.filename.startswith("GK")
    target = bank_subject(db, clock.now, code=f"T-{fmt}", kind="it", topics=())
    again = import_file(
        db, data=result.data, filename=result.filename, subject=target, actor=None, now=clock.now
    )
    assert again.ok, [e.render() for e in again.errors]
    before, _m, _ids = subject_records(db, subject)
    after, _m, _ids = subject_records(db, target)
    assert [duplicate_key(r) for r in before] == [duplicate_key(r) for r in after]
    assert [(r.type, r.category, r.difficulty, r.tags) for r in before] == [
        (r.type, r.category, r.difficulty, r.tags) for r in after
    ]
    access = db.scalar(select(BankAccess).where(BankAccess.action == "export"))
    assert access.item_ids == sorted(first.item_ids) and access.details["format"] == fmt


def test_qti_export_carries_the_images(db, clock, subject):
    import_file(
        db,
        data=GIFT_WITH_IMAGE.encode(),
        filename="flags.gift",
        subject=subject,
        actor=None,
        now=clock.now,
        files={"flag.png": PNG},
    )
    result = export_subject(db, subject, "qti", actor=None, now=clock.now)
    names = zipfile.ZipFile(io.BytesIO(result.data)).namelist()
    assert any(name.endswith(".png") for name in names)
    parsed = parse(result.data, result.filename)
    assert parsed.ok and list(parsed.media.values()) == [PNG]


def test_an_unwritable_question_is_an_export_error(db, clock, subject):
    rows = [HEADER_EN, ("fill_blank", "Năm ____ ngày ____", "", "", "", "", "1945||2/9", "", 1, "")]
    assert import_file(
        db, data=workbook(rows), filename="m.xlsx", subject=subject, actor=None, now=clock.now
    ).ok
    with pytest.raises(ExportError):
        export_subject(db, subject, "gift", actor=None, now=clock.now)
