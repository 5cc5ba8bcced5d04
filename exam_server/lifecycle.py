"""The attempt's core lifecycle shared by delivery and the proctor console.

The clock state, the event chain, scoring at finalisation: one place, so the terminal
and the room console can never disagree about an attempt.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.chain import canonical_event, link
from exam_server.clock import ClockState, deadline
from exam_server.models import (
    Answer,
    AnswerEvent,
    Attempt,
    Candidate,
    Exam,
    ExamPart,
    FormItem,
    ItemVersion,
    RoomSession,
)
from exam_server.results import score_form, store_result


def clock_state(attempt: Attempt, room: RoomSession) -> ClockState:
    return ClockState(
        deadline_base_at=attempt.deadline_base_at,
        room_paused_seconds=room.paused_seconds,
        room_paused_at=room.paused_at,
        paused_seconds_at_start=attempt.paused_seconds_at_start,
        extension_seconds=attempt.extension_seconds,
    )


def append_event(
    session: Session,
    attempt: Attempt,
    kind: str,
    now: dt.datetime,
    *,
    client_seq: int | None = None,
    position: int | None = None,
    payload: Any = None,
) -> AnswerEvent:
    """Append one event to the attempt's hash chain."""
    ordinal = attempt.event_count + 1
    canonical = canonical_event(attempt.id, ordinal, kind, client_seq, position, payload, now)
    event = AnswerEvent(
        attempt_id=attempt.id,
        ordinal=ordinal,
        kind=kind,
        client_seq=client_seq,
        position=position,
        payload=payload,
        at=now,
        prev_hash=attempt.last_hash,
        hash=link(attempt.last_hash, canonical),
    )
    session.add(event)
    attempt.event_count = ordinal
    attempt.last_hash = event.hash
    return event


def finalise_if_due(
    session: Session,
    attempt: Attempt,
    room: RoomSession,
    exam: Exam,
    now: dt.datetime,
    grace_seconds: int = 0,
) -> bool:
    """Finalise the attempt if its deadline (plus grace) has passed; return whether it is closed."""
    if attempt.state != "in_progress":
        return True
    if room.state == "paused":
        return False
    due = deadline(clock_state(attempt, room), now)
    if now <= due + dt.timedelta(seconds=grace_seconds):
        return False
    finalise(session, attempt, exam, now, by="deadline")
    attempt.finalised_at = due  # the paper ended at its deadline, whenever it was collected
    return True


def form_with_versions(session: Session, form_id: int) -> list[tuple[FormItem, ItemVersion]]:
    return [
        tuple(row)
        for row in session.execute(
            select(FormItem, ItemVersion)
            .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
            .where(FormItem.form_id == form_id)
            .order_by(FormItem.position)
        )
    ]


def finalise(session: Session, attempt: Attempt, exam: Exam, now: dt.datetime, *, by: str) -> None:
    """Score the attempt from the answers the server holds and close it."""
    if attempt.state != "in_progress":
        return
    part = session.get(ExamPart, attempt.part_id)
    answers = session.scalars(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    result = score_form(
        part,
        form_with_versions(session, attempt.form_id),
        {answer.position: answer.response for answer in answers},
        exam.multi_response_policy,
    )
    store_result(attempt, result)
    attempt.state = "finalised"
    attempt.finalised_at = now
    attempt.finalised_by = by
    append_event(
        session,
        attempt,
        "finalise",
        now,
        payload={"by": by, "correct": result.correct_count, "score_100": result.score_100},
    )


def results_visible(exam: Exam, attempt: Attempt, room: RoomSession, now: dt.datetime) -> bool:
    """Results show at submission, or once the part's time is over (the rules' default)."""
    if attempt.state != "finalised":
        return False
    if exam.results_shown == "at_submit":
        return True
    return now >= deadline(clock_state(attempt, room), now)


def finalise_due_attempts(session: Session, now: dt.datetime, grace_seconds: int) -> int:
    """Finalise every attempt in progress whose deadline has passed; return how many."""
    rows = session.execute(
        select(Attempt, RoomSession, Exam)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .join(RoomSession, RoomSession.id == Candidate.room_session_id)
        .join(Exam, Exam.id == Candidate.exam_id)
        .where(Attempt.state == "in_progress")
    ).all()
    closed = 0
    for attempt, room, exam in rows:
        if finalise_if_due(session, attempt, room, exam, now, grace_seconds):
            closed += 1
    return closed
