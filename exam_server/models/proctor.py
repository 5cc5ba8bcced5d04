"""Room records: check-in, the code envelope, incidents, sanctions, retakes, extensions,
the chair's decisions the room relies on, and the signatures on the result list.

These are minutes (biên bản): rows are added and amended, never deleted. Incidents keep
every version; the ORM refuses to delete any of these records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.db import Base, UTCDateTime

DECISION_KINDS = ("late_entry", "time_extension", "retake_later", "sanction", "unsigned_result")
INCIDENT_KINDS = ("technical", "rule_breach")
SANCTION_KINDS = ("reprimand", "warning", "suspension", "cancellation")
# Sanctions that stop the candidate's test at once (the others are deductions at compilation).
STOPPING_SANCTIONS = ("suspension", "cancellation")
RETAKE_MODES = ("same_shift", "later")


class ChairDecision(Base):
    """A decision of the council chair that the room acts on (late entry, extension, …)."""

    __tablename__ = "proctor_chair_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    room_session_id: Mapped[int | None] = mapped_column(ForeignKey("room_sessions.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    # The decision as written: its number and the chair who signed or gave it.
    reference: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CheckIn(Base):
    """A candidate's attendance in a room: present or absent, identity checked, terminal."""

    __tablename__ = "proctor_check_ins"
    __table_args__ = (UniqueConstraint("room_session_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_session_id: Mapped[int] = mapped_column(ForeignKey("room_sessions.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    present: Mapped[bool] = mapped_column()
    id_checked: Mapped[bool] = mapped_column(default=False)
    # The machine the candidate sits at (a spare one after a fault), as labelled in the room.
    terminal_label: Mapped[str | None] = mapped_column(String(40))
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)
    late_decision_id: Mapped[int | None] = mapped_column(ForeignKey("proctor_chair_decisions.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class EnvelopeOpening(Base):
    """The head proctor opened the sealed session-code envelope before two candidate witnesses."""

    __tablename__ = "proctor_envelope_openings"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_session_id: Mapped[int] = mapped_column(ForeignKey("room_sessions.id"), unique=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    witness_1_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    witness_2_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    seal_intact: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")


class Incident(Base):
    """An incident in a room; its content lives in versions, the latest being current."""

    __tablename__ = "proctor_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_session_id: Mapped[int] = mapped_column(ForeignKey("room_sessions.id"), index=True)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    version_count: Mapped[int] = mapped_column(default=1)


class IncidentVersion(Base):
    """One version of an incident record; an amendment adds a version and says why."""

    __tablename__ = "proctor_incident_versions"
    __table_args__ = (UniqueConstraint("incident_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("proctor_incidents.id"), index=True)
    version_no: Mapped[int] = mapped_column()
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    candidate_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    sanction: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    action_taken: Mapped[str] = mapped_column(Text, default="")
    staff: Mapped[str] = mapped_column(Text, default="")  # staff present, as named in the minutes
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    edited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Sanction(Base):
    """A sanction recorded in the room; the chair applies deductions when results are compiled."""

    __tablename__ = "proctor_sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_session_id: Mapped[int] = mapped_column(ForeignKey("room_sessions.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("proctor_incidents.id"))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    witnesses: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Retake(Base):
    """A retake after an incident: the old attempt is kept voided, a new one opens on the spare
    form now (same shift) or on the day the chair sets (later)."""

    __tablename__ = "proctor_retakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("exam_parts.id"))
    room_session_id: Mapped[int] = mapped_column(ForeignKey("room_sessions.id"), index=True)
    voided_attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    new_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("proctor_incidents.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("proctor_chair_decisions.id"))
    mode: Mapped[str] = mapped_column(String(16))
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TimeExtension(Base):
    """Extra time given to one attempt, only on a recorded decision of the chair."""

    __tablename__ = "proctor_time_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    seconds: Mapped[int] = mapped_column()
    decision_id: Mapped[int] = mapped_column(ForeignKey("proctor_chair_decisions.id"))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ResultSignature(Base):
    """Whether the candidate signed the room's printed result list (no signature: 0 points)."""

    __tablename__ = "proctor_result_signatures"
    __table_args__ = (UniqueConstraint("room_session_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_session_id: Mapped[int] = mapped_column(ForeignKey("room_sessions.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    signed: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class RecordDeletionRefused(RuntimeError):
    """Room records are minutes: they are amended, never deleted."""


KEPT_RECORDS = (
    ChairDecision,
    EnvelopeOpening,
    Incident,
    IncidentVersion,
    Sanction,
    Retake,
    TimeExtension,
)


def _refuse_delete(_mapper: Any, _connection: Any, target: Any) -> None:
    raise RecordDeletionRefused(f"{type(target).__name__} {target.id} cannot be deleted")


for _model in KEPT_RECORDS:
    event.listen(_model, "before_delete", _refuse_delete)
