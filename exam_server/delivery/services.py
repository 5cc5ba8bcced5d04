"""Delivery services: every function takes the session, the actors and `now` explicitly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, func, insert, select
from sqlalchemy.orm import Session

from exam_server import audit, throttle
from exam_server.chain import GENESIS, canonical_event, link
from exam_server.clock import scheduled_window_end
from exam_server.delivery import autosave
from exam_server.delivery.changes import Change, clean_change
from exam_server.delivery.combiner import Combiner
from exam_server.delivery.errors import (
    AttemptClosed,
    CandidateSuspended,
    EntryClosed,
    EntryNotOpen,
    FormMissing,
    LoginFailed,
    NothingToStart,
    RoomNotStarted,
    RoomPaused,
    SessionCodeRequired,
    ShiftNotStarted,
    TerminalInUse,
    TerminalNotAllowed,
    TerminalReplaced,
    TooManyTries,
    WrongSessionCode,
)
from exam_server.lifecycle import append_event, finalise, finalise_if_due
from exam_server.models import (
    AnswerEvent,
    Attempt,
    Candidate,
    CandidateEntry,
    Exam,
    ExamPart,
    Form,
    RoomSession,
    Shift,
)
from exam_server.models.proctor import CheckIn, Sanction
from exam_server.passwords import check_secret, dummy_hash, normalise_code

OPEN_EXAM_STATUSES = ("published", "in_progress")
BARRING_SANCTIONS = ("suspension", "cancellation")  # they void the test and bar later parts


@dataclass(frozen=True)
class SaveAck:
    acked_seq: int
    seconds_left: int
    state: str
    paused: bool


# --- login and terminals -------------------------------------------------------------


def authenticate_candidate(
    session: Session,
    registration_number: str,
    code: str,
    now: dt.datetime,
    policy: throttle.ThrottlePolicy,
) -> Candidate:
    """Return the candidate whose SBD and access code match; one bcrypt check per login.

    Repeated failures slow down this SBD only (see exam_server.throttle).
    """
    sbd = registration_number.strip().upper()
    key = f"candidate:{sbd}"
    try:
        throttle.check(session, key, now)
    except throttle.Throttled as exc:
        raise TooManyTries() from exc
    rows = session.scalars(
        select(Candidate)
        .join(Exam, Exam.id == Candidate.exam_id)
        .where(Candidate.registration_number == sbd, Exam.status.in_(OPEN_EXAM_STATUSES))
    ).all()
    typed = normalise_code(code)
    for candidate in rows:
        if check_secret(typed, candidate.access_code_hash):
            throttle.reset(session, key)
            return candidate
    if not rows:
        check_secret(typed, dummy_hash(policy.code_rounds))  # same cost if the SBD is unknown
    throttle.record_failure(session, key, now, policy)
    raise LoginFailed()


def _entry(session: Session, candidate: Candidate, shift_id: int) -> CandidateEntry | None:
    return session.scalar(
        select(CandidateEntry).where(
            CandidateEntry.candidate_id == candidate.id, CandidateEntry.shift_id == shift_id
        )
    )


def check_entry_window(
    session: Session, candidate: Candidate, now: dt.datetime, opens_minutes: int
) -> None:
    """Under the scheduled clock, admit a candidate only around their shift's start.

    Sign-in opens `opens_minutes` before the programmed start and closes after the exam's
    late-entry minutes; a candidate already sitting (a crash, a move) or allowed a late
    entry by a recorded decision is always admitted.
    """
    exam = session.get(Exam, candidate.exam_id)
    room = candidate.room_session
    if exam.clock_mode != "scheduled" or room is None:
        return
    start = room.shift.starts_at
    if now < start - dt.timedelta(minutes=opens_minutes):
        raise EntryNotOpen()
    if now <= start + dt.timedelta(minutes=exam.late_entry_minutes):
        return
    if session.scalar(select(Attempt.id).where(Attempt.candidate_id == candidate.id).limit(1)):
        return
    entry = _entry(session, candidate, room.shift_id)
    if entry is not None and entry.late_entry_allowed_at is not None:
        return
    # The proctor checked the candidate in late on the chair's recorded decision.
    if session.scalar(
        select(CheckIn.id).where(
            CheckIn.candidate_id == candidate.id,
            CheckIn.room_session_id == room.id,
            CheckIn.late_decision_id.is_not(None),
        )
    ):
        return
    raise EntryClosed()


ROOM_STATE = (
    select(Candidate.id, RoomSession.state)
    .outerjoin(RoomSession, RoomSession.id == Candidate.room_session_id)
    .where(Candidate.id == bindparam("candidate_id"))
)


def room_state(session: Session, candidate_id: int) -> str | None:
    """The state of the candidate's room, "unassigned" without one; None: no such candidate."""
    row = session.connection().execute(ROOM_STATE, {"candidate_id": candidate_id}).first()
    if row is None:
        return None
    return row.state or "unassigned"


