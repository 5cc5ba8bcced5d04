"""The room's result list after the test time: printed, signed by each candidate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Attempt, Candidate, ExamPart, RoomSession, User
from exam_server.models.proctor import CheckIn, ResultSignature
from exam_server.text import nfc
from proctor_console import council_link
from proctor_console.checkin import room_list
from proctor_console.errors import ConsoleRefused


@dataclass
class ResultRow:
    candidate: Candidate
    check_in: CheckIn | None
    attempts: dict[int, Attempt] = field(default_factory=dict)  # part id -> latest attempt
    signature: ResultSignature | None = None

    @property
    def sat(self) -> bool:
        return bool(self.attempts)


def result_rows(
    session: Session, room: RoomSession, order: str = "sbd"
) -> tuple[list[ExamPart], list[ResultRow]]:
    """Return the exam's parts and one row per candidate with the latest attempt per part."""
    parts = list(
        session.scalars(
            select(ExamPart)
            .where(ExamPart.exam_id == room.shift.exam_id)
            .order_by(ExamPart.position)
        )
    )
    rows = [
        ResultRow(candidate, check_in) for candidate, check_in in room_list(session, room, order)
    ]
    by_id = {row.candidate.id: row for row in rows}
    for attempt in session.scalars(
        select(Attempt)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.room_session_id == room.id)
        .order_by(Attempt.attempt_no)
    ):
        by_id[attempt.candidate_id].attempts[attempt.part_id] = attempt
    for signature in session.scalars(
        select(ResultSignature).where(ResultSignature.room_session_id == room.id)
    ):
        if signature.candidate_id in by_id:
            by_id[signature.candidate_id].signature = signature
    return parts, rows


def record_signatures(
    session: Session,
    room: RoomSession,
    *,
    unsigned_ids: set[int],
    note: str,
    actor: User,
    now: dt.datetime,
) -> list[int]:
    """Record who signed the printed list and who did not (their result becomes 0)."""
    if room.state != "closed":
        raise ConsoleRefused(_l("The result list is signed after the room is closed."))
    _parts, rows = result_rows(session, room)
    sitting = {row.candidate.id: row for row in rows if row.sat}
    unknown = unsigned_ids - set(sitting)
    if unknown:
        raise ConsoleRefused(_l("Only candidates who sat the test sign the result list."))
    note = nfc(note.strip())[:300]
    reason = note or str(_l("Did not sign the room's result list."))
    for candidate_id, row in sitting.items():
        signed = candidate_id not in unsigned_ids
        council_link.set_unsigned(
            session,
            exam_id=row.candidate.exam_id,
            room_session_id=room.id,
            candidate_id=candidate_id,
            part_ids=sorted(row.attempts),
            unsigned=not signed,
            reason=reason,
            actor=actor,
            now=now,
        )
        record = row.signature
        if record is None:
            record = ResultSignature(room_session_id=room.id, candidate_id=candidate_id)
            session.add(record)
        changed = record.signed is None or record.signed != signed
        record.signed = signed
        record.note = note if not signed else ""
        record.recorded_by_id = actor.id
        record.recorded_at = now
        if changed and not signed:
            audit.record(
                session,
                at=now,
                actor_kind="user",
                actor_id=actor.id,
                action="result_not_signed",
                target_type="candidate",
                target_id=candidate_id,
                details={"note": note},
            )
        elif changed and row.signature is not None:
            audit.record(
                session,
                at=now,
                actor_kind="user",
                actor_id=actor.id,
                action="result_signed",
                target_type="candidate",
                target_id=candidate_id,
                details={"note": "corrected"},
            )
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="result_list_signatures",
        target_type="room_session",
        target_id=room.id,
        details={"unsigned": sorted(unsigned_ids), "note": note},
    )
    session.flush()
    return sorted(unsigned_ids)
