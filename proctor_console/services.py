"""Room actions: start, pause, resume, close, the code envelope, and terminal moves."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.lifecycle import finalise
from exam_server.models import Attempt, Candidate, Exam, Form, RoomSession, Shift, User
from exam_server.models.proctor import CheckIn, EnvelopeOpening
from exam_server.text import nfc
from proctor_console.errors import ConsoleRefused

# Which actions each room state allows, and the state each leads to.
TRANSITIONS = {
    "start": ({"waiting"}, "running"),
    "pause": ({"running"}, "paused"),
    "resume": ({"paused"}, "running"),
    "close": ({"waiting", "running", "paused"}, "closed"),
}
# Every clock in the room stops or restarts: the minutes must say why.
ACTIONS_NEEDING_A_REASON = ("pause", "resume")

RoomActionRefused = ConsoleRefused  # the name earlier callers know


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
        raise ConsoleRefused(_l("This action is not possible while the room is in this state."))
    reason = nfc(reason.strip())
    if action in ACTIONS_NEEDING_A_REASON and not reason:
        raise ConsoleRefused(_l("Give the reason: it goes into the room record."))
    exam = session.get(Exam, room.shift.exam_id)
    if action == "start":
        _require_forms(session, room)
        _require_envelope(session, room, exam)
        room.started_at = now
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
        _finalise_room(session, room, exam, now)
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
        raise ConsoleRefused(
            _l("Some candidates in this room have no stored form. Generate the forms first.")
        )


def needs_envelope(room: RoomSession, exam: Exam) -> bool:
    """A shift-clock exam with a session code opens only after the envelope is opened."""
    return exam.clock_mode == "scheduled" and bool(room.shift.session_code_hash)


def _require_envelope(session: Session, room: RoomSession, exam: Exam) -> None:
    if not needs_envelope(room, exam):
        return
    opened = session.scalar(
        select(EnvelopeOpening.id).where(EnvelopeOpening.room_session_id == room.id)
    )
    if opened is None:
        raise ConsoleRefused(
            _l("Record the opening of the session-code envelope before starting the room.")
        )


def _finalise_room(session: Session, room: RoomSession, exam: Exam, now: dt.datetime) -> None:
    attempts = session.scalars(
        select(Attempt)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.room_session_id == room.id, Attempt.state == "in_progress")
    ).all()
    for attempt in attempts:
        finalise(session, attempt, exam, now, by="staff")


def record_envelope_opening(
    session: Session,
    room: RoomSession,
    *,
    witness_ids: tuple[int, int],
    seal_intact: bool,
    note: str,
    actor: User,
    now: dt.datetime,
) -> EnvelopeOpening:
    """Record that the head proctor opened the code envelope before two candidate witnesses."""
    if room.state == "closed":
        raise ConsoleRefused(_l("The room is closed."))
    if session.scalar(select(EnvelopeOpening.id).where(EnvelopeOpening.room_session_id == room.id)):
        raise ConsoleRefused(_l("The opening of the envelope is already recorded for this room."))
    first, second = witness_ids
    if first == second:
        raise ConsoleRefused(_l("Choose two different candidates as witnesses."))
    present = set(
        session.scalars(
            select(CheckIn.candidate_id).where(
                CheckIn.room_session_id == room.id,
                CheckIn.present.is_(True),
                CheckIn.candidate_id.in_(witness_ids),
            )
        )
    )
    if present != {first, second}:
        raise ConsoleRefused(_l("Both witnesses must be candidates checked in as present here."))
    opening = EnvelopeOpening(
        room_session_id=room.id,
        opened_at=now,
        opened_by_id=actor.id,
        witness_1_id=first,
        witness_2_id=second,
        seal_intact=seal_intact,
        note=nfc(note.strip()),
    )
    session.add(opening)
    session.flush()
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="envelope_opened",
        target_type="room_session",
        target_id=room.id,
        details={"witnesses": [first, second], "seal_intact": seal_intact, "note": opening.note},
    )
    return opening


def approve_terminal_move(
    session: Session, candidate: Candidate, actor: User, now: dt.datetime, reason: str = ""
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
        details={
            "from_terminal": terminal_short(candidate.active_terminal),
            "reason": nfc(reason.strip()),
        },
    )


def terminal_short(token: str | None) -> str | None:
    """A terminal's id as shown to staff: enough to tell machines apart, not the whole token."""
    return token[:8] if token else None


def rooms_of_exam(session: Session, exam_id: int) -> list[RoomSession]:
    return list(
        session.scalars(
            select(RoomSession).join(Shift).where(Shift.exam_id == exam_id).order_by(RoomSession.id)
        )
    )