def check_terminal_address(candidate: Candidate, address: str | None) -> None:
    """When the room lists its terminals' addresses, sign-ins come only from them."""
    room = candidate.room_session
    allowed = [ip for ip in (room.room.terminal_ips if room else []) or [] if ip]
    if allowed and address not in allowed:
        raise TerminalNotAllowed()


def session_code_needed(session: Session, candidate: Candidate) -> bool:
    """Whether this candidate must still type the shift's session code to open the paper."""
    exam = session.get(Exam, candidate.exam_id)
    room = candidate.room_session
    if exam.clock_mode != "scheduled" or room is None or not room.shift.session_code_hash:
        return False
    entry = _entry(session, candidate, room.shift_id)
    return entry is None or entry.code_entered_at is None


def enter_session_code(
    session: Session,
    candidate: Candidate,
    code: str,
    now: dt.datetime,
    policy: throttle.ThrottlePolicy,
) -> None:
    """Check the shift's session code; the first correct code in a waiting room starts it."""
    room = candidate.room_session
    if room is None:
        raise RoomNotStarted()
    key = f"session-code:{candidate.id}"
    try:
        throttle.check(session, key, now)
    except throttle.Throttled as exc:
        raise TooManyTries() from exc
    if now < room.shift.starts_at:
        raise ShiftNotStarted()
    if not check_secret(normalise_code(code), room.shift.session_code_hash):
        throttle.record_failure(session, key, now, policy)
        raise WrongSessionCode()
    throttle.reset(session, key)
    entry = _entry(session, candidate, room.shift_id)
    if entry is None:
        entry = CandidateEntry(candidate_id=candidate.id, shift_id=room.shift_id)
        session.add(entry)
    entry.code_entered_at = entry.code_entered_at or now
    if room.state == "waiting":
        room.state, room.started_at = "running", now
        audit.record(
            session,
            at=now,
            actor_kind="candidate",
            actor_id=candidate.id,
            action="room_started_by_session_code",
            target_type="room_session",
            target_id=room.id,
        )


def claim_terminal(session: Session, candidate: Candidate, terminal: str, now: dt.datetime) -> None:
    """Bind the candidate to this terminal; a second terminal needs a proctor's approval."""
    if candidate.active_terminal and candidate.active_terminal != terminal:
        busy = session.scalar(
            select(Attempt.id).where(
                Attempt.candidate_id == candidate.id, Attempt.state == "in_progress"
            )
        )
        if busy and not candidate.terminal_move_approved:
            audit.record(
                session,
                at=now,
                actor_kind="candidate",
                actor_id=candidate.id,
                action="second_terminal_refused",
                target_type="candidate",
                target_id=candidate.id,
            )
            raise TerminalInUse()
    candidate.active_terminal = terminal
    candidate.terminal_move_approved = False


# --- starting a part ---------------------------------------------------------------


