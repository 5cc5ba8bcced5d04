"""Actions on one candidate: retakes after an incident, time extensions, sanctions.

An attempt is never deleted or rewritten: a retake or a stopping sanction finalises it (so
what the server held is scored and kept), marks it voided with the reason in its event
chain, and — for a retake — opens a new attempt on the candidate's spare form.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.chain import GENESIS
from exam_server.lifecycle import append_event, finalise
from exam_server.models import Attempt, Candidate, Exam, ExamPart, Form, RoomSession, User
from exam_server.models.proctor import (
    RETAKE_MODES,
    SANCTION_KINDS,
    STOPPING_SANCTIONS,
    Incident,
    Retake,
    Sanction,
    TimeExtension,
)
from exam_server.text import nfc
from proctor_console import council_link
from proctor_console.decisions import DecisionInput, record_decision
from proctor_console.errors import ConsoleRefused


def _require_text(value: str, message) -> str:
    value = nfc((value or "").strip())
    if not value:
        raise ConsoleRefused(message)
    return value


def _own_attempt(session: Session, candidate: Candidate, attempt_id: int) -> Attempt:
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.candidate_id != candidate.id:
        raise ConsoleRefused(_l("This attempt does not belong to this candidate."))
    return attempt


def _incident_of_room(session: Session, room: RoomSession, incident_id: int | None) -> int | None:
    if not incident_id:
        return None
    incident = session.get(Incident, incident_id)
    if incident is None or incident.room_session_id != room.id:
        raise ConsoleRefused(_l("The incident must be one recorded in this room."))
    return incident.id


def void_attempt(
    session: Session, attempt: Attempt, exam: Exam, now: dt.datetime, payload: dict
) -> None:
    """Close the attempt from what the server holds, then mark it voided (kept, never erased)."""
    if attempt.state == "voided":
        return
    finalise(session, attempt, exam, now, by="staff")
    attempt.state = "voided"
    append_event(session, attempt, "void", now, payload=payload)


# --- retakes -------------------------------------------------------------------------------


def order_retake(
    session: Session,
    candidate: Candidate,
    *,
    attempt_id: int,
    mode: str,
    reason: str,
    incident_id: int | None,
    scheduled_at: dt.datetime | None,
    decision: DecisionInput | None,
    actor: User,
    now: dt.datetime,
) -> Retake:
    """Void the attempt hit by an incident and give a new one: now, or on the chair's day."""
    if mode not in RETAKE_MODES:
        raise ValueError(mode)
    room = candidate.room_session
    reason = _require_text(reason, _l("Give the reason for the retake."))
    attempt = _own_attempt(session, candidate, attempt_id)
    if attempt.state == "voided":
        raise ConsoleRefused(_l("This attempt is already voided."))
    incident = _incident_of_room(session, room, incident_id)
    decision_row = None
    if mode == "later":
        if scheduled_at is None:
            raise ConsoleRefused(_l("Give the day and time the chair set for the retake."))
        decision_row = record_decision(
            session,
            room=room,
            candidate=candidate,
            kind="retake_later",
            decision=decision,
            actor=actor,
            now=now,
        )
    elif room.state != "running":
        raise ConsoleRefused(_l("A retake in the same shift needs the room running."))
    exam = session.get(Exam, candidate.exam_id)
    _spare_form(session, candidate, attempt.part_id)  # refuse before voiding anything
    retake = Retake(
        candidate_id=candidate.id,
        part_id=attempt.part_id,
        room_session_id=room.id,
        voided_attempt_id=attempt.id,
        incident_id=incident,
        decision_id=decision_row.id if decision_row else None,
        mode=mode,
        scheduled_at=scheduled_at if mode == "later" else None,
        reason=reason,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    session.add(retake)
    session.flush()
    void_attempt(session, attempt, exam, now, {"reason": "retake", "retake": retake.id})
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="retake_ordered",
        target_type="attempt",
        target_id=attempt.id,
        details={
            "retake": retake.id,
            "mode": mode,
            "reason": reason,
            "incident": incident,
            "decision": retake.decision_id,
            "scheduled_at": scheduled_at.isoformat() if scheduled_at and mode == "later" else None,
        },
    )
    if mode == "same_shift":
        open_retake(session, retake, actor, now)
    return retake


def open_retake(session: Session, retake: Retake, actor: User, now: dt.datetime) -> Attempt:
    """Open the retake's new attempt on the spare form, with the part's full time from now."""
    if retake.new_attempt_id is not None:
        raise ConsoleRefused(_l("This retake is already open."))
    candidate = session.get(Candidate, retake.candidate_id)
    room = candidate.room_session
    if room is None or room.state != "running":
        raise ConsoleRefused(_l("A retake opens only while the candidate's room is running."))
    busy = session.scalar(
        select(Attempt.id).where(
            Attempt.candidate_id == candidate.id, Attempt.state == "in_progress"
        )
    )
    if busy is not None:
        raise ConsoleRefused(_l("The candidate has another part in progress."))
    part = session.get(ExamPart, retake.part_id)
    form = _spare_form(session, candidate, part.id)
    number = session.scalar(
        select(func.max(Attempt.attempt_no)).where(
            Attempt.candidate_id == candidate.id, Attempt.part_id == part.id
        )
    )
    attempt = Attempt(
        candidate_id=candidate.id,
        part_id=part.id,
        form_id=form.id,
        attempt_no=(number or 0) + 1,
        state="in_progress",
        started_at=now,
        deadline_base_at=now + dt.timedelta(minutes=part.duration_minutes),
        paused_seconds_at_start=room.paused_seconds,
        last_hash=GENESIS,
        last_contact_at=now,
    )
    session.add(attempt)
    session.flush()
    append_event(
        session,
        attempt,
        "start",
        now,
        payload={"form": form.id, "seed": str(form.seed), "retake_of": retake.voided_attempt_id},
    )
    retake.new_attempt_id = attempt.id
    retake.opened_at = now
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="retake_opened",
        target_type="attempt",
        target_id=attempt.id,
        details={"retake": retake.id, "voided_attempt": retake.voided_attempt_id},
    )
    return attempt


