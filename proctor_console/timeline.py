"""A candidate's timeline: every staff action, room event and attempt event, in order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from exam_server.models import AnswerEvent, Attempt, AuditEntry, Candidate, User

# Room actions that change every candidate's clock or paper, shown in each timeline.
ROOM_ACTIONS = ("room_start", "room_pause", "room_resume", "room_close", "envelope_opened")
# Answer and flag changes are many; the timeline shows each run of them as one line.
QUIET_EVENTS = ("answer", "flag")


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    source: str  # staff | candidate | system | attempt
    actor: str | None
    code: str  # an audit action or an attempt event kind
    details: dict[str, Any]
    attempt_id: int | None = None
    count: int = 1


def candidate_timeline(session: Session, candidate: Candidate) -> list[Entry]:
    """Return the candidate's timeline, oldest first (who, when, what, why)."""
    attempts = list(session.scalars(select(Attempt).where(Attempt.candidate_id == candidate.id)))
    attempt_ids = [attempt.id for attempt in attempts]
    targets = [and_(AuditEntry.target_type == "candidate", AuditEntry.target_id == candidate.id)]
    if attempt_ids:
        targets.append(
            and_(AuditEntry.target_type == "attempt", AuditEntry.target_id.in_(attempt_ids))
        )
    if candidate.room_session_id:
        targets.append(
            and_(
                AuditEntry.target_type == "room_session",
                AuditEntry.target_id == candidate.room_session_id,
                AuditEntry.action.in_(ROOM_ACTIONS),
            )
        )
    audits = list(session.scalars(select(AuditEntry).where(or_(*targets))))
    staff_ids = {a.actor_id for a in audits if a.actor_kind == "user" and a.actor_id}
    names = (
        dict(session.execute(select(User.id, User.full_name).where(User.id.in_(staff_ids))).all())
        if staff_ids
        else {}
    )
    entries = [
        Entry(
            at=a.at,
            source="staff" if a.actor_kind == "user" else a.actor_kind,
            actor=names.get(a.actor_id) if a.actor_kind == "user" else None,
            code=a.action,
            details=a.details or {},
        )
        for a in audits
    ]
    entries.extend(_event_entries(session, attempt_ids))
    return sorted(entries, key=lambda e: (e.at, 0 if e.source == "staff" else 1))


def _event_entries(session: Session, attempt_ids: list[int]) -> list[Entry]:
    if not attempt_ids:
        return []
    entries: list[Entry] = []
    run: Entry | None = None
    for event in session.scalars(
        select(AnswerEvent)
        .where(AnswerEvent.attempt_id.in_(attempt_ids))
        .order_by(AnswerEvent.attempt_id, AnswerEvent.ordinal)
    ):
        if event.kind in QUIET_EVENTS:
            if run is not None and run.attempt_id == event.attempt_id:
                run = Entry(run.at, "attempt", None, "answer", {}, event.attempt_id, run.count + 1)
            else:
                if run is not None:
                    entries.append(run)
                run = Entry(event.at, "attempt", None, "answer", {}, event.attempt_id)
            continue
        if run is not None:
            entries.append(run)
            run = None
        payload = event.payload if isinstance(event.payload, dict) else {}
        entries.append(
            Entry(event.at, "attempt", None, event.kind, _safe(payload), event.attempt_id)
        )
    if run is not None:
        entries.append(run)
    return entries


def _safe(payload: dict[str, Any]) -> dict[str, Any]:
    """Drop what staff pages must not show (a form's seed rebuilds its option order)."""
    return {key: value for key, value in payload.items() if key not in ("seed",)}
