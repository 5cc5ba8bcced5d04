"""The answer-save hot path, in SQLAlchemy Core, for a batch of saves at once.

Every candidate in a room saves every answer change, so this path is kept lean (DESIGN.md
budget: at least half the throughput of a bare Flask route). Saves arriving together are
combined (combiner.py): one read of their attempts, one write (answer_writes.py), one
commit. On PostgreSQL in production the batch runs on an autocommit connection: the read
takes no lock and the write commits itself, while each attempt's head moves only from the
state read (compare and set; a save whose attempt moved meanwhile is redone alone, locked).
The ORM path in services.py still handles the rare cases (a closed attempt, a passed
deadline) where a paper must be finalised.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, Connection, Integer, any_, bindparam, select, update
from sqlalchemy.orm import Session

from exam_server.chain import canonical_event, link
from exam_server.clock import ClockState, deadline, seconds_left
from exam_server.delivery import answer_writes
from exam_server.delivery.combiner import Combiner, Job
from exam_server.delivery.driver import driver_execute
from exam_server.delivery.errors import DeliveryError
from exam_server.models import (
    Attempt,
    Candidate,
    Form,
    FormItem,
    ItemVersion,
    RoomSession,
)

_STATE_COLUMNS = (
    Attempt.id,
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
_STATES = (
    select(*_STATE_COLUMNS)
    .join(Form, Form.id == Attempt.form_id)
    .join(Candidate, Candidate.id == Attempt.candidate_id)
    .join(RoomSession, RoomSession.id == Candidate.room_session_id)
)
READ_ATTEMPT_NO_LOCK = _STATES.where(Attempt.id == bindparam("attempt_id"))
_ATTEMPTS_IN = {
    "postgresql": Attempt.id == any_(bindparam("ids", type_=ARRAY(Integer))),
    "sqlite": Attempt.id.in_(bindparam("ids", expanding=True)),
}
# A batch in a transaction locks its attempts in id order: two batches wanting the same two
# attempts then queue instead of deadlocking.
_LOCK_ATTEMPTS = {
    dialect: _STATES.where(condition).order_by(Attempt.id).with_for_update(of=Attempt.__table__)
    for dialect, condition in _ATTEMPTS_IN.items()
}
# A batch on an autocommit connection reads without a lock; its write moves each head only
# from the state read (see answer_writes), and a request whose attempt moved meanwhile is
# retried alone, with the lock.
_READ_ATTEMPTS = {dialect: _STATES.where(condition) for dialect, condition in _ATTEMPTS_IN.items()}
_driver_sql: dict[tuple[int, str], str] = {}


def _run(connection: Connection, statement, params: dict):
    """Execute a state read; on PostgreSQL as SQL compiled once per worker, on the driver.

    The driver's own types (aware datetimes, ints, text) are all these reads need, and
    this saves SQLAlchemy's per-call work on the busiest statements of the exam.
    """
    if connection.dialect.name != "postgresql":
        return _Rows(connection.execute(statement, params).all())
    key = (id(statement), connection.dialect.name)
    sql = _driver_sql.get(key)
    if sql is None:
        sql = _driver_sql[key] = str(statement.compile(dialect=connection.dialect))
    return _Rows(driver_execute(connection, sql, params).fetchall())


class _Rows(list):
    """Fetched rows, with the two accessors the callers use."""

    def all(self) -> list:
        return list(self)

    def one_or_none(self) -> Any:
        if len(self) > 1:
            raise ValueError("more than one row")
        return self[0] if self else None


def read_attempt_state(connection: Connection, attempt_id: int):
    """One attempt's state without a lock (a heartbeat), or None."""
    return _run(connection, READ_ATTEMPT_NO_LOCK, {"attempt_id": attempt_id}).one_or_none()


def read_attempt_states(connection: Connection, attempt_ids: list[int], lock: bool = True) -> list:
    """Return the states of the attempts `attempt_ids` (sorted), locked unless told not to."""
    statements = _LOCK_ATTEMPTS if lock else _READ_ATTEMPTS
    statement = statements.get(connection.dialect.name, statements["sqlite"])
    return _run(connection, statement, {"ids": attempt_ids}).all()


