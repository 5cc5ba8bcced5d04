"""Room actions and the live grid: services and views."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_server.delivery import services as delivery
from exam_server.models import AuditEntry, Form
from proctor_console import services
from proctor_console.queries import room_grid
from tests.conftest import csrf_from
from tests.factories import make_sitting, make_staff


def test_starting_pausing_resuming_closing_a_room(db, clock):
    sitting = make_sitting(db, clock.now)
    proctor = make_staff(db, clock.now, "head_proctor")
    room = sitting.room
    services.change_room_state(db, room, "start", proctor, clock.now)
    assert room.state == "running" and sitting.exam.status == "in_progress"
    clock.advance(minutes=5)
    services.change_room_state(db, room, "pause", proctor, clock.now, reason="power cut")
    clock.advance(minutes=3)
    services.change_room_state(db, room, "resume", proctor, clock.now)
    assert room.paused_seconds == 180 and room.paused_at is None
    with pytest.raises(services.RoomActionRefused):
        services.change_room_state(db, room, "start", proctor, clock.now)
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.target_id == room.id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["room_start", "room_pause", "room_resume"]
    reason = db.scalar(select(AuditEntry.details).where(AuditEntry.action == "room_pause"))
    assert reason == {"reason": "power cut"}


def test_a_room_without_stored_forms_cannot_start(db, clock):
    sitting = make_sitting(db, clock.now)
    proctor = make_staff(db, clock.now, "head_proctor")
    candidate, _ = sitting.candidates[0]
    for form in db.scalars(select(Form).where(Form.candidate_id == candidate.id)):
        for item in form.items:
            db.delete(item)
        db.delete(form)
    db.flush()
    with pytest.raises(services.RoomActionRefused):
        services.change_room_state(db, sitting.room, "start", proctor, clock.now)


def test_closing_the_room_collects_every_paper(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    proctor = make_staff(db, clock.now, "head_proctor")
    candidate, _ = sitting.candidates[0]
    delivery.claim_terminal(db, candidate, "T1", clock.now)
    attempt = delivery.start_next_part(db, candidate, clock.now)
    services.change_room_state(db, sitting.room, "close", proctor, clock.now)
    assert attempt.state == "finalised" and attempt.finalised_by == "staff"


def test_the_grid_shows_each_seat(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    candidate, _ = sitting.candidates[0]
    delivery.claim_terminal(db, candidate, "T1", clock.now)
    attempt = delivery.start_next_part(db, candidate, clock.now)
    delivery.save_changes(
        db,
        attempt_id=attempt.id,
        candidate_id=candidate.id,
        terminal="T1",
        changes=[delivery.Change(1, "answer", 1, [0]), delivery.Change(2, "answer", 2, [1])],
        now=clock.now,
        grace_seconds=0,
    )
    clock.advance(seconds=45)
    tiles = {tile["sbd"]: tile for tile in room_grid(db, sitting.room, clock.now)}
    mine = tiles[candidate.registration_number]
    assert (
        mine["state"] == "in_progress"
        and mine["answered"] == 2
        and mine["total"] == sitting.part.item_count
    )
    assert mine["contact_age"] == 45 and mine["stale"] is True
    assert mine["seconds_left"] == 30 * 60 - 45
    assert tiles[sitting.candidates[1][0].registration_number]["state"] == "not_started"


def staff_sign_in(client, username, password="correct-horse-42"):
    token = csrf_from(client.get("/staff/login").text)
    return client.post(
        "/staff/login", data={"csrf_token": token, "username": username, "password": password}
    )


def test_a_head_proctor_starts_the_room_from_the_console(client, db, clock):
    sitting = make_sitting(db, clock.now)
    make_staff(db, clock.now, "head_proctor", username="gt1")
    assert staff_sign_in(client, "gt1").status_code == 302
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


def test_a_technician_watches_but_cannot_start_a_room(client, db, clock):
    sitting = make_sitting(db, clock.now)
    make_staff(db, clock.now, "technician", username="kt1")
    staff_sign_in(client, "kt1")
    console = client.get(f"/proctor/exams/{sitting.exam.id}/rooms")
    assert console.status_code == 200 and f"room-{sitting.room.id}-start" not in console.text
    refused = client.post(
        f"/proctor/rooms/{sitting.room.id}/action",
        data={"csrf_token": csrf_from(console.text), "action": "start"},
    )
    assert refused.status_code == 403


def test_a_wrong_staff_password_is_refused(client, db, clock):
    make_staff(db, clock.now, "admin", username="boss")
    page = staff_sign_in(client, "boss", "wrong-password-1")
    assert page.status_code == 401 and "không đúng" in page.text
