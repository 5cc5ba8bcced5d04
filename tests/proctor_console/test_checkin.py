"""Check-in: the room list in SBD or Vietnamese name order, attendance, late entry."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from exam_server.models import AuditEntry
from exam_server.models.proctor import ChairDecision, CheckIn
from proctor_console.checkin import CheckInInput, check_in, room_list
from proctor_console.decisions import DecisionInput
from proctor_console.errors import ConsoleRefused
from proctor_console.names import name_order_key
from tests.conftest import csrf_from
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import open_attempt, sign_in

NAMES = ["Nguyễn Văn Đức", "Trần Thị Dung", "Bùi Anh", "Đỗ Thị Ánh", "Ngô Anh", "Lê Thị Ơn"]


def test_vietnamese_name_order_puts_the_given_name_first():
    ordered = sorted(
        NAMES + ["Lê Thị On", "Lê Thị Ôn", "Phạm Ân", "Vũ Ăn", "Lê An"], key=name_order_key
    )
    assert ordered == [
        "Lê An",
        "Bùi Anh",  # same given name: the family and middle names decide
        "Ngô Anh",
        "Đỗ Thị Ánh",  # a tone only breaks the tie after the letters
        "Vũ Ăn",  # ă and â are letters of their own, after a
        "Phạm Ân",
        "Trần Thị Dung",
        "Nguyễn Văn Đức",  # đ comes after d
        "Lê Thị On",
        "Lê Thị Ôn",
        "Lê Thị Ơn",
    ]


def test_decomposed_input_sorts_like_composed():
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Đỗ Thị Ánh")
    assert name_order_key(decomposed) == name_order_key("Đỗ Thị Ánh")


def named_sitting(db, clock):
    sitting = make_sitting(db, clock.now, candidates=len(NAMES))
    for (candidate, _code), name in zip(sitting.candidates, NAMES, strict=True):
        candidate.full_name = name
    db.flush()
    return sitting


def test_the_room_list_by_sbd_and_by_name(db, clock):
    sitting = named_sitting(db, clock)
    by_sbd = [c.registration_number for c, _ in room_list(db, sitting.room, "sbd")]
    assert by_sbd == sorted(by_sbd)
    by_name = [c.full_name for c, _ in room_list(db, sitting.room, "name")]
    assert by_name == [
        "Bùi Anh",
        "Ngô Anh",
        "Đỗ Thị Ánh",
        "Trần Thị Dung",
        "Nguyễn Văn Đức",
        "Lê Thị Ơn",
    ]


def data(**values) -> CheckInInput:
    defaults = {"present": True, "id_checked": True, "seat": None, "terminal_label": ""}
    return CheckInInput(**{**defaults, **values})


def test_check_in_records_attendance_seat_and_terminal(db, clock):
    sitting = make_sitting(db, clock.now, candidates=2)
    proctor = make_staff(db, clock.now, "proctor")
    (first, _), (second, _) = sitting.candidates
    record = check_in(
        db, sitting.room, first, data(seat=7, terminal_label=" Máy dự phòng 2 "), proctor, clock.now
    )
    assert record.present and record.id_checked and not record.late
    assert first.seat == 7 and record.terminal_label == "Máy dự phòng 2"
    assert record.arrived_at == clock.now
    with pytest.raises(ConsoleRefused):  # a seat holds one candidate
        check_in(db, sitting.room, second, data(seat=7), proctor, clock.now)
    with pytest.raises(ConsoleRefused):  # seats exist up to the room's capacity
        check_in(db, sitting.room, second, data(seat=41), proctor, clock.now)
    absent = check_in(
        db, sitting.room, second, data(present=False, id_checked=True), proctor, clock.now
    )
    assert not absent.present and not absent.id_checked
    audit = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "check_in", AuditEntry.target_id == first.id)
    ).one()
    assert audit.actor_id == proctor.id and audit.details["seat"] == 7


def test_a_candidate_who_started_cannot_be_marked_absent(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    proctor = make_staff(db, clock.now, "proctor")
    candidate, _ = sitting.candidates[0]
    open_attempt(db, candidate, clock.now)
    with pytest.raises(ConsoleRefused):
        check_in(db, sitting.room, candidate, data(present=False), proctor, clock.now)


def test_late_entry_inside_the_window_needs_nothing(db, clock):
    sitting = make_sitting(db, clock.now)  # the shift starts now; the window is 10 minutes
    proctor = make_staff(db, clock.now, "proctor")
    candidate, _ = sitting.candidates[0]
    clock.advance(minutes=10)
    record = check_in(db, sitting.room, candidate, data(), proctor, clock.now)
    assert record.present and not record.late


def test_a_later_arrival_needs_a_recorded_decision_of_the_chair(db, clock):
    sitting = make_sitting(db, clock.now)
    sitting.exam.late_entry_minutes = 5  # a preset the exam can change
    proctor = make_staff(db, clock.now, "proctor")
    candidate, _ = sitting.candidates[0]
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(ConsoleRefused):
        check_in(db, sitting.room, candidate, data(), proctor, clock.now)
    with pytest.raises(ConsoleRefused):
        check_in(
            db,
            sitting.room,
            candidate,
            data(late_decision=DecisionInput("12/QĐ-HĐTD", "")),
            proctor,
            clock.now,
        )
    assert db.scalar(select(CheckIn.id)) is None
    record = check_in(
        db,
        sitting.room,
        candidate,
        data(late_decision=DecisionInput("12/QĐ-HĐTD", "Nguyễn Văn Chủ tịch")),
        proctor,
        clock.now,
    )
    decision = db.get(ChairDecision, record.late_decision_id)
    assert record.late and decision.kind == "late_entry"
    assert (decision.reference, decision.candidate_id) == ("12/QĐ-HĐTD", candidate.id)
    # Correcting the seat later does not ask for the decision again.
    clock.advance(minutes=5)
    again = check_in(db, sitting.room, candidate, data(seat=3), proctor, clock.now)
    assert again.late and again.late_decision_id == decision.id
    assert again.arrived_at == clock.now - dt.timedelta(minutes=5)


def test_the_check_in_page_in_name_order_and_saving_a_row(client, db, clock):
    sitting = named_sitting(db, clock)
    make_staff(db, clock.now, "proctor", username="gt2")
    sign_in(client, "gt2")
    page = client.get(f"/proctor/rooms/{sitting.room.id}/checkin?order=name")
    assert page.status_code == 200
    text = page.text
    positions = [text.index(name) for name in ("Bùi Anh", "Ngô Anh", "Đỗ Thị Ánh", "Lê Thị Ơn")]
    assert positions == sorted(positions)
    candidate = sitting.candidates[2][0]
    saved = client.post(
        f"/proctor/rooms/{sitting.room.id}/checkin/{candidate.id}?order=name",
        data={
            "csrf_token": csrf_from(text),
            "present": "1",
            "id_checked": "y",
            "seat": "12",
            "terminal": "M12",
        },
        follow_redirects=True,
    )
    assert f"{candidate.registration_number}: có mặt" in saved.text
    record = db.scalar(select(CheckIn).where(CheckIn.candidate_id == candidate.id))
    assert record.present and record.id_checked and record.terminal_label == "M12"
    db.refresh(candidate)
    assert candidate.seat == 12


def test_a_late_arrival_without_decision_is_refused_in_the_page(client, db, clock):
    sitting = make_sitting(db, clock.now)
    make_staff(db, clock.now, "proctor", username="gt2")
    sign_in(client, "gt2")
    clock.advance(minutes=30)
    page = client.get(f"/proctor/rooms/{sitting.room.id}/checkin")
    assert "Đã hết thời gian cho phép vào muộn" in page.text
    candidate = sitting.candidates[0][0]
    refused = client.post(
        f"/proctor/rooms/{sitting.room.id}/checkin/{candidate.id}",
        data={"csrf_token": csrf_from(page.text), "present": "1"},
        follow_redirects=True,
    )
    assert "quyết định của Chủ tịch Hội đồng" in refused.text
    assert db.scalar(select(CheckIn.id)) is None


def test_a_technician_sees_the_list_but_cannot_check_in(client, db, clock):
    sitting = make_sitting(db, clock.now)
    make_staff(db, clock.now, "technician", username="kt1")
    sign_in(client, "kt1")
    page = client.get(f"/proctor/rooms/{sitting.room.id}/checkin")
    assert page.status_code == 200 and 'name="present"' not in page.text
    candidate = sitting.candidates[0][0]
    refused = client.post(
        f"/proctor/rooms/{sitting.room.id}/checkin/{candidate.id}",
        data={"csrf_token": csrf_from(page.text), "present": "1"},
    )
    assert refused.status_code == 403
