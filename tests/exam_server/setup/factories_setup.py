"""Factories for exam-setup tests: banks of a chosen size, exams from presets, candidates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from exam_server.models import Candidate, Subject, Topic
from exam_server.setup.exams import create_exam
from exam_server.setup.presets import load_presets
from tests.factories import make_item


def make_bank(
    session: Session,
    now: dt.datetime,
    *,
    code: str,
    kind: str,
    topics: int = 2,
    per_cell: int = 6,
    item_type: str = "single_choice",
    facility=None,
) -> Subject:
    """A subject with `topics` topics × difficulties 1–3 × `per_cell` approved items.

    `facility(topic_index, difficulty, n)` may give each item a facility.
    """
    subject = Subject(code=code, name=f"Môn {code}", kind=kind)
    session.add(subject)
    session.flush()
    for t in range(1, topics + 1):
        topic = Topic(subject_id=subject.id, code=f"{code}-t{t}", name=f"Chủ đề {t}")
        session.add(topic)
        session.flush()
        for difficulty in (1, 2, 3):
            for n in range(per_cell):
                version = make_item(
                    session,
                    now,
                    subject,
                    topic,
                    difficulty,
                    stem=f"{code} t{t} d{difficulty} #{n}",
                    item_type=item_type,
                )
                if facility is not None:
                    version.item.facility = facility(t, difficulty, n)
    session.flush()
    return subject


def preset(name: str):
    return load_presets()[name]


def make_exam(session, now, preset_name="pilot_language_it", code="KT1", **kwargs):
    return create_exam(
        session,
        preset(preset_name),
        code=code,
        name=f"Kỳ thi {code}",
        now=now,
        actor_id=None,
        **kwargs,
    )


def add_candidates(session, exam, count, *, now, names=None, start=1):
    made = []
    for n in range(start, start + count):
        candidate = Candidate(
            exam_id=exam.id,
            registration_number=f"{exam.code}-{n:04d}",
            full_name=(names[n - start] if names else f"Nguyễn Văn {n}"),
            access_code_hash="",
            created_at=now,
        )
        session.add(candidate)
        made.append(candidate)
    session.flush()
    return made
