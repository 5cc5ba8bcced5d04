"""Factories for tests: small banks, exams, rooms and candidates built through the models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from exam_server.accounts import create_user
from exam_server.models import (
    Candidate,
    Exam,
    ExamPart,
    Item,
    ItemVersion,
    Room,
    RoomSession,
    Shift,
    Subject,
    Topic,
    User,
)
from exam_server.passwords import hash_secret
from exam_server.setup.forms import generate_forms


def make_subject(
    session: Session, now: dt.datetime, *, code="SUBJ", topics=2, per_cell=3
) -> Subject:
    """A subject with `topics` topics × 3 difficulties × `per_cell` approved single-choice items.

    Option o1 is always the key (fraction 1); forms shuffle display order.
    """
    subject = Subject(code=code, name=f"Subject {code}", kind="it")
    session.add(subject)
    session.flush()
    for t in range(1, topics + 1):
        topic = Topic(subject_id=subject.id, code=f"t{t}", name=f"Topic {t}")
        session.add(topic)
        session.flush()
        for difficulty in (1, 2, 3):
            for n in range(per_cell):
                make_item(
                    session, now, subject, topic, difficulty, stem=f"{code} t{t} d{difficulty} #{n}"
                )
    session.flush()
    return subject


def make_item(
    session,
    now,
    subject,
    topic,
    difficulty,
    *,
    stem,
    item_type="single_choice",
    content=None,
    status="approved",
) -> ItemVersion:
    item = Item(
        subject_id=subject.id,
        topic_id=topic.id,
        difficulty=difficulty,
        status=status,
        created_at=now,
    )
    session.add(item)
    session.flush()
    if content is None:
        content = {
            "options": [
                {
                    "id": f"o{i}",
                    "text": f"option {i} of {stem}",
                    "fraction": 1.0 if i == 1 else 0.0,
                    "pinned": False,
                }
                for i in range(1, 5)
            ],
            "blanks": [],
        }
    version = ItemVersion(
        item_id=item.id,
        version_no=1,
        item_type=item_type,
        stem=stem,
        content=content,
        created_at=now,
    )
    session.add(version)
    session.flush()
    return version


def topic_ids(session: Session, subject: Subject) -> list[int]:
    from sqlalchemy import select

    return list(
        session.scalars(select(Topic.id).where(Topic.subject_id == subject.id).order_by(Topic.id))
    )


@dataclass
class Sitting:
    exam: Exam
    part: ExamPart
    room: RoomSession
    candidates: list[tuple[Candidate, str]] = field(
        default_factory=list
    )  # (candidate, access code)


def make_sitting(
    session: Session,
    now: dt.datetime,
    *,
    subject: Subject | None = None,
    candidates: int = 2,
    clock_mode: str = "per_candidate",
    results_shown: str = "at_submit",
    duration_minutes: int = 30,
    per_cell_count: int = 1,
    room_state: str = "waiting",
    code: str = "EXAM1",
) -> Sitting:
    """An exam with one part drawing `per_cell_count` items per topic × difficulty, stored forms."""
    subject = subject or make_subject(session, now, code=f"S{code}")
    cells = [
        {"topic_id": tid, "difficulty": d, "count": per_cell_count, "points": 1.0}
        for tid in topic_ids(session, subject)
        for d in (1, 2, 3)
    ]
    exam = Exam(
        code=code,
        name=f"Exam {code}",
        kind="pilot",
        status="draft",
        clock_mode=clock_mode,
        results_shown=results_shown,
        created_at=now,
    )
    session.add(exam)
    session.flush()
    part = ExamPart(
        exam_id=exam.id,
        position=1,
        subject_id=subject.id,
        title="Part one",
        item_count=sum(c["count"] for c in cells),
        duration_minutes=duration_minutes,
        pass_basis="share_correct",
        pass_threshold=0.5,
        shuffle_items=True,
        shuffle_options=True,
        allowed_types=["single_choice", "true_false", "fill_blank", "multiple_response"],
        blueprint=cells,
    )
    session.add(part)
    room = Room(code=f"R-{code}", name=f"Room {code}", capacity=40)
    session.add(room)
    shift = Shift(exam_id=exam.id, name="Shift 1", starts_at=now)
    session.add(shift)
    session.flush()
    room_session = RoomSession(
        shift_id=shift.id,
        room_id=room.id,
        state=room_state,
        started_at=now if room_state == "running" else None,
    )
    session.add(room_session)
    session.flush()
    sitting = Sitting(exam, part, room_session)
    for n in range(1, candidates + 1):
        access_code = f"CODE{n:04d}"
        candidate = Candidate(
            exam_id=exam.id,
            registration_number=f"{code}-{n:03d}",
            full_name=f"Thí sinh {n}",
            access_code_hash=hash_secret(access_code, 4),
            room_session_id=room_session.id,
            seat=n,
            created_at=now,
        )
        session.add(candidate)
        sitting.candidates.append((candidate, access_code))
    session.flush()
    session.expire(exam, ["parts"])
    generate_forms(session, exam, now)
    exam.status = "published"
    session.flush()
    return sitting


def make_staff(
    session: Session,
    now: dt.datetime,
    role: str = "admin",
    username: str | None = None,
    password: str = "correct-horse-42",
) -> User:
    user = create_user(
        session,
        username=username or role,
        full_name=f"Staff {role}",
        role=role,
        password=password,
        rounds=4,
        now=now,
    )
    session.flush()
    return user