FORM_SHAPE = (
    select(FormItem.position, ItemVersion.item_type, ItemVersion.content)
    .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
    .where(FormItem.form_id == bindparam("form_id"))
)

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


class Outcome:
    """What the fast path found: acknowledged, or a case the caller must handle."""

    ACKED = "acked"
    CLOSED = "closed"  # finalised already, or past the deadline: the ORM path finalises
    PAUSED = "paused"
    REPLACED = "replaced"
    NOT_FOUND = "not_found"


@dataclass
class SaveRequest:
    """One terminal's save, as a batch sees it."""

    attempt_id: int
    candidate_id: int
    terminal: str | None
    changes: list
    now: dt.datetime
    grace_seconds: int
    clean: Callable[[Any, Shape], Any]


@dataclass
class SaveResult:
    outcome: str
    acked_seq: int
    seconds_left: int


def save(
    open_session: Callable[[], Session],
    request: SaveRequest,
    combiner: Combiner | None = None,
    connect_autocommit: Callable[[], Connection] | None = None,
) -> SaveResult:
    """Apply a terminal's fresh changes and commit; with a combiner, together with others.

    `open_session()` gives the database session, called only when this thread runs a
    transaction itself (alone, or leading a batch): a save carried by another thread's
    batch never needs one. With `connect_autocommit` (PostgreSQL, outside the tests'
    transactions), batches run on an autocommit connection instead: an unlocked read and
    one write that commits itself, two round trips instead of four (BEGIN, the locked
    read, the write, COMMIT).

    `request.clean(change, shape)` validates one change (raising the caller's error) and
    returns the value to store; nothing of a request is written unless all its changes
    are valid. Raises that error, or a database error (after which nothing of it was
    written).
    """
    if combiner is None:
        return _save_alone(open_session(), request)
    if connect_autocommit is not None:
        job = combiner.run(Job(request), lambda jobs: _run_autocommit(connect_autocommit, jobs))
    else:
        job = combiner.run(Job(request), lambda jobs: _run_jobs(open_session(), jobs))
    if isinstance(job.error, _TryAlone):
        return _save_alone(open_session(), request)
    if job.error is not None:
        raise job.error
    return job.result


class _TryAlone(Exception):
    """This request is retried on its own, in a transaction with its attempt locked."""


class _BatchFailed(_TryAlone):
    """The batch's transaction failed (someone else's fault, perhaps)."""


class _AttemptMoved(_TryAlone):
    """The attempt changed between the batch's unlocked read and its write."""


def _save_alone(session: Session, request: SaveRequest) -> SaveResult:
    (outcome,) = save_batch(session, [request])
    if isinstance(outcome, BaseException):
        session.rollback()
        raise outcome
    session.commit()
    return outcome


def _run_jobs(session: Session, jobs: list[Job]) -> None:
    try:
        outcomes = save_batch(session, [job.payload for job in jobs])
        session.commit()
    except Exception:
        session.rollback()
        _fail(jobs)
        return
    _finish(jobs, outcomes)


def _run_autocommit(connect: Callable[[], Connection], jobs: list[Job]) -> None:
    try:
        with connect() as connection:  # every statement commits itself
            outcomes = _check_and_write(connection, [job.payload for job in jobs], lock=False)
    except Exception:
        _fail(jobs)
        return
    _finish(jobs, outcomes)


def _fail(jobs: list[Job]) -> None:
    for job in jobs:
        job.finish(error=_BatchFailed())


def _finish(jobs: list[Job], outcomes: list) -> None:
    for job, outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            job.finish(error=outcome)
        else:
            job.finish(result=outcome)


def save_batch(session: Session, requests: list[SaveRequest]) -> list[SaveResult | BaseException]:
    """Check and apply `requests` in one transaction (the caller commits); one outcome each.

    Every attempt concerned is locked at once, in id order (so two batches never deadlock);
    requests for one attempt apply in arrival order. A request whose change is invalid gets
    the validation error as its outcome and writes nothing.
    """
    session.flush()  # ORM changes pending in this session must be visible to the Core reads
    outcomes = _check_and_write(session.connection(), requests, lock=True)
    for request, outcome in zip(requests, outcomes, strict=True):
        if isinstance(outcome, SaveResult) and outcome.outcome == Outcome.ACKED:
            forget_cached_attempt(session, request.attempt_id)  # its head was written
    return outcomes


