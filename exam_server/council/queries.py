"""Read the compiled results for pages and exports: tables, counts, score lists."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models import Candidate, Exam, ExamPart, Room, RoomSession, Shift
from exam_server.models.council import CandidateResultRecord, PartResultRecord
from exam_server.setup.vnsort import candidate_key

SORTS = ("sbd", "name")
PRESENT_STATUSES = ("sat", "in_progress", "voided")


@dataclass
class ResultRow:
    candidate: Candidate
    room: str  # room name and shift, "" when unassigned
    room_session_id: int | None
    parts: dict[int, PartResultRecord]
    result: CandidateResultRecord | None

    @property
    def overall(self) -> str | None:
        return self.result.overall if self.result else None


@dataclass
class Counts:
    registered: int = 0
    present: int = 0
    absent: int = 0
    exempt: int = 0
    suspended: int = 0  # voided by a suspension or a cancellation
    passed: int = 0


@dataclass
class ExamCounts:
    exam: Counts = field(default_factory=Counts)
    parts: dict[int, Counts] = field(default_factory=dict)
    rooms: dict[str, Counts] = field(default_factory=dict)


def room_labels(session: Session, exam: Exam) -> dict[int, str]:
    """Return "room — shift" per room session of the exam."""
    rows = session.execute(
        select(RoomSession.id, Room.name, Shift.name)
        .join(Room, Room.id == RoomSession.room_id)
        .join(Shift, Shift.id == RoomSession.shift_id)
        .where(Shift.exam_id == exam.id)
    ).all()
    return {session_id: f"{room} — {shift}" for session_id, room, shift in rows}


def result_rows(
    session: Session,
    exam: Exam,
    *,
    sort: str = "sbd",
    only_passed: bool = False,
    room_session_id: int | None = None,
) -> list[ResultRow]:
    """Return every candidate with their compiled results, sorted by SBD or by name.

    Name order is the Vietnamese one: the given name (last word) first, then the family
    and middle names, letters in the Vietnamese alphabet, then tones; SBD breaks ties.
    """
    query = select(Candidate).where(Candidate.exam_id == exam.id)
    if room_session_id is not None:
        query = query.where(Candidate.room_session_id == room_session_id)
    candidates = session.scalars(query).all()
    parts_by: dict[int, dict[int, PartResultRecord]] = defaultdict(dict)
    for row in session.scalars(select(PartResultRecord).where(PartResultRecord.exam_id == exam.id)):
        parts_by[row.candidate_id][row.part_id] = row
    results = {
        row.candidate_id: row
        for row in session.scalars(
            select(CandidateResultRecord).where(CandidateResultRecord.exam_id == exam.id)
        )
    }
    labels = room_labels(session, exam)
    rows = [
        ResultRow(
            candidate,
            labels.get(candidate.room_session_id, ""),
            candidate.room_session_id,
            parts_by.get(candidate.id, {}),
            results.get(candidate.id),
        )
        for candidate in candidates
    ]
    if only_passed:
        rows = [row for row in rows if row.overall == "passed"]
    if sort == "name":
        rows.sort(
            key=lambda r: candidate_key(r.candidate.full_name, r.candidate.registration_number)
        )
    else:
        rows.sort(key=lambda r: r.candidate.registration_number)
    return rows


def is_compiled(session: Session, exam: Exam) -> bool:
    return (
        session.scalar(
            select(CandidateResultRecord.id)
            .where(CandidateResultRecord.exam_id == exam.id)
            .limit(1)
        )
        is not None
    )


def count(rows: list[ResultRow], parts: list[ExamPart]) -> ExamCounts:
    """Count registered, present, absent, exempt, suspended and passed per exam, part, room.

    Per part: registered = candidates not exempt from it; present = started it (sat, still
    in progress, or voided after starting); suspended = voided by a sanction. Per exam and
    per room: present = present in at least one part; passed = passed overall.
    """
    counts = ExamCounts(parts={part.id: Counts() for part in parts})
    for row in rows:
        for part in parts:
            record = row.parts.get(part.id)
            status = record.status if record else "absent"
            tally = counts.parts[part.id]
            if status == "exempt":
                tally.exempt += 1
                continue
            tally.registered += 1
            started = status in PRESENT_STATUSES and (
                status != "voided" or record.attempt_id is not None
            )
            if started:
                tally.present += 1
            else:
                tally.absent += 1
            if status == "voided":
                tally.suspended += 1
            if status == "sat" and record.passed:
                tally.passed += 1
        for tally in (counts.exam, counts.rooms.setdefault(row.room, Counts())):
            tally.registered += 1
            statuses = [r.status for r in row.parts.values()]
            if any(
                s in PRESENT_STATUSES and (s != "voided" or r.attempt_id is not None)
                for s, r in zip(statuses, row.parts.values(), strict=True)
            ):
                tally.present += 1
            elif row.overall == "exempt":
                tally.exempt += 1
            else:
                tally.absent += 1
            if row.overall == "voided":
                tally.suspended += 1
            if row.overall == "passed":
                tally.passed += 1
    return counts


def part_scores(rows: list[ResultRow], part_id: int) -> list[float]:
    """Return the scores on 100 of the candidates who sat the part (not voided)."""
    return [
        row.parts[part_id].score_100
        for row in rows
        if part_id in row.parts
        and row.parts[part_id].status == "sat"
        and row.parts[part_id].score_100 is not None
    ]
