"""Read models of the console: which rooms a user sees, and the live grid.

The grid is built with a fixed number of queries, whatever the number of candidates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server.clock import seconds_left
from exam_server.lifecycle import clock_state
from exam_server.models import Answer, Attempt, Candidate, ExamPart, RoomSession, Shift, User
from exam_server.models.exams import RoomStaff
from exam_server.models.proctor import STOPPING_SANCTIONS, CheckIn, Sanction
from proctor_console import access
from proctor_console.access import (
    ROOM_STAFF_ROLES,
    WATCH_ONLY_ROLES,
)
from proctor_console.services import terminal_short

CANDIDATE_COLUMNS = (
    Candidate.id,
    Candidate.registration_number,
    Candidate.full_name,
    Candidate.seat,
    Candidate.active_terminal,
    Candidate.terminal_move_approved,
    Candidate.exempt_part_ids,
)
# What a tile and the clock need of an attempt (lifecycle.clock_state reads these names).
ATTEMPT_COLUMNS = (
    Attempt.id,
    Attempt.candidate_id,
    Attempt.part_id,
    Attempt.state,
    Attempt.attempt_no,
    Attempt.deadline_base_at,
    Attempt.paused_seconds_at_start,
    Attempt.extension_seconds,
    Attempt.last_contact_at,
    Attempt.answered_count,
)
GRID_STATES = ("not_logged_in", "waiting", "in_progress", "paused", "submitted", "suspended")


def rooms_visible_to(session: Session, user: User, exam_id: int | None = None) -> list[RoomSession]:
    """Return the room sessions this user may open: their assigned rooms and shifts.

    Admins, the supervision board and the council see every room.
    """
    query = select(RoomSession).join(Shift, Shift.id == RoomSession.shift_id)
    if exam_id is not None:
        query = query.where(Shift.exam_id == exam_id)
    rooms = list(session.scalars(query.order_by(Shift.starts_at, RoomSession.id)))
    if user.role == "admin" or user.role in WATCH_ONLY_ROLES:
        return rooms
    if user.role not in ROOM_STAFF_ROLES:
        return []
    assigned = set(
        session.scalars(select(RoomStaff.room_session_id).where(RoomStaff.user_id == user.id))
    )
    staffed = set(session.scalars(select(RoomStaff.room_session_id).distinct()))
    return [
        room
        for room in rooms
        if room.id in assigned
        or (access.UNSTAFFED_ROOMS_OPEN_TO_ROOM_STAFF and room.id not in staffed)
    ]


def room_grid(
    session: Session, room: RoomSession, now: dt.datetime, stale_after_seconds: int = 30
) -> list[dict[str, Any]]:
    """Return one tile per candidate: state, answered/total, time left, contact, terminal."""
    exam_id = room.shift.exam_id
    parts = {
        part_id: (item_count, title)
        for part_id, item_count, title in session.execute(
            select(ExamPart.id, ExamPart.item_count, ExamPart.title).where(
                ExamPart.exam_id == exam_id
            )
        )
    }
    # Plain rows, not ORM objects: a refresh every few seconds for 200 seats stays cheap.
    candidates = session.execute(
        select(*CANDIDATE_COLUMNS, CheckIn.present, CheckIn.terminal_label)
        .outerjoin(
            CheckIn,
            (CheckIn.candidate_id == Candidate.id) & (CheckIn.room_session_id == room.id),
        )
        .where(Candidate.room_session_id == room.id)
        .order_by(Candidate.seat, Candidate.registration_number)
    ).all()
    attempts_of: dict[int, list[Any]] = {}
    for attempt in session.execute(
        select(*ATTEMPT_COLUMNS)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.room_session_id == room.id)
        .order_by(Attempt.started_at, Attempt.id)
    ):
        attempts_of.setdefault(attempt.candidate_id, []).append(attempt)
    answered = dict(
        session.execute(
            select(Answer.attempt_id, func.count(Answer.id))
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .where(
                Candidate.room_session_id == room.id,
                Attempt.state == "in_progress",
                Answer.response.is_not(None),
            )
            .group_by(Answer.attempt_id)
        ).all()
    )
    stopped = set(
        session.scalars(
            select(Sanction.candidate_id).where(
                Sanction.room_session_id == room.id, Sanction.kind.in_(STOPPING_SANCTIONS)
            )
        )
    )
    return [
        _tile(
            candidate,
            attempts_of.get(candidate.id, []),
            parts,
            answered,
            candidate.id in stopped,
            room,
            now,
            stale_after_seconds,
        )
        for candidate in candidates
    ]


def _tile(
    candidate: Any,
    attempts: list[Any],
    parts: dict[int, tuple[int, str]],
    answered: dict[int, int],
    stopped: bool,
    room: RoomSession,
    now: dt.datetime,
    stale_after_seconds: int,
) -> dict[str, Any]:
    current = next((a for a in attempts if a.state == "in_progress"), None)
    shown = current or (attempts[-1] if attempts else None)
    tile: dict[str, Any] = {
        "candidate_id": candidate.id,
        "sbd": candidate.registration_number,
        "name": candidate.full_name,
        "seat": candidate.seat,
        "present": candidate.present,
        "terminal": candidate.terminal_label or terminal_short(candidate.active_terminal),
        "move_approved": candidate.terminal_move_approved,
        "state": _state(candidate, attempts, current, parts, stopped, room),
        "part": None,
        "answered": 0,
        "total": 0,
        "seconds_left": None,
        "contact_age": None,
        "stale": False,
        "retake_pending": bool(
            shown is not None and shown.state == "voided" and not stopped and current is None
        ),
    }
    if shown is not None:
        total, title = parts.get(shown.part_id, (0, ""))
        tile.update(part=title, total=total)
        if shown.state == "in_progress":
            tile["answered"] = answered.get(shown.id, 0)
        elif shown.state == "finalised":
            tile["answered"] = shown.answered_count or 0
    if current is not None:
        tile["seconds_left"] = seconds_left(clock_state(current, room), now)
        if current.last_contact_at is not None:
            age = max(0, int((now - current.last_contact_at).total_seconds()))
            tile["contact_age"] = age
            tile["stale"] = room.state == "running" and age > stale_after_seconds
    return tile


def _state(candidate, attempts, current, parts, stopped, room) -> str:
    if stopped:
        return "suspended"
    if current is not None:
        return "paused" if room.state == "paused" else "in_progress"
    latest_by_part: dict[int, Any] = {}
    for attempt in sorted(attempts, key=lambda a: a.attempt_no):
        latest_by_part[attempt.part_id] = attempt
    needed = set(parts) - set(candidate.exempt_part_ids or [])
    if needed and all(
        part_id in latest_by_part and latest_by_part[part_id].state == "finalised"
        for part_id in needed
    ):
        return "submitted"
    if attempts or candidate.active_terminal:
        return "waiting"
    return "not_logged_in"
