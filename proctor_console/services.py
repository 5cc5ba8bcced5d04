"""Room actions: start, pause, resume, close, and approving a terminal move."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.lifecycle import finalise
from exam_server.models import Attempt, Candidate, Exam, Form, RoomSession, Shift, User

# Which actions each room state allows, and the state each leads to.
TRANSITIONS = {
    "start": ({"waiting"}, "running"),
    "pause": ({"running"}, "paused"),
    "resume": ({"paused"}, "running"),
    "close": ({"waiting", "running", "paused"}, "closed"),
}


class RoomActionRefused(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def change_room_state(
    session: Session,
    room: RoomSession,
    action: str,
    actor: User,
    now: dt.datetime,
    reason: str = "",
) -> None:
    """Apply a room action, keep the pause bookkeeping, and record who did it and why."""
    allowed_from, target = TRANSITIONS[action]
    if room.state not in allowed_from:
        raise RoomActionRefused(_l("This action is not possible while the room is in this state."))
    if action == "start":
        _require_forms(session, room)
        room.started_at = now
        exam = session.get(Exam, room.shift.exam_id)
        if exam.status == "published":
            exam.status = "in_progress"
    elif action == "pause":
        room.paused_at = now
    elif action == "resume":
        room.paused_seconds += int((now - room.paused_at).total_seconds())
        room.paused_at = None
    elif action == "close":
        if room.paused_at is not None:
            room.paused_seconds += int((now - room.paused_at).total_seconds())
            room.paused_at = None
        _finalise_room(session, room, now)
    room.state = target
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action=f"room_{action}",
        target_type="room_session",
        target_id=room.id,
        details={"reason": reason} if reason else {},
    )


def _require_forms(session: Session, room: RoomSession) -> None:
    """Forms must be stored before a room starts (starting is only a state change)."""
    missing = session.scalar(
        select(Candidate.id)
        .outerjoin(Form, (Form.candidate_id == Candidate.id) & (Form.kind == "main"))
        .where(Candidate.room_session_id == room.id, Form.id.is_(None))
        .limit(1)
    )
    if missing is not None:
        raise RoomActionRefused(
            _l("Some candidates in this room have no stored form. Generate the forms first.")
        )


def _finalise_room(session: Session, room: RoomSession, now: dt.datetime) -> None:
    exam = session.get(Exam, room.shift.exam_id)
    attempts = session.scalars(
        select(Attempt)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.room_session_id == room.id, Attempt.state == "in_progress")
    ).all()
    for attempt in attempts:
        finalise(session, attempt, exam, now, by="staff")


def approve_terminal_move(
    session: Session, candidate: Candidate, actor: User, now: dt.datetime
) -> None:
    """Let the candidate sign in on another terminal; the old one stops accepting answers."""
    candidate.terminal_move_approved = True
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="terminal_move_approved",
        target_type="candidate",
        target_id=candidate.id,
    )


def rooms_of_exam(session: Session, exam_id: int) -> list[RoomSession]:
    return list(
        session.scalars(
            select(RoomSession).join(Shift).where(Shift.exam_id == exam_id).order_by(RoomSession.id)
        )
    )
