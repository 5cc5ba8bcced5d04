"""Recording the chair's decisions that the room acts on (late entry, extension, retake day)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Candidate, RoomSession, User
from exam_server.models.proctor import DECISION_KINDS, ChairDecision
from exam_server.text import nfc
from proctor_console.errors import ConsoleRefused


@dataclass(frozen=True)
class DecisionInput:
    """A decision as the proctor copies it from the chair: its number and who decided."""

    reference: str
    decided_by: str
    summary: str = ""

    def given(self) -> bool:
        return bool(self.reference.strip() and self.decided_by.strip())


def record_decision(
    session: Session,
    *,
    room: RoomSession,
    candidate: Candidate | None,
    kind: str,
    decision: DecisionInput | None,
    actor: User,
    now: dt.datetime,
) -> ChairDecision:
    """Store a chair's decision; refuse one without its number and the chair's name."""
    if kind not in DECISION_KINDS:
        raise ValueError(kind)
    if decision is None or not decision.given():
        raise ConsoleRefused(
            _l("This needs a decision of the council chair: enter its number and who decided.")
        )
    record = ChairDecision(
        exam_id=room.shift.exam_id,
        room_session_id=room.id,
        candidate_id=candidate.id if candidate else None,
        kind=kind,
        reference=nfc(decision.reference.strip())[:100],
        decided_by=nfc(decision.decided_by.strip())[:200],
        summary=nfc(decision.summary.strip()),
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="chair_decision_recorded",
        target_type="candidate" if candidate else "room_session",
        target_id=candidate.id if candidate else room.id,
        details={
            "decision": record.id,
            "kind": kind,
            "reference": record.reference,
            "decided_by": record.decided_by,
        },
    )
    return record
