"""The exam administrator's pages through the test client (CSRF on, Vietnamese by default)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from exam_server.models import Candidate, Exam, Form, Room, RoomSession, Shift
from exam_server.models.exams import RoomStaff
from tests.conftest import csrf_from
from tests.exam_server.setup.factories_setup import make_bank
from tests.factories import make_staff


def sign_in(client, db, clock, role="admin", username=None):
    make_staff(db, clock.now, role, username or role)
    token = csrf_from(client.get("/staff/login").text)
    page = client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username or role, "password": "correct-horse-42"},
    )
    assert page.status_code == 302
    return csrf_from(client.get("/staff/").text)


@pytest.fixture
def bank(db, clock):
    make_bank(db, clock.now, code="ENG", kind="foreign_language", per_cell=12)
    make_bank(db, clock.now, code="IT", kind="it", per_cell=12)


def create(client, token, code="TN1"):
    page = client.post(
        "/staff/exams/new",
        data={
            "csrf_token": token,
            "preset": "pilot_language_it",
            "code": code,
            "name": "Thi thử nghiệm",
        },
    )
    assert page.status_code == 302, page.text
    return page.headers["Location"]


def sheet(rows) -> bytes:
    book = Workbook()
    book.active.append(["SBD", "Họ và tên", "Ngày sinh", "Số CCCD", "Giới tính"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_create_from_a_preset_edit_a_part_and_publish(client, db, clock, bank):
    token = sign_in(client, db, clock)
    listing = client.get("/staff/exams/new")
    assert "Nghị định 170/2025" in listing.text or "Decree 170/2025" in listing.text
    location = create(client, token)
    exam = db.scalar(select(Exam).where(Exam.code == "TN1"))
    detail = client.get(location)
    assert detail.status_code == 200 and 'id="ready"' in detail.text
    part = exam.parts[0]
    edit = client.get(f"/staff/exams/{exam.id}/parts/{part.id}")
    assert edit.status_code == 200 and 'id="blueprint"' in edit.text
    form = {
        "csrf_token": token,
        "title": "Tiếng Anh (nghe, đọc)",
        "subject_id": str(part.subject_id),
        "item_count": "24",
        "duration_minutes": "35",
        "pass_basis": "share_correct",
        "pass_threshold": "0.6",
        "allowed_types": ["single_choice", "true_false"],
        "shuffle_items": "y",
        "shuffle_options": "y",
        "audio_play_limit": "",
        "bank_multiplier": "2",
        "form_mode": "pool",
        "pool_size": "12",
        "fairness_tolerance": "0.05",
        "max_exposure": "1",
        "neighbour_overlap_max": "0.1",
    }
    saved = client.post(f"/staff/exams/{exam.id}/parts/{part.id}", data=form)
    assert saved.status_code == 302
    db.expire_all()
    assert (part.title, part.item_count, part.pass_threshold, part.form_mode) == (
        "Tiếng Anh (nghe, đọc)",
        24,
        0.6,
        "pool",
    )
    assert part.audio_play_limit is None and part.allowed_types == ["single_choice", "true_false"]
    detail = client.get(location)
    assert 'id="problems"' in detail.text and "24" in detail.text  # blueprint draws 20 of 24
    cells = {f"count_{c['topic_id']}_{c['difficulty']}": str(c["count"]) for c in part.blueprint}
    first = next(iter(cells))
    cells[first] = str(int(cells[first]) + 2)
    second = list(cells)[1]
    cells[second] = str(int(cells[second]) + 2)
    saved = client.post(
        f"/staff/exams/{exam.id}/parts/{part.id}/blueprint",
        data={"csrf_token": token, "points_1": "1", "points_2": "1", "points_3": "1", **cells},
    )
    assert saved.status_code == 302
    db.expire_all()
    assert sum(c["count"] for c in part.blueprint) == 24
    assert 'id="ready"' in client.get(location).text
    published = client.post(f"/staff/exams/{exam.id}/publish", data={"csrf_token": token})
    assert published.status_code == 302
    db.expire_all()
    assert exam.status == "published"
    refused = client.post(
        f"/staff/exams/{exam.id}/parts/{part.id}", data=form | {"item_count": "30"}
    )
    assert refused.status_code == 200 and "flash-error" in refused.text
    db.expire_all()
    assert part.item_count == 24  # frozen


def test_a_refused_publication_lists_the_shortfall(client, db, clock, bank):
    token = sign_in(client, db, clock)
    create(client, token)
    exam = db.scalar(select(Exam).where(Exam.code == "TN1"))
    part = exam.parts[1]
    cells = {f"count_{c['topic_id']}_{c['difficulty']}": str(c["count"]) for c in part.blueprint}
    first = next(iter(cells))
    cells[first] = "13"
    client.post(
        f"/staff/exams/{exam.id}/parts/{part.id}/blueprint",
        data={"csrf_token": token, "points_1": "1", "points_2": "1", "points_3": "1", **cells},
    )
    page = client.post(
        f"/staff/exams/{exam.id}/publish", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Tin học" in page.text and "Chủ đề" in page.text
    db.expire_all()
    assert exam.status == "draft"


def test_candidates_import_errors_list_and_codes_pdf(client, db, clock, bank):
    token = sign_in(client, db, clock)
    create(client, token)
    exam = db.scalar(select(Exam).where(Exam.code == "TN1"))
    url = f"/staff/exams/{exam.id}/candidates"
    bad = client.post(
        url,
        data={
            "csrf_token": token,
            "file": (
                io.BytesIO(
                    sheet(
                        [
                            ["A1", "Lê Văn B", "01/01/1990", "001090000001", ""],
                            ["A1", "Lê C", "01/01/1990", "001090000002", ""],
                        ]
                    )
                ),
                "ds.xlsx",
            ),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 200 and 'id="import-errors"' in bad.text and "A1" in bad.text
    assert db.scalar(select(func.count(Candidate.id))) == 0
    good = client.post(
        url,
        data={
            "csrf_token": token,
            "file": (
                io.BytesIO(
                    sheet(
                        [
                            ["A1", "Trần Văn Bình", "01/01/1990", "001090000001", "Nam"],
                            ["A2", "Lê Thị An", "02/02/1991", "001091000002", "Nữ"],
                        ]
                    )
                ),
                "ds.xlsx",
            ),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    listing = client.get(url).text
    assert listing.index("Lê Thị An") < listing.index("Trần Văn Bình")
    slips = client.post(f"{url}/codes", data={"csrf_token": token})
    assert slips.status_code == 200 and slips.mimetype == "application/pdf"
    assert slips.headers["Cache-Control"] == "no-store"
    db.expire_all()
    assert all(c.access_code_hash for c in db.scalars(select(Candidate)))
    again = client.post(f"{url}/codes", data={"csrf_token": token})
    assert again.status_code == 302  # nobody is missing a code
    candidate = db.scalar(select(Candidate).where(Candidate.registration_number == "A1"))
    old_hash = candidate.access_code_hash
    one = client.post(f"{url}/{candidate.id}/code", data={"csrf_token": token})
    assert one.mimetype == "application/pdf"
    db.expire_all()
    assert candidate.access_code_hash != old_hash


def test_rooms_shifts_seating_staff_and_session_codes(client, db, clock, bank):
    token = sign_in(client, db, clock)
    create(client, token)
    exam = db.scalar(select(Exam).where(Exam.code == "TN1"))
    client.post(
        f"/staff/exams/{exam.id}/candidates",
        data={
            "csrf_token": token,
            "file": (
                io.BytesIO(
                    sheet(
                        [
                            [f"A{n}", f"Lê Văn {n}", "01/01/1990", f"00109000000{n}", ""]
                            for n in range(1, 6)
                        ]
                    )
                ),
                "ds.xlsx",
            ),
        },
        content_type="multipart/form-data",
    )
    base = f"/staff/exams/{exam.id}"
    assert (
        client.post(
            f"{base}/shifts",
            data={"csrf_token": token, "shift-name": "Ca 1", "shift-starts_at": "2026-12-01T08:00"},
        ).status_code
        == 302
    )
    shift = db.scalar(select(Shift).where(Shift.exam_id == exam.id))
    assert shift.starts_at.hour == 1  # 08:00 in Việt Nam is 01:00 UTC
    client.post(
        f"{base}/rooms",
        data={
            "csrf_token": token,
            "room-code": "p9",
            "room-name": "Phòng 9",
            "room-capacity": "6",
            "room-seats_per_row": "3",
            "room-spare_terminals": "1",
            "room-terminal_ips": "10.1.1.1\n10.1.1.2",
        },
    )
    room = db.scalar(select(Room).where(Room.code == "P9"))
    assert room.terminal_ips == ["10.1.1.1", "10.1.1.2"]
    seated = client.post(
        f"{base}/assign",
        data={
            "csrf_token": token,
            "assign-shifts": [str(shift.id)],
            "assign-rooms": [str(room.id)],
        },
    )
    assert seated.status_code == 302
    assert db.scalar(select(func.count(Candidate.id)).where(Candidate.seat.is_not(None))) == 5
    room_session = db.scalar(select(RoomSession))
    proctor = make_staff(db, clock.now, "head_proctor", "gt1")
    client.post(
        f"{base}/staff",
        data={
            "csrf_token": token,
            "staff-room_session_id": str(room_session.id),
            "staff-user_id": str(proctor.id),
            "staff-duty": "head_proctor",
        },
    )
    assert db.scalar(select(RoomStaff.role)) == "head_proctor"
    client.post(
        f"{base}/move",
        data={
            "csrf_token": token,
            "move-registration_number": "a1",
            "move-room_session_id": str(room_session.id),
            "move-seat": "6",
        },
    )
    assert db.scalar(select(Candidate.seat).where(Candidate.registration_number == "A1")) == 6
    page = client.get(f"{base}/rooms")
    assert page.status_code == 200 and "Phòng 9" in page.text
    codes = client.post(f"{base}/session-codes", data={"csrf_token": token})
    assert codes.mimetype == "application/pdf"
    db.expire_all()
    assert shift.session_code_hash
    lists = client.get(f"{base}/room-lists.pdf")
    assert lists.mimetype == "application/pdf"


def test_forms_page_shows_the_report_with_plots(client, db, clock, bank):
    token = sign_in(client, db, clock)
    create(client, token)
    exam = db.scalar(select(Exam).where(Exam.code == "TN1"))
    client.post(
        f"/staff/exams/{exam.id}/candidates",
        data={
            "csrf_token": token,
            "file": (
                io.BytesIO(sheet([["A1", "Lê Văn B", "01/01/1990", "001090000001", ""]])),
                "ds.xlsx",
            ),
        },
        content_type="multipart/form-data",
    )
    made = client.post(f"/staff/exams/{exam.id}/forms/generate", data={"csrf_token": token})
    assert made.status_code == 302
    assert db.scalar(select(func.count(Form.id))) == 4
    page = client.get(f"/staff/exams/{exam.id}/forms")
    assert page.status_code == 200 and "data:image/png;base64," in page.text
    assert client.get(f"/staff/exams/{exam.id}/forms/report.pdf").mimetype == "application/pdf"


def test_only_admins_change_exams_and_others_read(client, db, clock, bank):
    make_staff(db, clock.now, "admin", "admin")
    token = sign_in(client, db, clock, "council_member", "hd1")
    assert client.get("/staff/exams/new").status_code == 403
    assert client.get("/staff/exams/").status_code == 200
    proctor_client = client.application.test_client()
    token = csrf_from(proctor_client.get("/staff/login").text)
    make_staff(db, clock.now, "proctor", "gt9")
    proctor_client.post(
        "/staff/login",
        data={"csrf_token": token, "username": "gt9", "password": "correct-horse-42"},
    )
    assert proctor_client.get("/staff/exams/").status_code == 403


def test_a_missing_csrf_token_is_refused(client, db, clock, bank):
    sign_in(client, db, clock)
    page = client.post(
        "/staff/exams/new", data={"preset": "pilot_language_it", "code": "X", "name": "X"}
    )
    assert page.status_code in (400, 200)
    assert db.scalar(select(func.count(Exam.id))) == 0
