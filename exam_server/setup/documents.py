"""Gather the rows the printed documents show, formatted for Việt Nam (dates, local times)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from flask_babel import format_date, format_datetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models import Candidate, Exam, RoomSession, Shift
from exam_server.setup.pdfs import ListedCandidate, RoomSheet, SessionCodeSheet, Slip
from exam_server.setup.rooms import IssuedSessionCode, room_sessions_of, staff_of
from exam_server.setup.vnsort import sort_candidates

DUTY_NAMES = {"head_proctor": "GT1", "proctor": "GT2", "technician": "KTV"}


def when(moment: dt.datetime) -> str:
    return format_datetime(moment, "dd/MM/yyyy HH:mm")


def born(day: dt.date | None) -> str:
    return format_date(day, "dd/MM/yyyy") if day else ""


def room_sheets(session: Session, exam: Exam) -> list[RoomSheet]:
    """Every room session of the exam with its candidates in Vietnamese name order."""
    sheets = []
    for room_session in room_sessions_of(session, exam.id):
        candidates = sort_candidates(
            session.scalars(
                select(Candidate).where(Candidate.room_session_id == room_session.id)
            ).all()
        )
        sheets.append(
            RoomSheet(
                room=room_session.room.name,
                shift=room_session.shift.name,
                starts=when(room_session.shift.starts_at),
                candidates=[
                    ListedCandidate(
                        c.seat, c.registration_number, c.full_name, born(c.date_of_birth)
                    )
                    for c in candidates
                ],
                staff=[
                    f"{DUTY_NAMES.get(a.role, a.role)}: {u.full_name}"
                    for a, u in staff_of(session, room_session.id)
                ],
            )
        )
    return sheets


def slips(
    session: Session,
    candidates: Sequence[Candidate],
    codes: Mapping[int, str] | None = None,
) -> list[Slip]:
    """Admission slips for the given candidates; codes by candidate id when just issued."""
    codes = codes or {}
    room_sessions = {
        rs.id: rs
        for rs in session.scalars(
            select(RoomSession).where(
                RoomSession.id.in_({c.room_session_id for c in candidates if c.room_session_id})
            )
        )
    }
    made = []
    for c in sort_candidates(candidates):
        rs = room_sessions.get(c.room_session_id)
        made.append(
            Slip(
                registration_number=c.registration_number,
                full_name=c.full_name,
                date_of_birth=born(c.date_of_birth),
                room=rs.room.name if rs else "",
                seat=c.seat,
                shift=rs.shift.name if rs else "",
                starts=when(rs.shift.starts_at) if rs else "",
                access_code=codes.get(c.id),
            )
        )
    return made


def session_code_sheets(
    session: Session, exam: Exam, issued: Sequence[IssuedSessionCode]
) -> list[SessionCodeSheet]:
    """One sheet per room of each shift whose code was just issued (one envelope per room)."""
    sheets = []
    for item in issued:
        shift: Shift = item.shift
        rooms = session.scalars(
            select(RoomSession).where(RoomSession.shift_id == shift.id).order_by(RoomSession.id)
        ).all()
        for room_session in rooms or [None]:
            sheets.append(
                SessionCodeSheet(
                    shift=shift.name,
                    starts=when(shift.starts_at),
                    room=room_session.room.name if room_session else "—",
                    code=item.code,
                )
            )
    return sheets
