"""Exams, their parts, rooms, shifts, room sessions and candidates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.db import Base, UTCDateTime

EXAM_STATUSES = ("draft", "published", "in_progress", "closed", "results_approved", "archived")
EXAM_KINDS = (
    "recruitment_round1",
    "recruitment_round2",
    "foreign_language",
    "pilot",
    "internal_selection",
)
CLOCK_MODES = ("scheduled", "per_candidate")
RESULT_MOMENTS = ("at_end", "at_submit")
ROOM_STATES = ("waiting", "running", "paused", "closed")
FORM_MODES = ("unique", "pool")
ROOM_STAFF_ROLES = ("head_proctor", "proctor", "technician")


class Exam(Base):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    clock_mode: Mapped[str] = mapped_column(String(20), default="scheduled")
    results_shown: Mapped[str] = mapped_column(String(20), default="at_end")
    late_entry_minutes: Mapped[int] = mapped_column(default=10)
    multi_response_policy: Mapped[str] = mapped_column(String(20), default="partial")
    # The preset the exam was created from (its values were copied and stay editable).
    preset: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    parts: Mapped[list[ExamPart]] = relationship(
        back_populates="exam", order_by="ExamPart.position"
    )


class ExamPart(Base):
    """A timed part; `blueprint` is [{"topic_id", "difficulty", "count", "points"}]."""

    __tablename__ = "exam_parts"
    __table_args__ = (UniqueConstraint("exam_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    position: Mapped[int] = mapped_column()
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    title: Mapped[str] = mapped_column(String(200))
    item_count: Mapped[int] = mapped_column()
    duration_minutes: Mapped[int] = mapped_column()
    pass_basis: Mapped[str] = mapped_column(String(20), default="share_correct")
    pass_threshold: Mapped[float] = mapped_column(default=0.5)
    shuffle_items: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    allowed_types: Mapped[list[str]] = mapped_column(JSON)
    blueprint: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # How many times a listening item's audio may be played (None: no limit).
    audio_play_limit: Mapped[int | None] = mapped_column()
    # The approved bank must hold at least this many times item_count (Circular 22: 3).
    bank_multiplier: Mapped[float] = mapped_column(default=3.0)
    # Candidates may be exempted from this part (legacy presets: language, IT).
    exemptible: Mapped[bool] = mapped_column(default=False)
    # Forms: a unique form per candidate, or a pool of `pool_size` parallel forms.
    form_mode: Mapped[str] = mapped_column(String(10), default="unique")
    pool_size: Mapped[int] = mapped_column(default=10)
    # Each form's expected score stays within this share of the maximum of the target.
    fairness_tolerance: Mapped[float] = mapped_column(default=0.05)
    # No item may appear on more than this share of the part's forms (1.0: no limit).
    max_exposure: Mapped[float] = mapped_column(default=1.0)
    # Neighbours may share at most this share of positions holding the same item.
    neighbour_overlap_max: Mapped[float] = mapped_column(default=0.1)
    # Limits the preset sets for edits, e.g. {"item_count": [60, 120], "points_total": 100}.
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    exam: Mapped[Exam] = relationship(back_populates="parts")


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column()  # candidate seats, each with its terminal
    # Seats are numbered row by row; the row length tells which seats are adjacent.
    seats_per_row: Mapped[int] = mapped_column(default=6)
    spare_terminals: Mapped[int] = mapped_column(default=0)
    # Optional terminal IP per seat (index 0 = seat 1), then the spares.
    terminal_ips: Mapped[list[str]] = mapped_column(JSON, default=list)


class Shift(Base):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    session_code_hash: Mapped[str | None] = mapped_column(String(100))
    session_code_issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RoomSession(Base):
    """One room during one shift: the unit a proctor starts, pauses and closes."""

    __tablename__ = "room_sessions"
    __table_args__ = (UniqueConstraint("shift_id", "room_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Seconds spent paused before the current pause (if any); clocks add it to deadlines.
    paused_seconds: Mapped[int] = mapped_column(default=0)

    shift: Mapped[Shift] = relationship()
    room: Mapped[Room] = relationship()


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("exam_id", "registration_number"),
        UniqueConstraint("exam_id", "national_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    registration_number: Mapped[str] = mapped_column(String(40), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    national_id: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(10))
    position_applied: Mapped[str | None] = mapped_column(String(200))
    priority_group: Mapped[str | None] = mapped_column(String(50))
    exempt_part_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    access_code_hash: Mapped[str] = mapped_column(String(100))  # "" until a code is issued
    access_code_issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    room_session_id: Mapped[int | None] = mapped_column(ForeignKey("room_sessions.id"), index=True)
    seat: Mapped[int | None] = mapped_column()
    # The terminal currently allowed to answer; a new terminal needs a proctor's approval.
    active_terminal: Mapped[str | None] = mapped_column(String(64))
    terminal_move_approved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    room_session: Mapped[RoomSession | None] = relationship()


class RoomStaff(Base):
    """A staff member assigned to one room during one shift."""

    __tablename__ = "room_staff"
    __table_args__ = (UniqueConstraint("room_session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_session_id: Mapped[int] = mapped_column(ForeignKey("room_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # head_proctor | proctor | technician


class DataImport(Base):
    """The record of a sealed package loaded onto an exam server, to print and sign."""

    __tablename__ = "data_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id"), index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(200))
    package_sha256: Mapped[str] = mapped_column(String(64))
    signer_fingerprint: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
