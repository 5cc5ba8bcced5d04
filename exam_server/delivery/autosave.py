"""The answer-save hot path, in SQLAlchemy Core: one locked read, three writes, one commit.

Every candidate in a room saves every answer change, so this path is kept lean (DESIGN.md
budget: at least half the throughput of a bare Flask route). The ORM path in services.py
still handles the rare cases (a closed attempt, a passed deadline) where a paper must be
finalised.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exam_server.chain import canonical_event, link
from exam_server.clock import ClockState, deadline, seconds_left
from exam_server.models import (
    Answer,
    AnswerEvent,
    Attempt,
    Candidate,
    Form,
    FormItem,
    ItemVersion,
    RoomSession,
)

_ATTEMPT_STATE = (
    select(
        Attempt.candidate_id,
        Attempt.state,
        Attempt.last_seq,
        Attempt.event_count,
        Attempt.last_hash,
        Attempt.form_id,
        Attempt.deadline_base_at,
        Attempt.paused_seconds_at_start,
        Attempt.extension_seconds,
        Form.seed,
        Candidate.active_terminal,
        RoomSession.state.label("room_state"),
        RoomSession.paused_at.label("room_paused_at"),
        RoomSession.paused_seconds.label("room_paused_seconds"),
    )
    .join(Form, Form.id == Attempt.form_id)
    .join(Candidate, Candidate.id == Attempt.candidate_id)
    .join(RoomSession, RoomSession.id == Candidate.room_session_id)
    .where(Attempt.id == bindparam("attempt_id"))
)
LOCK_ATTEMPT = _ATTEMPT_STATE.with_for_update(of=Attempt.__table__)
READ_ATTEMPT_NO_LOCK = _ATTEMPT_STATE

FORM_SHAPE = (
    select(FormItem.position, ItemVersion.item_type, ItemVersion.content)
    .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
    .where(FormItem.form_id == bindparam("form_id"))
)

TOUCH_ATTEMPT = (
    update(Attempt.__table__)
    .where(Attempt.__table__.c.id == bindparam("attempt_id"))
    .values(
        last_seq=bindparam("last_seq"),
        event_count=bindparam("event_count"),
        last_hash=bindparam("last_hash"),
        last_contact_at=bindparam("now"),
    )
)

INSERT_EVENTS = insert(AnswerEvent.__table__)

Shape = tuple[str, int, int]  # item type, option count, blank count
_shape_cache: OrderedDict[tuple[int, int], dict[int, Shape]] = OrderedDict()
SHAPE_CACHE_SIZE = 4096


def form_shapes(connection: Connection, form_id: int, seed: int) -> dict[int, Shape]:
    """Return each position's shape; cached per worker, keyed by form id and its seed.

    Stored forms never change once an attempt uses them, and the random 63-bit seed makes
    the key unique even where a database reuses the id of a deleted draft form.
    """
    key = (form_id, seed)
    shapes = _shape_cache.get(key)
    if shapes is None:
        shapes = {
            position: (item_type, len(content.get("options", [])), len(content.get("blanks", [])))
            for position, item_type, content in connection.execute(FORM_SHAPE, {"form_id": form_id})
        }
        _shape_cache[key] = shapes
        if len(_shape_cache) > SHAPE_CACHE_SIZE:
            _shape_cache.popitem(last=False)
    return shapes


_upserts: dict[tuple[str, str], Any] = {}


def upsert_statement(dialect: str, kind: str):
    """INSERT … ON CONFLICT (attempt, position) DO UPDATE, for PostgreSQL and SQLite."""
    key = (dialect, kind)
    if key not in _upserts:
        module = postgresql if dialect == "postgresql" else sqlite
        table = Answer.__table__
        statement = module.insert(table)
        changed = ("response",) if kind == "answer" else ("flagged",)
        _upserts[key] = statement.on_conflict_do_update(
            index_elements=[table.c.attempt_id, table.c.position],
            set_={
                **{name: statement.excluded[name] for name in changed},
                "seq": statement.excluded.seq,
                "updated_at": statement.excluded.updated_at,
            },
        )
    return _upserts[key]


class Outcome:
    """What the fast path found: acknowledged, or a case the caller must handle."""

    ACKED = "acked"
    CLOSED = "closed"  # finalised already, or past the deadline: the ORM path finalises
    PAUSED = "paused"
    REPLACED = "replaced"
    NOT_FOUND = "not_found"


def save(
    session: Session,
    *,
    attempt_id: int,
    candidate_id: int,
    terminal: str | None,
    changes: list,
    now: dt.datetime,
    grace_seconds: int,
    clean: Callable[[Any, Shape], Any],
) -> tuple[str, int, int]:
    """Apply fresh changes; return (outcome, acknowledged sequence, seconds left).

    `clean(change, shape)` validates one change (raising the caller's error) and returns
    the value to store; nothing is written unless every change is valid.
    """
    session.flush()  # ORM changes pending in this session must be visible to the Core reads
    connection = session.connection()
    row = connection.execute(LOCK_ATTEMPT, {"attempt_id": attempt_id}).one_or_none()
    if row is None or row.candidate_id != candidate_id:
        return Outcome.NOT_FOUND, 0, 0
    if row.active_terminal != terminal:
        return Outcome.REPLACED, row.last_seq, 0
    clock = ClockState(
        row.deadline_base_at,
        row.room_paused_seconds,
        row.room_paused_at,
        row.paused_seconds_at_start,
        row.extension_seconds,
    )
    if row.state != "in_progress":
        return Outcome.CLOSED, row.last_seq, 0
    if row.room_state == "paused":
        return Outcome.PAUSED, row.last_seq, seconds_left(clock, now)
    if now > deadline(clock, now) + dt.timedelta(seconds=grace_seconds):
        return Outcome.CLOSED, row.last_seq, 0
    fresh = sorted((c for c in changes if c.seq > row.last_seq), key=lambda c: c.seq)
    last_seq, count, last_hash = row.last_seq, row.event_count, row.last_hash
    if fresh:
        shapes = form_shapes(connection, row.form_id, row.seed)
        cleaned = [(change, clean(change, shapes.get(change.position))) for change in fresh]
        events = []
        for change, value in cleaned:
            count += 1
            canonical = canonical_event(
                attempt_id, count, change.kind, change.seq, change.position, value, now
            )
            new_hash = link(last_hash, canonical)
            events.append(
                {
                    "attempt_id": attempt_id,
                    "ordinal": count,
                    "kind": change.kind,
                    "client_seq": change.seq,
                    "position": change.position,
                    "payload": value,
                    "at": now,
                    "prev_hash": last_hash,
                    "hash": new_hash,
                }
            )
            last_hash = new_hash
        connection.execute(INSERT_EVENTS, events)
        dialect = connection.dialect.name
        for change, value in cleaned:
            connection.execute(
                upsert_statement(dialect, change.kind),
                {
                    "attempt_id": attempt_id,
                    "position": change.position,
                    "response": value if change.kind == "answer" else None,
                    "flagged": value if change.kind == "flag" else False,
                    "seq": change.seq,
                    "updated_at": now,
                },
            )
        last_seq = fresh[-1].seq
    connection.execute(
        TOUCH_ATTEMPT,
        {
            "attempt_id": attempt_id,
            "last_seq": last_seq,
            "event_count": count,
            "last_hash": last_hash,
            "now": now,
        },
    )
    _forget_cached_attempt(session, attempt_id)
    return Outcome.ACKED, last_seq, seconds_left(clock, now)


def _forget_cached_attempt(session: Session, attempt_id: int) -> None:
    # Core writes bypass the ORM: an Attempt already loaded in this session is now stale.
    attempt = session.identity_map.get(session.identity_key(Attempt, attempt_id))  # type: ignore[arg-type]
    if attempt is not None:
        session.expire(attempt)


TOUCH_CONTACT = (
    update(Attempt.__table__)
    .where(Attempt.__table__.c.id == bindparam("attempt_id"))
    .values(last_contact_at=bindparam("now"))
)


def pulse(
    session: Session,
    *,
    attempt_id: int,
    candidate_id: int,
    terminal: str | None,
    now: dt.datetime,
    grace_seconds: int,
) -> tuple[str, Any, int]:
    """A terminal's heartbeat: note the contact and return (outcome, row, seconds left).

    The contact time only feeds the proctor's grid, so on PostgreSQL its commit does not
    wait for the disk (losing one in a crash is harmless; answers are never written here).
    """
    connection = session.connection()
    row = connection.execute(READ_ATTEMPT_NO_LOCK, {"attempt_id": attempt_id}).one_or_none()
    if row is None or row.candidate_id != candidate_id:
        return Outcome.NOT_FOUND, None, 0
    clock = ClockState(
        row.deadline_base_at,
        row.room_paused_seconds,
        row.room_paused_at,
        row.paused_seconds_at_start,
        row.extension_seconds,
    )
    if row.active_terminal != terminal:
        return Outcome.REPLACED, row, seconds_left(clock, now)
    if row.state != "in_progress":
        return Outcome.CLOSED, row, 0
    if row.room_state != "paused" and now > deadline(clock, now) + dt.timedelta(
        seconds=grace_seconds
    ):
        return Outcome.CLOSED, row, 0
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    connection.execute(TOUCH_CONTACT, {"attempt_id": attempt_id, "now": now})
    _forget_cached_attempt(session, attempt_id)
    outcome = Outcome.PAUSED if row.room_state == "paused" else Outcome.ACKED
    return outcome, row, seconds_left(clock, now)
