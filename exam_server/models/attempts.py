"""Attempts, the current answers, and the append-only hash-chained event log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.db import Base, UTCDateTime

ATTEMPT_STATES = ("in_progress", "finalised", "voided")


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("candidate_id", "part_id", "attempt_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("exam_parts.id"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    attempt_no: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(16), default="in_progress")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The deadline before pauses and extensions: the part's scheduled end, or start + duration.
    deadline_base_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The room's paused seconds when this attempt began: later pauses extend its clock.
    paused_seconds_at_start: Mapped[int] = mapped_column(default=0)
    extension_seconds: Mapped[int] = mapped_column(default=0)
    last_seq: Mapped[int] = mapped_column(default=0)
    event_count: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finalised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finalised_by: Mapped[str | None] = mapped_column(String(16))  # candidate | deadline | staff
    # Results, stored at finalisation; recomputable from events and the stored form.
    correct_count: Mapped[int | None] = mapped_column()
    answered_count: Mapped[int | None] = mapped_column()
    earned_points: Mapped[float | None] = mapped_column()
    max_points: Mapped[float | None] = mapped_column()
    score_100: Mapped[float | None] = mapped_column()
    share_correct: Mapped[float | None] = mapped_column()
    passed: Mapped[bool | None] = mapped_column()


class Answer(Base):
    """The current answer for one position of an attempt (derived from events)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))  # led by the unique key
    position: Mapped[int] = mapped_column()
    # Choice items: display indexes chosen (0-based); fill in the blank: texts per blank.
    response: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    flagged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AnswerEvent(Base):
    """One appended event; `hash` covers `prev_hash` and the event's canonical form."""

    __tablename__ = "answer_events"
    __table_args__ = (UniqueConstraint("attempt_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))  # led by the unique key
    ordinal: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))  # start | answer | flag | submit | finalise
    client_seq: Mapped[int | None] = mapped_column()
    position: Mapped[int | None] = mapped_column()
    payload: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CandidateEntry(Base):
    """A candidate's entry into a shift: the session code typed, or a late entry allowed.

    Under the scheduled clock the paper opens only after the shift's session code is typed;
    a late entry past the window needs a recorded decision (who allowed it, when).
    """

    __tablename__ = "candidate_entries"
    __table_args__ = (UniqueConstraint("candidate_id", "shift_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    code_entered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    late_entry_allowed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    late_entry_allowed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    late_entry_reason: Mapped[str | None] = mapped_column(String(500))


class MediaPlay(Base):
    """One granted play of a listening item's audio (parts may limit plays per item)."""

    __tablename__ = "media_plays"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    position: Mapped[int] = mapped_column()
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
