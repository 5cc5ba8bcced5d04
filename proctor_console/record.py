"""Everything the room record (biên bản) states, gathered from the room's rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models import (
    Attempt,
    AuditEntry,
    Candidate,
    Exam,
    ExamPart,
    RoomSession,
    User,
)
from exam_server.models.exams import RoomStaff
from exam_server.models.proctor import (
    ChairDecision,
    CheckIn,
    EnvelopeOpening,
    IncidentVersion,
    ResultSignature,
    Retake,
    Sanction,
    TimeExtension,
)
from proctor_console.checkin import late_entry_closes_at
from proctor_console.incidents import room_incidents


@dataclass(frozen=True)
class Pause:
    paused_at: dt.datetime
    paused_by: str
    reason: str
    resumed_at: dt.datetime | None = None
    resumed_by: str = ""
    resume_reason: str = ""


@dataclass
class RoomRecord:
    exam: Exam
    room: RoomSession
    staff: list[tuple[str, str]]  # (room role, name)
    candidates: list[Candidate]
    check_ins: dict[int, CheckIn]
    late_entry_closes_at: dt.datetime
    decisions: dict[int, ChairDecision]
    envelope: EnvelopeOpening | None
    envelope_by: str
    started_at: dt.datetime | None
    closed_at: dt.datetime | None
    pauses: list[Pause]
    incidents: list[tuple[int, IncidentVersion]]  # (number of versions, current version)
    retakes: list[Retake]
    sanctions: list[Sanction]
    extensions: list[tuple[TimeExtension, Attempt]]
    parts: list[ExamPart]
    submitted_by_part: dict[int, int]
    voided_by_part: dict[int, int]
    unsigned: list[ResultSignature]
    signatures_recorded: bool
    by_id: dict[int, Candidate] = field(default_factory=dict)

    @property
    def present(self) -> list[Candidate]:
        return [c for c in self.candidates if self._present(c)]

    @property
    def absent(self) -> list[Candidate]:
        return [c for c in self.candidates if not self._present(c)]

    @property
    def late(self) -> list[tuple[Candidate, CheckIn]]:
        return [
            (c, self.check_ins[c.id])
            for c in self.candidates
            if c.id in self.check_ins and self.check_ins[c.id].late
        ]

    def _present(self, candidate: Candidate) -> bool:
        record = self.check_ins.get(candidate.id)
        return bool(record and record.present)


def room_record(session: Session, room: RoomSession) -> RoomRecord:
    """Gather the room record from the stored rows (nothing is computed from memory)."""
    exam = session.get(Exam, room.shift.exam_id)
    candidates = list(
        session.scalars(
            select(Candidate)
            .where(Candidate.room_session_id == room.id)
            .order_by(Candidate.registration_number)
        )
    )
    by_id = {c.id: c for c in candidates}
    names = dict(session.execute(select(User.id, User.full_name)).all())
    staff = [
        (role, names.get(user_id, ""))
        for user_id, role in session.execute(
            select(RoomStaff.user_id, RoomStaff.role)
            .where(RoomStaff.room_session_id == room.id)
            .order_by(RoomStaff.role, RoomStaff.id)
        )
    ]
    check_ins = {
        c.candidate_id: c
        for c in session.scalars(select(CheckIn).where(CheckIn.room_session_id == room.id))
    }
    decisions = {
        d.id: d
        for d in session.scalars(
            select(ChairDecision).where(ChairDecision.room_session_id == room.id)
        )
    }
    envelope = session.scalar(
        select(EnvelopeOpening).where(EnvelopeOpening.room_session_id == room.id)
    )
    room_events = list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.target_type == "room_session",
                AuditEntry.target_id == room.id,
                AuditEntry.action.in_(("room_start", "room_pause", "room_resume", "room_close")),
            )
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
    attempts = list(
        session.scalars(
            select(Attempt)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .where(Candidate.room_session_id == room.id)
        )
    )
    attempt_by_id = {a.id: a for a in attempts}
    parts = list(
        session.scalars(
            select(ExamPart).where(ExamPart.exam_id == exam.id).order_by(ExamPart.position)
        )
    )
    submitted: dict[int, int] = {p.id: 0 for p in parts}
    voided: dict[int, int] = {p.id: 0 for p in parts}
    for attempt in attempts:
        if attempt.state == "finalised":
            submitted[attempt.part_id] = submitted.get(attempt.part_id, 0) + 1
        elif attempt.state == "voided":
            voided[attempt.part_id] = voided.get(attempt.part_id, 0) + 1
    signatures = list(
        session.scalars(select(ResultSignature).where(ResultSignature.room_session_id == room.id))
    )
    return RoomRecord(
        exam=exam,
        room=room,
        staff=staff,
        candidates=candidates,
        check_ins=check_ins,
        late_entry_closes_at=late_entry_closes_at(room, exam),
        decisions=decisions,
        envelope=envelope,
        envelope_by=names.get(envelope.opened_by_id, "") if envelope else "",
        started_at=next((e.at for e in room_events if e.action == "room_start"), room.started_at),
        closed_at=next((e.at for e in room_events if e.action == "room_close"), None),
        pauses=_pauses(room_events, names),
        incidents=[(i.version_count, v) for i, v in room_incidents(session, room)],
        retakes=list(
            session.scalars(
                select(Retake).where(Retake.room_session_id == room.id).order_by(Retake.id)
            )
        ),
        sanctions=list(
            session.scalars(
                select(Sanction).where(Sanction.room_session_id == room.id).order_by(Sanction.id)
            )
        ),
        extensions=[
            (extension, attempt_by_id[extension.attempt_id])
            for extension in session.scalars(
                select(TimeExtension)
                .where(TimeExtension.attempt_id.in_(list(attempt_by_id) or [0]))
                .order_by(TimeExtension.id)
            )
        ],
        parts=parts,
        submitted_by_part=submitted,
        voided_by_part=voided,
        unsigned=[s for s in signatures if not s.signed],
        signatures_recorded=bool(signatures),
        by_id=by_id,
    )


def _pauses(events: list[AuditEntry], names: dict[int, str]) -> list[Pause]:
    pauses: list[Pause] = []
    for event in events:
        reason = (event.details or {}).get("reason", "")
        who = names.get(event.actor_id, "")
        if event.action == "room_pause":
            pauses.append(Pause(event.at, who, reason))
        elif event.action in ("room_resume", "room_close") and pauses and not pauses[-1].resumed_at:
            last = pauses[-1]
            pauses[-1] = Pause(last.paused_at, last.paused_by, last.reason, event.at, who, reason)
    return pauses