def attempts_by_part(session: Session, candidate_id: int) -> dict[int, Attempt]:
    """Return the latest attempt per part of a candidate."""
    latest: dict[int, Attempt] = {}
    for attempt in session.scalars(
        select(Attempt).where(Attempt.candidate_id == candidate_id).order_by(Attempt.attempt_no)
    ):
        latest[attempt.part_id] = attempt
    return latest


@dataclass
class _StartPlan:
    """What deciding a start needs, read in one statement (see START_PLAN)."""

    exam: Exam
    shift_starts_at: dt.datetime  # the room's shift: its start and its session code
    shift_code_hash: str | None
    parts: list[tuple[int, int]]  # (part id, duration in minutes), in part order
    attempts: dict[int, Attempt]  # the latest attempt per part
    barred: bool  # a sanction bars the candidate from later parts
    code_entered: bool  # the candidate typed the shift's session code


# The exam, its parts with the candidate's attempts, the room's shift and the two yes/no
# checks, in ONE round trip: every candidate of a room opens the paper at once. Outer joins
# keep a part without attempts and an exam without parts.
START_PLAN = (
    select(
        Exam,
        Shift.starts_at,
        Shift.session_code_hash,
        ExamPart.id.label("part_id"),
        ExamPart.duration_minutes,
        Attempt,
        exists()
        .where(
            Sanction.candidate_id == bindparam("candidate_id"),
            Sanction.kind.in_(BARRING_SANCTIONS),
        )
        .label("barred"),
        exists()
        .where(
            CandidateEntry.candidate_id == bindparam("candidate_id"),
            CandidateEntry.shift_id == bindparam("shift_id"),
            CandidateEntry.code_entered_at.is_not(None),
        )
        .label("code_entered"),
    )
    .select_from(Exam)
    .join(Shift, Shift.id == bindparam("shift_id"))
    .outerjoin(ExamPart, ExamPart.exam_id == Exam.id)
    .outerjoin(
        Attempt,
        and_(Attempt.candidate_id == bindparam("candidate_id"), Attempt.part_id == ExamPart.id),
    )
    .where(Exam.id == bindparam("exam_id"))
    .order_by(ExamPart.position, Attempt.attempt_no)
)


def _start_plan(session: Session, candidate: Candidate, room: RoomSession) -> _StartPlan:
    rows = session.execute(
        START_PLAN,
        {"exam_id": candidate.exam_id, "candidate_id": candidate.id, "shift_id": room.shift_id},
    ).all()
    first = rows[0]
    parts: dict[int, int] = {}
    attempts: dict[int, Attempt] = {}
    for row in rows:
        if row.part_id is None:
            continue  # an exam without parts
        parts.setdefault(row.part_id, row.duration_minutes)
        if row.Attempt is not None:
            attempts[row.part_id] = row.Attempt  # rows come in attempt order: the last wins
    return _StartPlan(
        first.Exam,
        first.starts_at,
        first.session_code_hash,
        list(parts.items()),
        attempts,
        first.barred,
        first.code_entered,
    )


def start_next_part(session: Session, candidate: Candidate, now: dt.datetime) -> Attempt:
    """Return the attempt in progress, or open the next part on its stored main form."""
    room = candidate.room_session
    if room is None:
        raise RoomNotStarted()
    plan = _start_plan(session, candidate, room)
    exam = plan.exam
    if exam.clock_mode == "scheduled":
        if now < plan.shift_starts_at:
            raise ShiftNotStarted()
        if plan.shift_code_hash and not plan.code_entered:  # see session_code_needed
            raise SessionCodeRequired()
    if room.state == "waiting":
        raise RoomNotStarted()
    if plan.barred:
        raise CandidateSuspended()
    if room.state == "paused":
        raise RoomPaused()
    if room.state == "closed":
        raise AttemptClosed()
    durations = [duration for _part_id, duration in plan.parts]
    for index, (part_id, duration) in enumerate(plan.parts):
        if part_id in (candidate.exempt_part_ids or []):
            continue
        attempt = plan.attempts.get(part_id)
        if attempt is not None:
            finalise_if_due(session, attempt, room, exam, now)
            if attempt.state == "in_progress":
                return attempt
            continue
        if exam.clock_mode == "scheduled":
            base = scheduled_window_end(plan.shift_starts_at, durations, index)
        else:
            base = now + dt.timedelta(minutes=duration)
        attempt = _open_attempt(session, candidate, part_id, room, base, now)
        finalise_if_due(session, attempt, room, exam, now)  # a missed scheduled window
        if attempt.state == "in_progress":
            return attempt
    raise NothingToStart()


