"""Test helpers for the room console: rooms with candidates, staff, attempts, check-ins."""

from __future__ import annotations

import datetime as dt

from exam_server.delivery import services as delivery
from exam_server.models import Attempt, Candidate, RoomSession, User
from exam_server.models.exams import RoomStaff
from proctor_console.checkin import CheckInInput, check_in
from tests.conftest import csrf_from

PASSWORD = "correct-horse-42"


def sign_in(client, username: str, password: str = PASSWORD):
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(
        "/staff/login", data={"csrf_token": token, "username": username, "password": password}
    )
    assert response.status_code == 302, response.text[:300]
    return response


def token_of(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return csrf_from(page.text)


def assign(db, room: RoomSession, user: User, role: str | None = None) -> RoomStaff:
    row = RoomStaff(room_session_id=room.id, user_id=user.id, role=role or user.role)
    db.add(row)
    db.flush()
    return row


def mark_present(db, room, candidate: Candidate, actor: User, now: dt.datetime, **extra):
    data = CheckInInput(
        present=True,
        id_checked=True,
        seat=extra.pop("seat", None),
        terminal_label=extra.pop("terminal", ""),
        **extra,
    )
    return check_in(db, room, candidate, data, actor, now)


def open_attempt(db, candidate: Candidate, now: dt.datetime, terminal: str = "T1") -> Attempt:
    delivery.claim_terminal(db, candidate, terminal, now)
    return delivery.start_next_part(db, candidate, now)


def answer(db, attempt: Attempt, candidate: Candidate, positions, now, terminal: str = "T1"):
    seq = attempt.last_seq
    changes = []
    for position in positions:
        seq += 1
        changes.append(delivery.Change(seq, "answer", position, [0]))
    return delivery.save_changes(
        db,
        attempt_id=attempt.id,
        candidate_id=candidate.id,
        terminal=terminal,
        changes=changes,
        now=now,
        grace_seconds=0,
    )