def _check_and_write(
    connection: Connection, requests: list[SaveRequest], *, lock: bool
) -> list[SaveResult | BaseException]:
    ids = sorted({r.attempt_id for r in requests})
    states = {row.id: _AttemptHead(row) for row in read_attempt_states(connection, ids, lock)}
    outcomes: list[SaveResult | BaseException] = []
    writes = answer_writes.Writes.for_connection(connection)
    for request in requests:
        try:
            outcomes.append(_apply(connection, request, states.get(request.attempt_id), writes))
        except DeliveryError as exc:  # an invalid change: this request writes nothing
            outcomes.append(exc)
    if not writes:
        return outcomes
    moved = answer_writes.write(connection, writes)
    # An attempt whose head was not where the read found it wrote nothing: its requests
    # are retried alone (with a lock, this only happens within one transaction).
    return [
        _AttemptMoved()
        if r.attempt_id in writes.heads and r.attempt_id not in moved and isinstance(o, SaveResult)
        else o
        for r, o in zip(requests, outcomes, strict=True)
    ]


class _AttemptHead:
    """An attempt's state as read; moves forward as a batch applies its requests."""

    def __init__(self, row: Any):
        self.row = row
        self.last_seq: int = row.last_seq
        self.event_count: int = row.event_count
        self.last_hash: str = row.last_hash
        self.clock = ClockState(
            row.deadline_base_at,
            row.room_paused_seconds,
            row.room_paused_at,
            row.paused_seconds_at_start,
            row.extension_seconds,
        )


def _apply(connection: Connection, request: SaveRequest, head: _AttemptHead | None, writes):
    if head is None or head.row.candidate_id != request.candidate_id:
        return SaveResult(Outcome.NOT_FOUND, 0, 0)
    row, now = head.row, request.now
    if row.active_terminal != request.terminal:
        return SaveResult(Outcome.REPLACED, head.last_seq, 0)
    if row.state != "in_progress":
        return SaveResult(Outcome.CLOSED, head.last_seq, 0)
    if row.room_state == "paused":
        return SaveResult(Outcome.PAUSED, head.last_seq, seconds_left(head.clock, now))
    if now > deadline(head.clock, now) + dt.timedelta(seconds=request.grace_seconds):
        return SaveResult(Outcome.CLOSED, head.last_seq, 0)
    fresh = sorted((c for c in request.changes if c.seq > head.last_seq), key=lambda c: c.seq)
    if fresh:
        shapes = form_shapes(connection, row.form_id, row.seed)
        cleaned = [(c, request.clean(c, shapes.get(c.position))) for c in fresh]
        for change, value in cleaned:  # nothing below can fail: the request applies whole
            head.event_count += 1
            canonical = canonical_event(
                row.id, head.event_count, change.kind, change.seq, change.position, value, now
            )
            new_hash = link(head.last_hash, canonical)
            writes.add_event(row.id, head.event_count, change, value, now, head.last_hash, new_hash)
            head.last_hash = new_hash
        writes.add_answers(row.id, cleaned, now)
        head.last_seq = fresh[-1].seq
    writes.move_head(row, head.last_seq, head.event_count, head.last_hash, now)
    return SaveResult(Outcome.ACKED, head.last_seq, seconds_left(head.clock, now))


def forget_cached_attempt(session: Session, attempt_id: int) -> None:
    # Core writes bypass the ORM: an Attempt already loaded in this session is now stale.
    if not session.identity_map:  # the usual case on the save path: nothing loaded
        return
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
    row = read_attempt_state(connection, attempt_id)
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
    forget_cached_attempt(session, attempt_id)
    outcome = Outcome.PAUSED if row.room_state == "paused" else Outcome.ACKED
    return outcome, row, seconds_left(clock, now)
