"""Room actions (start, pause with a reason, resume, close) and the code envelope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_server.models import AuditEntry, Form
from exam_server.models.proctor import EnvelopeOpening
from exam_server.passwords import hash_secret
from proctor_console import services
from proctor_console.errors import ConsoleRefused
from tests.conftest import csrf_from
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import mark_present, open_attempt, sign_in


def test_starting_pausing_resuming_closing_a_room(db, clock):
    sitting = make_sitting(db, clock.now)
    proctor = make_staff(db, clock.now, "head_proctor")
    room = sitting.room
    services.change_room_state(db, room, "start", proctor, clock.now)
    assert room.state == "running" and sitting.exam.status == "in_progress"
    clock.advance(minutes=5)
    services.change_room_state(db, room, "pause", proctor, clock.now, reason="power cut")
    clock.advance(minutes=3)
    services.change_room_state(db, room, "resume", proctor, clock.now, reason="power back")
    assert room.paused_seconds == 180 and room.paused_at is None
    with pytest.raises(ConsoleRefused):
        services.change_room_state(db, room, "start", proctor, clock.now)
    entries = db.execute(
        select(AuditEntry.action, AuditEntry.details, AuditEntry.actor_id)
        .where(AuditEntry.target_id == room.id, AuditEntry.target_type == "room_session")
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["room_start", "room_pause", "room_resume"]
    assert entries[1].details == {"reason": "power cut"}
    assert entries[2].details == {"reason": "power back"}
    assert {e.actor_id for e in entries} == {proctor.id}


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_pausing_or_resuming_needs_a_reason(db, clock, action):
    sitting = make_sitting(db, clock.now, room_state="running")
    proctor = make_staff(db, clock.now, "head_proctor")
    if action == "resume":
        services.change_room_state(db, sitting.room, "pause", proctor, clock.now, reason="noise")
    state = sitting.room.state
    with pytest.raises(ConsoleRefused):
        services.change_room_state(db, sitting.room, action, proctor, clock.now, reason="   ")
    assert sitting.room.state == state


def test_a_room_without_stored_forms_cannot_start(db, clock):
    sitting = make_sitting(db, clock.now)
    proctor = make_staff(db, clock.now, "head_proctor")
    candidate, _ = sitting.candidates[0]
    for form in db.scalars(select(Form).where(Form.candidate_id == candidate.id)):
        for item in form.items:
            db.delete(item)
        db.delete(form)
    db.flush()
    with pytest.raises(ConsoleRefused):
        services.change_room_state(db, sitting.room, "start", proctor, clock.now)


def test_closing_the_room_collects_every_paper(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    proctor = make_staff(db, clock.now, "head_proctor")
    candidate, _ = sitting.candidates[0]
    attempt = open_attempt(db, candidate, clock.now)
    services.change_room_state(db, sitting.room, "close", proctor, clock.now)
    assert attempt.state == "finalised" and attempt.finalised_by == "staff"


def shift_clock_sitting(db, clock):
    sitting = make_sitting(db, clock.now, clock_mode="scheduled", candidates=3)
    sitting.room.shift.session_code_hash = hash_secret("CA1CODE", 4)
    db.flush()
    return sitting


def test_a_shift_clock_room_opens_only_after_the_envelope(db, clock):
    sitting = shift_clock_sitting(db, clock)
    head = make_staff(db, clock.now, "head_proctor")
    room = sitting.room
    with pytest.raises(ConsoleRefused):
        services.change_room_state(db, room, "start", head, clock.now)
    (first, _), (second, _), (third, _) = sitting.candidates
    mark_present(db, room, first, head, clock.now)
    mark_present(db, room, second, head, clock.now)
    with pytest.raises(ConsoleRefused):  # a witness who is not checked in
        services.record_envelope_opening(
            db,
            room,
            witness_ids=(first.id, third.id),
            seal_intact=True,
            note="",
            actor=head,
            now=clock.now,
        )
    with pytest.raises(ConsoleRefused):  # the same candidate twice
        services.record_envelope_opening(
            db,
            room,
            witness_ids=(first.id, first.id),
            seal_intact=True,
            note="",
            actor=head,
            now=clock.now,
        )
    opening = services.record_envelope_opening(
        db,
        room,
        witness_ids=(first.id, second.id),
        seal_intact=True,
        note="Niêm phong còn nguyên",
        actor=head,
        now=clock.now,
    )
    assert (opening.witness_1_id, opening.witness_2_id, opening.opened_by_id) == (
        first.id,
        second.id,
        head.id,
    )
    with pytest.raises(ConsoleRefused):  # only once
        services.record_envelope_opening(
            db,
            room,
            witness_ids=(first.id, second.id),
            seal_intact=True,
            note="",
            actor=head,
            now=clock.now,
        )
    services.change_room_state(db, room, "start", head, clock.now)
    assert room.state == "running"


def test_a_per_candidate_clock_room_starts_with_the_button(db, clock):
    sitting = make_sitting(db, clock.now, clock_mode="per_candidate")
    sitting.room.shift.session_code_hash = hash_secret("CA1CODE", 4)
    head = make_staff(db, clock.now, "head_proctor")
    services.change_room_state(db, sitting.room, "start", head, clock.now)
    assert sitting.room.state == "running"


def test_the_head_proctor_records_the_envelope_in_the_console(client, db, clock):
    sitting = shift_clock_sitting(db, clock)
    head = make_staff(db, clock.now, "head_proctor", username="gt1")
    (first, _), (second, _), _third = sitting.candidates
    mark_present(db, sitting.room, first, head, clock.now)
    mark_present(db, sitting.room, second, head, clock.now)
    sign_in(client, "gt1")
    page = client.get(f"/proctor/rooms/{sitting.room.id}")
    assert 'id="open-envelope"' in page.text
    done = client.post(
        f"/proctor/rooms/{sitting.room.id}/envelope",
        data={
            "csrf_token": csrf_from(page.text),
            "witness_1": first.id,
            "witness_2": second.id,
            "seal_intact": "y",
            "note": "",
        },
        follow_redirects=True,
    )
    assert "Hãy công bố mã ca thi" in done.text
    assert db.scalar(select(EnvelopeOpening.room_session_id)) == sitting.room.id


def test_a_head_proctor_starts_the_room_from_the_console(client, db, clock):
    sitting = make_sitting(db, clock.now)
    make_staff(db, clock.now, "head_proctor", username="gt1")
    sign_in(client, "gt1")
    console = client.get(f"/proctor/exams/{sitting.exam.id}/rooms")
    assert console.status_code == 200
    done = client.post(
        f"/proctor/rooms/{sitting.room.id}/action",
        data={"csrf_token": csrf_from(console.text), "action": "start"},
        follow_redirects=True,
    )
    assert "Đang diễn ra" in done.text
    db.refresh(sitting.room)
    assert sitting.room.state == "running"
    assert client.get(f"/proctor/rooms/{sitting.room.id}/grid").json["state"] == "running"


def test_a_pause_without_a_reason_is_refused_in_the_console(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    make_staff(db, clock.now, "proctor", username="gt2")
    sign_in(client, "gt2")
    page = client.get(f"/proctor/rooms/{sitting.room.id}")
    token = csrf_from(page.text)
    refused = client.post(
        f"/proctor/rooms/{sitting.room.id}/action",
        data={"csrf_token": token, "action": "pause", "reason": ""},
        follow_redirects=True,
    )
    assert "Hãy nêu lý do" in refused.text
    db.refresh(sitting.room)
    assert sitting.room.state == "running"
    client.post(
        f"/proctor/rooms/{sitting.room.id}/action",
        data={"csrf_token": token, "action": "pause", "reason": "Mất điện"},
    )
    db.refresh(sitting.room)
    assert sitting.room.state == "paused"


def test_a_proctor_may_pause_but_not_close_the_room(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    make_staff(db, clock.now, "proctor", username="gt2")
    sign_in(client, "gt2")
    page = client.get(f"/proctor/rooms/{sitting.room.id}")
    assert f"room-{sitting.room.id}-pause" in page.text
    assert f"room-{sitting.room.id}-close" not in page.text
    refused = client.post(
        f"/proctor/rooms/{sitting.room.id}/action",
        data={"csrf_token": csrf_from(page.text), "action": "close"},
    )
    assert refused.status_code == 403


def test_a_technician_watches_but_cannot_start_a_room(client, db, clock):
    sitting = make_sitting(db, clock.now)
    make_staff(db, clock.now, "technician", username="kt1")
    sign_in(client, "kt1")
    console = client.get(f"/proctor/exams/{sitting.exam.id}/rooms")
    assert console.status_code == 200 and f"room-{sitting.room.id}-start" not in console.text
    refused = client.post(
        f"/proctor/rooms/{sitting.room.id}/action",
        data={"csrf_token": csrf_from(console.text), "action": "start"},
    )
    assert refused.status_code == 403


def test_a_wrong_staff_password_is_refused(client, db, clock):
    make_staff(db, clock.now, "admin", username="boss")
    token = csrf_from(client.get("/staff/login").text)
    page = client.post(
        "/staff/login",
        data={"csrf_token": token, "username": "boss", "password": "wrong-password-1"},
    )
    assert page.status_code == 401 and "không đúng" in page.text


def test_an_action_returns_to_the_console_page_it_came_from(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    make_staff(db, clock.now, "head_proctor", username="gt1")
    sign_in(client, "gt1")
    listing = f"/proctor/exams/{sitting.exam.id}/rooms"
    token = csrf_from(client.get(listing).text)
    url = f"/proctor/rooms/{sitting.room.id}/action"
    back = client.post(
        url, data={"csrf_token": token, "action": "pause", "reason": "Ồn", "next": listing}
    )
    assert back.status_code == 302 and back.location == listing
    elsewhere = client.post(
        url, data={"csrf_token": token, "action": "resume", "reason": "Hết ồn", "next": "//x.org/"}
    )
    assert elsewhere.location == f"/proctor/rooms/{sitting.room.id}"
