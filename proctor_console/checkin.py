"""Check-in: the room list, attendance, identity checks, seats and terminals, late entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Attempt, Candidate, Exam, RoomSession, User
from exam_server.models.proctor import CheckIn
from exam_server.text import nfc
from proctor_console.decisions import DecisionInput, record_decision
from proctor_console.errors import ConsoleRefused
from proctor_console.names import name_order_key

ORDERS = ("sbd", "name")


@dataclass(frozen=True)
class CheckInInput:
    present: bool
    id_checked: bool
    seat: int | None
    terminal_label: str
    late_decision: DecisionInput | None = None


def late_entry_closes_at(room: RoomSession, exam: Exam) -> dt.datetime:
    """Late entry is allowed until this time: the shift's programmed start + the exam's window."""
    return room.shift.starts_at + dt.timedelta(minutes=exam.late_entry_minutes)


def room_list(
    session: Session, room: RoomSession, order: str = "sbd"
) -> list[tuple[Candidate, CheckIn | None]]:
    """Return the room's candidates with their check-in, by SBD or in Vietnamese name order."""
    rows = session.execute(
        select(Candidate, CheckIn)
        .outerjoin(
            CheckIn,
            (CheckIn.candidate_id == Candidate.id) & (CheckIn.room_session_id == room.id),
        )
        .where(Candidate.room_session_id == room.id)
    ).all()
    if order == "name":
        key = lambda row: (name_order_key(row[0].full_name), row[0].registration_number)  # noqa: E731
    else:
        key = lambda row: row[0].registration_number  # noqa: E731
    return [tuple(row) for row in sorted(rows, key=key)]


def check_in(
    session: Session,
    room: RoomSession,
    candidate: Candidate,
    data: CheckInInput,
    actor: User,
    now: dt.datetime,
) -> CheckIn:
    """Record or correct a candidate's check-in; a late arrival needs the chair's decision."""
    if candidate.room_session_id != room.id:
        raise ConsoleRefused(_l("This candidate is not on this room's list."))
    if room.state == "closed":
        raise ConsoleRefused(_l("The room is closed."))
    exam = session.get(Exam, candidate.exam_id)
    record = session.scalar(
        select(CheckIn).where(
            CheckIn.room_session_id == room.id, CheckIn.candidate_id == candidate.id
        )
    )
    if not data.present:
        started = session.scalar(select(Attempt.id).where(Attempt.candidate_id == candidate.id))
        if started is not None:
            raise ConsoleRefused(_l("This candidate has already started the test: not absent."))
    _check_seat(session, room, candidate, data.seat)
    arriving = data.present and (record is None or not record.present)
    late = arriving and now > late_entry_closes_at(room, exam)
    decision = None
    if late:
        decision = record_decision(
            session,
            room=room,
            candidate=candidate,
            kind="late_entry",
            decision=data.late_decision,
            actor=actor,
            now=now,
        )
    if record is None:
        record = CheckIn(room_session_id=room.id, candidate_id=candidate.id)
        session.add(record)
    record.present = data.present
    record.id_checked = data.present and data.id_checked
    record.terminal_label = nfc(data.terminal_label.strip())[:40] or None
    if arriving:
        record.arrived_at = now
        record.late = late
        record.late_decision_id = decision.id if decision else None
    elif not data.present:
        record.arrived_at, record.late, record.late_decision_id = None, False, None
    record.recorded_by_id = actor.id
    record.recorded_at = now
    if data.seat is not None:
        candidate.seat = data.seat
    session.flush()
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="check_in",
        target_type="candidate",
        target_id=candidate.id,
        details={
            "present": record.present,
            "id_checked": record.id_checked,
            "seat": candidate.seat,
            "terminal": record.terminal_label,
            "late": record.late,
            "decision": record.late_decision_id,
        },
    )
    return record


def _check_seat(
    session: Session, room: RoomSession, candidate: Candidate, seat: int | None
) -> None:
    if seat is None:
        return
    if not 1 <= seat <= room.room.capacity:
        raise ConsoleRefused(_l("The seat must be between 1 and %(n)d.", n=room.room.capacity))
    taken = session.scalar(
        select(Candidate.registration_number).where(
            Candidate.room_session_id == room.id,
            Candidate.seat == seat,
            Candidate.id != candidate.id,
        )
    )
    if taken is not None:
        raise ConsoleRefused(_l("Seat %(seat)d is already taken by %(sbd)s.", seat=seat, sbd=taken))