def _form_and_next_id(dialect: str):
    """The candidate's main form for a part, with the id the new attempt will take.

    The start event's hash covers the attempt id, so the id is taken before the insert and
    the attempt is written whole (event count and head hash included) instead of being
    updated after its event. PostgreSQL draws it from the column's sequence; SQLite's
    writers are serialised (BEGIN IMMEDIATE, see db.py), so the next rowid is max + 1.
    """
    if dialect == "postgresql":
        next_id = func.nextval(func.pg_get_serial_sequence("attempts", "id"))
    else:
        next_id = select(func.coalesce(func.max(Attempt.id), 0) + 1).scalar_subquery()
    return select(Form.id, Form.seed, next_id.label("attempt_id")).where(
        Form.candidate_id == bindparam("candidate_id"),
        Form.part_id == bindparam("part_id"),
        Form.kind == "main",
    )


FORM_AND_NEXT_ID = {dialect: _form_and_next_id(dialect) for dialect in ("postgresql", "sqlite")}

INSERT_EVENT = insert(AnswerEvent.__table__)


def _open_attempt(
    session: Session,
    candidate: Candidate,
    part_id: int,
    room: RoomSession,
    deadline_base: dt.datetime,
    now: dt.datetime,
) -> Attempt:
    dialect = session.get_bind().dialect.name
    # Through the connection: a plain read, and the start plan's query has flushed the session.
    row = (
        session.connection()
        .execute(
            FORM_AND_NEXT_ID.get(dialect, FORM_AND_NEXT_ID["sqlite"]),
            {"candidate_id": candidate.id, "part_id": part_id},
        )
        .one_or_none()
    )
    if row is None:
        raise FormMissing()
    form_id, seed, attempt_id = row
    payload = {"form": form_id, "seed": str(seed)}
    head = link(GENESIS, canonical_event(attempt_id, 1, "start", None, None, payload, now))
    # The ORM inserts the attempt, so a rolled-back start leaves no stale object behind.
    attempt = Attempt(
        id=attempt_id,
        candidate_id=candidate.id,
        part_id=part_id,
        form_id=form_id,
        attempt_no=1,
        state="in_progress",
        started_at=now,
        deadline_base_at=deadline_base,
        paused_seconds_at_start=room.paused_seconds,
        extension_seconds=0,
        last_seq=0,
        event_count=1,
        last_hash=head,
        last_contact_at=now,
    )
    session.add(attempt)
    session.flush()
    # The start event, chained exactly as lifecycle.append_event would chain it.
    session.connection().execute(
        INSERT_EVENT,
        {
            "attempt_id": attempt_id,
            "ordinal": 1,
            "kind": "start",
            "client_seq": None,
            "position": None,
            "payload": payload,
            "at": now,
            "prev_hash": GENESIS,
            "hash": head,
        },
    )
    return attempt


# --- saving answers ------------------------------------------------------------------


def _lock_attempt(session: Session, attempt_id: int) -> tuple[Attempt, Candidate, RoomSession]:
    row = session.execute(
        select(Attempt, Candidate, RoomSession)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .join(RoomSession, RoomSession.id == Candidate.room_session_id)
        .where(Attempt.id == attempt_id)
        .with_for_update(of=Attempt)
    ).one_or_none()
    if row is None:
        raise AttemptClosed()
    return tuple(row)


