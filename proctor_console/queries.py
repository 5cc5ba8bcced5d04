"""The live grid: one row per seat, built with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server.clock import seconds_left
from exam_server.lifecycle import clock_state
from exam_server.models import Answer, Attempt, Candidate, ExamPart, RoomSession

STALE_CONTACT_SECONDS = 30


def room_grid(session: Session, room: RoomSession, now: dt.datetime) -> list[dict[str, Any]]:
    """Return each candidate's tile: state, answered/total, time left, last contact."""
    candidates = session.scalars(
        select(Candidate)
        .where(Candidate.room_session_id == room.id)
        .order_by(Candidate.seat, Candidate.registration_number)
    ).all()
    attempts = session.execute(
        select(Attempt, ExamPart.item_count, ExamPart.title)
        .join(ExamPart, ExamPart.id == Attempt.part_id)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.room_session_id == room.id)
        .order_by(Attempt.started_at)
    ).all()
    answered = dict(
        session.execute(
            select(Answer.attempt_id, func.count(Answer.id))
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .where(Candidate.room_session_id == room.id, Answer.response.is_not(None))
            .group_by(Answer.attempt_id)
        ).all()
    )
    latest: dict[int, tuple[Attempt, int, str]] = {}
    for attempt, item_count, title in attempts:
        latest[attempt.candidate_id] = (attempt, item_count, title)
    tiles = []
    for candidate in candidates:
        tile: dict[str, Any] = {
            "candidate_id": candidate.id,
            "sbd": candidate.registration_number,
            "name": candidate.full_name,
            "seat": candidate.seat,
            "state": "not_started",
            "answered": 0,
            "total": 0,
            "part": None,
            "seconds_left": None,
            "contact_age": None,
            "move_requested": candidate.terminal_move_approved,
        }
        if candidate.id in latest:
            attempt, item_count, title = latest[candidate.id]
            tile.update(
                state=attempt.state,
                answered=answered.get(attempt.id, 0),
                total=item_count,
                part=title,
                seconds_left=seconds_left(clock_state(attempt, room), now)
                if attempt.state == "in_progress"
                else None,
                contact_age=int((now - attempt.last_contact_at).total_seconds())
                if attempt.last_contact_at
                else None,
            )
        tile["stale"] = (
            tile["state"] == "in_progress" and (tile["contact_age"] or 0) > STALE_CONTACT_SECONDS
        )
        tiles.append(tile)
    return tiles
