"""Candidates: import all or nothing, list in Vietnamese order, issue access codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Candidate, Exam, Room, RoomSession, Shift
from exam_server.passwords import generate_code, hash_secret
from exam_server.setup.candidate_sheet import (
    CandidateRow,
    PartRef,
    RowError,
    parse_candidate_sheet,
)
from exam_server.setup.errors import SetupError
from exam_server.setup.vnsort import sort_candidates

# bcrypt releases the GIL: hashing a few thousand codes on all cores takes seconds, not minutes.
HASH_WORKERS = 4


class ImportRefused(SetupError):
    """The file has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__(
            _l(
                "Nothing was imported: the file has %(count)d errors. Correct them and import"
                " the whole file again.",
                count=len(errors),
            )
        )
        self.errors = errors


def part_refs(exam: Exam) -> list[PartRef]:
    return [PartRef(p.id, p.position, p.title, p.exemptible) for p in exam.parts]


def import_candidates(
    session: Session,
    exam: Exam,
    data: bytes,
    *,
    now: dt.datetime,
    actor_id: int | None,
    today: dt.date | None = None,
) -> list[Candidate]:
    """Import every candidate of an Excel sheet, or none: row-level errors raise ImportRefused.

    Candidates arrive without an access code; codes are issued separately and shown once.
    """
    records, errors = parse_candidate_sheet(data, part_refs(exam), today or now.date())
    if errors and all(e.row is None for e in errors):
        raise ImportRefused(errors)  # the file or its header: rows cannot be read
    # Every error in one report: the rows that read well are checked against the database too.
    errors += _check_against_database(session, exam, records)
    places, place_errors = _resolve_places(session, exam, records, dry_run=bool(errors))
    errors += place_errors
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: (e.row or 0, str(e.field))))
    made = []
    for record in records:
        candidate = Candidate(
            exam_id=exam.id,
            registration_number=record.registration_number,
            full_name=record.full_name,
            date_of_birth=record.date_of_birth,
            national_id=record.national_id,
            gender=record.gender,
            position_applied=record.position_applied,
            priority_group=record.priority_group,
            exempt_part_ids=record.exempt_part_ids,
            access_code_hash="",
            room_session_id=places.get(record.row),
            created_at=now,
        )
        session.add(candidate)
        made.append(candidate)
    session.flush()
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor_id else "system",
        actor_id=actor_id,
        action="candidates_imported",
        target_type="exam",
        target_id=exam.id,
        details={"count": len(made)},
    )
    return made


def _check_against_database(
    session: Session, exam: Exam, records: Sequence[CandidateRow]
) -> list[RowError]:
    known = session.execute(
        select(Candidate.registration_number, Candidate.national_id).where(
            Candidate.exam_id == exam.id
        )
    ).all()
    sbds = {sbd for sbd, _ in known}
    ids = {nid for _, nid in known if nid}
    errors = []
    for record in records:
        if record.registration_number in sbds:
            errors.append(
                RowError(
                    record.row,
                    "registration_number",
                    _l(
                        "%(value)s is already registered for this exam",
                        value=record.registration_number,
                    ),
                )
            )
        if record.national_id in ids:
            errors.append(
                RowError(
                    record.row,
                    "national_id",
                    _l("%(value)s is already registered for this exam", value=record.national_id),
                )
            )
    return errors


def _resolve_places(
    session: Session, exam: Exam, records: Sequence[CandidateRow], *, dry_run: bool = False
) -> tuple[dict[int, int], list[RowError]]:
    """Map rows naming a room (and shift) to room sessions, creating those that are missing."""
    rooms = {r.code: r for r in session.scalars(select(Room))}
    shifts = list(session.scalars(select(Shift).where(Shift.exam_id == exam.id)))
    by_name = {s.name.casefold(): s for s in shifts}
    places: dict[int, int] = {}
    errors = []
    wanted: dict[int, tuple[Room, Shift]] = {}
    for record in records:
        if not record.room and not record.shift:
            continue
        if not record.room:
            errors.append(RowError(record.row, "room", _l("a shift needs a room")))
            continue
        room = rooms.get(record.room)
        if room is None:
            errors.append(
                RowError(record.row, "room", _l("no room has code %(code)s", code=record.room))
            )
            continue
        if record.shift:
            shift = by_name.get(record.shift.casefold())
            if shift is None:
                errors.append(
                    RowError(
                        record.row,
                        "shift",
                        _l("the exam has no shift “%(name)s”", name=record.shift),
                    )
                )
                continue
        elif len(shifts) == 1:
            shift = shifts[0]
        else:
            errors.append(RowError(record.row, "shift", _l("name the shift")))
            continue
        wanted[record.row] = (room, shift)
    if errors or dry_run:
        return {}, errors
    for row, (room, shift) in wanted.items():
        places[row] = room_session_for(session, shift, room).id
    return places, []


def room_session_for(session: Session, shift: Shift, room: Room) -> RoomSession:
    """Return the room's session in this shift, creating it on first use."""
    found = session.scalar(
        select(RoomSession).where(RoomSession.shift_id == shift.id, RoomSession.room_id == room.id)
    )
    if found is None:
        found = RoomSession(shift_id=shift.id, room_id=room.id, state="waiting")
        session.add(found)
        session.flush()
    return found


def candidates_in_order(session: Session, exam_id: int) -> list[Candidate]:
    """Return the exam's candidates in Vietnamese name order (SBD breaks ties)."""
    return sort_candidates(
        session.scalars(select(Candidate).where(Candidate.exam_id == exam_id)).all()
    )


# --- access codes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    candidate: Candidate
    code: str


def _hash_all(codes: Sequence[str], rounds: int) -> list[str]:
    if len(codes) < 8:
        return [hash_secret(code, rounds) for code in codes]
    with ThreadPoolExecutor(max_workers=HASH_WORKERS) as pool:
        return list(pool.map(lambda code: hash_secret(code, rounds), codes))


def issue_access_codes(
    session: Session,
    exam: Exam,
    *,
    rounds: int,
    now: dt.datetime,
    actor_id: int | None,
    candidates: Sequence[Candidate] | None = None,
    only_missing: bool = True,
) -> list[IssuedCode]:
    """Give candidates new random codes; return them once (only their bcrypt hashes are kept).

    A new code replaces the old one, which stops working at once.
    """
    if candidates is None:
        candidates = candidates_in_order(session, exam.id)
    targets = [c for c in candidates if not (only_missing and c.access_code_hash)]
    codes = [generate_code() for _ in targets]
    for candidate, hashed in zip(targets, _hash_all(codes, rounds), strict=True):
        candidate.access_code_hash = hashed
        candidate.access_code_issued_at = now
    if targets:
        audit.record(
            session,
            at=now,
            actor_kind="user" if actor_id else "system",
            actor_id=actor_id,
            action="access_codes_issued",
            target_type="exam",
            target_id=exam.id,
            details={"count": len(targets), "candidate_ids": [c.id for c in targets][:1000]},
        )
    return [IssuedCode(c, code) for c, code in zip(targets, codes, strict=True)]


def regenerate_access_code(
    session: Session, candidate: Candidate, *, rounds: int, now: dt.datetime, actor_id: int | None
) -> str:
    """Replace one candidate's code (lost slip); the old code no longer signs in."""
    exam = session.get(Exam, candidate.exam_id)
    (issued,) = issue_access_codes(
        session,
        exam,
        rounds=rounds,
        now=now,
        actor_id=actor_id,
        candidates=[candidate],
        only_missing=False,
    )
    return issued.code