def save_changes(
    session: Session,
    *,
    attempt_id: int,
    candidate_id: int,
    terminal: str | None,
    changes: list[Change],
    now: dt.datetime,
    grace_seconds: int,
    combiner: Combiner | None = None,
) -> SaveAck:
    """Apply new changes in sequence order, commit, and acknowledge the highest sequence held.

    A change whose sequence number is not above the attempt's last one is a replay:
    it is acknowledged without effect. With a combiner, saves arriving together share one
    transaction. A closed attempt is finalised and the refusal logged (committed too).
    """
    result = autosave.save(
        lambda: session,
        autosave.SaveRequest(
            attempt_id, candidate_id, terminal, changes, now, grace_seconds, clean_change
        ),
        combiner,
    )
    # Another thread's batch may have written the attempt: what this session holds is old.
    autosave.forget_cached_attempt(session, attempt_id)
    if result.outcome == autosave.Outcome.ACKED:
        return SaveAck(
            acked_seq=result.acked_seq,
            seconds_left=result.seconds_left,
            state="in_progress",
            paused=False,
        )
    if result.outcome == autosave.Outcome.REPLACED:
        raise TerminalReplaced()
    if result.outcome == autosave.Outcome.PAUSED:
        raise RoomPaused()
    if result.outcome == autosave.Outcome.NOT_FOUND:
        raise AttemptClosed()
    _refuse_closed(session, attempt_id, candidate_id, changes, now, grace_seconds)
    session.commit()  # the finalisation and the logged refusal stay
    raise AttemptClosed()


def lock_own_attempt(
    session: Session, attempt_id: int, candidate_id: int, terminal: str | None
) -> Attempt:
    """Lock an attempt in progress that belongs to this candidate on this terminal."""
    attempt, candidate, room = _lock_attempt(session, attempt_id)
    if attempt.candidate_id != candidate_id or attempt.state != "in_progress":
        raise AttemptClosed()
    if candidate.active_terminal != terminal:
        raise TerminalReplaced()
    if room.state == "paused":
        raise RoomPaused()
    return attempt


def collect_if_due(session: Session, attempt_id: int, now: dt.datetime, grace_seconds: int) -> str:
    """Finalise an attempt whose time is over; return its state."""
    attempt, candidate, room = _lock_attempt(session, attempt_id)
    finalise_if_due(
        session, attempt, room, session.get(Exam, candidate.exam_id), now, grace_seconds
    )
    return attempt.state


def _refuse_closed(
    session: Session,
    attempt_id: int,
    candidate_id: int,
    changes: list[Change],
    now: dt.datetime,
    grace_seconds: int,
) -> None:
    """Collect the paper if its time is over, and log saves that came too late."""
    attempt, candidate, room = _lock_attempt(session, attempt_id)
    exam = session.get(Exam, candidate.exam_id)
    finalise_if_due(session, attempt, room, exam, now, grace_seconds)
    if changes and max(c.seq for c in changes) > attempt.last_seq:
        audit.record(
            session,
            at=now,
            actor_kind="candidate",
            actor_id=candidate_id,
            action="save_refused_closed",
            target_type="attempt",
            target_id=attempt.id,
            details={"changes": [c.__dict__ for c in changes]},
        )


def submit(
    session: Session, *, attempt_id: int, candidate_id: int, terminal: str | None, now: dt.datetime
) -> Attempt:
    """Close the attempt at the candidate's request."""
    attempt, candidate, room = _lock_attempt(session, attempt_id)
    if attempt.candidate_id != candidate_id:
        raise AttemptClosed()
    if candidate.active_terminal != terminal:
        raise TerminalReplaced()
    exam = session.get(Exam, candidate.exam_id)
    if finalise_if_due(session, attempt, room, exam, now):
        return attempt
    append_event(session, attempt, "submit", now)
    finalise(session, attempt, exam, now, by="candidate")
    return attempt
