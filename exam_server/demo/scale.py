"""Grow the demo for load tests: more candidates, 40 to a room, forms stored for each."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server.models import Candidate, Exam, Room, RoomSession
from exam_server.passwords import generate_code, hash_secret
from exam_server.setup.forms import generate_forms
from exam_server.text import nfc

ROOM_SIZE = 40


def add_candidates(
    session: Session, exam: Exam, total: int, now: dt.datetime, code_rounds: int
) -> list[tuple[str, str, str]]:
    """Add candidates until the exam has `total`, in extra rooms of the first shift."""
    existing = session.scalar(select(func.count(Candidate.id)).where(Candidate.exam_id == exam.id))
    first_room = session.scalar(
        select(RoomSession)
        .join(Candidate, Candidate.room_session_id == RoomSession.id)
        .where(Candidate.exam_id == exam.id)
        .limit(1)
    )
    added = []
    room_session = None
    for number in range(existing + 1, total + 1):
        if room_session is None or (number - 1) % ROOM_SIZE == 0:
            room_number = 100 + (number - 1) // ROOM_SIZE + 1
            code = f"P{room_number}"
            room = session.scalar(select(Room).where(Room.code == code))
            if room is None:
                room = Room(code=code, name=nfc(f"Phòng thi {code}"), capacity=ROOM_SIZE)
                session.add(room)
                session.flush()
            room_session = session.scalar(
                select(RoomSession).where(
                    RoomSession.shift_id == first_room.shift_id, RoomSession.room_id == room.id
                )
            )
            if room_session is None:
                room_session = RoomSession(
                    shift_id=first_room.shift_id, room_id=room.id, state="waiting"
                )
                session.add(room_session)
                session.flush()
        access_code = generate_code()
        registration_number = f"TS{number:04d}"
        session.add(
            Candidate(
                exam_id=exam.id,
                registration_number=registration_number,
                full_name=nfc(f"Thí sinh {number}"),
                access_code_hash=hash_secret(access_code, code_rounds),
                room_session_id=room_session.id,
                seat=(number - 1) % ROOM_SIZE + 1,
                created_at=now,
            )
        )
        added.append((registration_number, f"Thí sinh {number}", access_code))
    session.flush()
    generate_forms(session, exam, now)
    return added