def _spare_form(session: Session, candidate: Candidate, part_id: int) -> Form:
    form = session.scalar(
        select(Form).where(
            Form.candidate_id == candidate.id, Form.part_id == part_id, Form.kind == "spare"
        )
    )
    if form is None:
        raise ConsoleRefused(_l("The candidate has no spare form for this part."))
    if session.scalar(select(Attempt.id).where(Attempt.form_id == form.id)) is not None:
        raise ConsoleRefused(_l("The candidate's spare form for this part is already used."))
    return form


# --- time extensions -----------------------------------------------------------------------


def grant_extension(
    session: Session,
    candidate: Candidate,
    *,
    attempt_id: int,
    minutes: int,
    reason: str,
    decision: DecisionInput | None,
    actor: User,
    now: dt.datetime,
) -> TimeExtension:
    """Give an attempt in progress more time, only on a recorded decision of the chair."""
    attempt = _own_attempt(session, candidate, attempt_id)
    if attempt.state != "in_progress":
        raise ConsoleRefused(_l("Only an attempt in progress can get more time."))
    if minutes <= 0:
        raise ConsoleRefused(_l("The extension must be at least one minute."))
    reason = _require_text(reason, _l("Give the reason for the extension."))
    room = candidate.room_session
    decision_row = record_decision(
        session,
        room=room,
        candidate=candidate,
        kind="time_extension",
        decision=decision,
        actor=actor,
        now=now,
    )
    seconds = minutes * 60
    attempt.extension_seconds += seconds
    extension = TimeExtension(
        attempt_id=attempt.id,
        seconds=seconds,
        decision_id=decision_row.id,
        reason=reason,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    session.add(extension)
    session.flush()
    council_link.extension_decision(
        session, extension, candidate.exam_id, candidate.id, attempt.part_id, actor, now
    )
    append_event(
        session,
        attempt,
        "extension",
        now,
        payload={"seconds": seconds, "decision": decision_row.id},
    )
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="time_extended",
        target_type="attempt",
        target_id=attempt.id,
        details={"seconds": seconds, "decision": decision_row.id, "reason": reason},
    )
    return extension


# --- sanctions -----------------------------------------------------------------------------


def impose_sanction(
    session: Session,
    candidate: Candidate,
    *,
    kind: str,
    reason: str,
    witnesses: str,
    incident_id: int | None,
    actor: User,
    now: dt.datetime,
) -> Sanction:
    """Record a sanction; suspension and cancellation stop the candidate's test at once.

    Reprimand (−25 %) and warning (−50 %) are applied by the chair when results are compiled.
    """
    if kind not in SANCTION_KINDS:
        raise ValueError(kind)
    room = candidate.room_session
    reason = _require_text(reason, _l("Give the reason for the sanction."))
    witnesses = _require_text(witnesses, _l("Name the witnesses of the breach."))
    incident = _incident_of_room(session, room, incident_id)
    current = session.scalar(
        select(Attempt).where(Attempt.candidate_id == candidate.id, Attempt.state == "in_progress")
    )
    sanction = Sanction(
        room_session_id=room.id,
        candidate_id=candidate.id,
        attempt_id=current.id if current else None,
        incident_id=incident,
        kind=kind,
        reason=reason,
        witnesses=witnesses,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    session.add(sanction)
    session.flush()
    council_link.sanction_decision(
        session, sanction, candidate.exam_id, current.part_id if current else None, actor, now
    )
    if kind in STOPPING_SANCTIONS:
        _stop_test(session, candidate, sanction, now)
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action=f"sanction_{kind}",
        target_type="candidate",
        target_id=candidate.id,
        details={
            "sanction": sanction.id,
            "reason": reason,
            "witnesses": witnesses,
            "incident": incident,
            "attempt": sanction.attempt_id,
        },
    )
    return sanction


def _stop_test(
    session: Session, candidate: Candidate, sanction: Sanction, now: dt.datetime
) -> None:
    """Void the attempt in progress and bar the parts not yet taken.

    A part not yet taken gets a voided attempt on its main form, marked "not_started", so no
    terminal can open it later: delivery finds the part closed.
    """
    exam = session.get(Exam, candidate.exam_id)
    payload = {"reason": sanction.kind, "sanction": sanction.id}
    attempts = session.scalars(select(Attempt).where(Attempt.candidate_id == candidate.id)).all()
    for attempt in attempts:
        if attempt.state == "in_progress":
            void_attempt(session, attempt, exam, now, payload)
    taken = {attempt.part_id for attempt in attempts}
    exempt = set(candidate.exempt_part_ids or [])
    for part in exam.parts:
        if part.id in taken or part.id in exempt:
            continue
        form = session.scalar(
            select(Form).where(
                Form.candidate_id == candidate.id, Form.part_id == part.id, Form.kind == "main"
            )
        )
        if form is None:
            continue
        barred = Attempt(
            candidate_id=candidate.id,
            part_id=part.id,
            form_id=form.id,
            attempt_no=1,
            state="voided",
            started_at=now,
            deadline_base_at=now,
            last_hash=GENESIS,
            finalised_at=now,
            finalised_by="staff",
        )
        session.add(barred)
        session.flush()
        append_event(session, barred, "void", now, payload={**payload, "not_started": True})
