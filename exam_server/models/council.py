"""Council records: decisions, compiled results, result approvals, signed bundles, quotas.

The attempt rows keep the results stored at finalisation; everything the council changes
afterwards (sanctions, credited items, interview scores…) lives here, each change traced to
a recorded decision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.db import Base, UTCDateTime

# What a decision may be, and the shape of its `value`:
#   sanction       candidate (+ part, or every part when part_id is None);
#                  value {"sanction": "reprimand" | "warning" | "suspension" | "cancellation"}
#   unsigned       candidate + part: no signature on the room's result list, the part scores 0
#   faulty_item    item_version: the item is credited to every candidate who had it
#   accept_option  item_version; value {"option_id": "o2"}: this option also earns full credit
#   accept_text    item_version; value {"blank": 0, "text": "…"}: a blank also accepts this text
#   interview      candidate; value {"score": 0..100} (round 2: 70 % written + 30 % interview)
#   priority       candidate; value {"points": 7.5 | 5 | 2.5 | 1.5 …} added to the round-2 score
#   extension      candidate (+ part); value {"minutes": n}: time given back (kept for the file)
#   note           anything else the council minuted; it changes no figure
DECISION_KINDS = (
    "sanction",
    "unsigned",
    "faulty_item",
    "accept_option",
    "accept_text",
    "interview",
    "priority",
    "extension",
    "note",
)
# Decisions recorded in a room (proctor console) wait for the chair's confirmation.
DECISION_SOURCES = ("council", "proctor")
PART_RESULT_STATUSES = ("sat", "absent", "exempt", "in_progress", "voided")


class Decision(Base):
    """One minuted decision that may change compiled results; revoked, never deleted."""

    __tablename__ = "council_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("exam_parts.id"))
    item_version_id: Mapped[int | None] = mapped_column(ForeignKey("item_versions.id"))
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    # Where the signed minutes are (e.g. "proctor_incident:12", "BB-03/2026").
    record_ref: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16), default="council")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Only confirmed decisions change results; the council's own are confirmed when recorded.
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Recorded while the exam's results were approved (a change to frozen results).
    after_approval: Mapped[bool] = mapped_column(default=False)
    # The before/after report of the results this decision changed when it took effect.
    effect: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.revoked_at is None


class PartResultRecord(Base):
    """A candidate's compiled result for one part, after the council's decisions."""

    __tablename__ = "council_part_results"
    __table_args__ = (UniqueConstraint("candidate_id", "part_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("exam_parts.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    status: Mapped[str] = mapped_column(String(16))
    item_count: Mapped[int | None] = mapped_column()
    correct_count: Mapped[int | None] = mapped_column()
    adjusted_correct: Mapped[float | None] = mapped_column()
    earned: Mapped[float | None] = mapped_column()
    maximum: Mapped[float | None] = mapped_column()
    score_100: Mapped[float | None] = mapped_column()
    share_correct: Mapped[float | None] = mapped_column()
    passed: Mapped[bool | None] = mapped_column()
    sanction: Mapped[str | None] = mapped_column(String(24))
    voided: Mapped[bool] = mapped_column(default=False)
    # The figures stored on the attempt at finalisation, for the before/after view.
    stored_score_100: Mapped[float | None] = mapped_column()
    stored_correct_count: Mapped[int | None] = mapped_column()
    stored_passed: Mapped[bool | None] = mapped_column()
    decision_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    compiled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CandidateResultRecord(Base):
    """A candidate's compiled overall result, and the round-2 figures when they apply."""

    __tablename__ = "council_candidate_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), unique=True)
    overall: Mapped[str] = mapped_column(String(16))  # scoring.compilation.OVERALL_RESULTS
    # Round 2 (written + interview, priority points, ranking per position); None otherwise.
    written: Mapped[float | None] = mapped_column()
    interview: Mapped[float | None] = mapped_column()
    priority_points: Mapped[float | None] = mapped_column()
    combined: Mapped[float | None] = mapped_column()
    total: Mapped[float | None] = mapped_column()
    eligible: Mapped[bool | None] = mapped_column()
    rank: Mapped[int | None] = mapped_column()
    selected: Mapped[bool | None] = mapped_column()
    tie_for_head: Mapped[bool | None] = mapped_column()
    compiled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ResultApproval(Base):
    """The council's approval of an exam's compiled results, with a digest of what it saw."""

    __tablename__ = "council_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    results_sha256: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class ResultsBundle(Base):
    """A signed results bundle handed out (exports + manifest + signature)."""

    __tablename__ = "council_bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    filename: Mapped[str] = mapped_column(String(200))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)


class PositionQuota(Base):
    """How many places a position has (round 2 ranking)."""

    __tablename__ = "council_position_quotas"
    __table_args__ = (UniqueConstraint("exam_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    position: Mapped[str] = mapped_column(String(200))
    places: Mapped[int] = mapped_column()
