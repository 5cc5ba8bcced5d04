"""Create or refresh the demo: bank, pilot exam (English + IT), one room, 20 candidates."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

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
)
from exam_server.models.exams import RoomStaff
from exam_server.ops.wipe import delete_exam_rows
from exam_server.passwords import generate_code, hash_secret
from exam_server.setup.forms import generate_forms
from exam_server.text import nfc, plain_to_html

HERE = Path(__file__).parent
BANK_FILES = ("bank_english.json", "bank_it.json")
DEMO_EXAM_CODE = "DEMO-PILOT"
DEMO_ROOM_CODE = "P101"
CANDIDATE_COUNT = 20
ALLOWED_TYPES = ["single_choice", "true_false", "fill_blank"]

# (topic code, easy, medium, hard) per part: 20 items each, about 40/40/20 by difficulty.
BLUEPRINTS = {
    "ENG": [
        ("grammar", 2, 2, 1),
        ("vocabulary", 2, 2, 1),
        ("reading", 2, 2, 1),
        ("communication", 2, 2, 1),
    ],
    "IT": [
        ("basics", 2, 1, 1),
        ("windows", 1, 2, 1),
        ("word", 1, 1, 1),
        ("excel", 1, 2, 1),
        ("internet", 2, 1, 0),
        ("security", 1, 1, 0),
    ],
}

# Sample names only; any likeness to a real person is chance.
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh", "Hữu", "Bảo"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hương",
    "Khoa",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Ngân",
    "Phúc",
    "Quân",
    "Sơn",
    "Thảo",
    "Tùng",
    "Yến",
]


@dataclass
class DemoResult:
    exam_id: int
    candidates: list[tuple[str, str, str]] = field(default_factory=list)  # SBD, name, code


def load_bank(session: Session, now: dt.datetime) -> dict[str, Subject]:
    """Load the sample bank once; items are approved (they were reviewed for this project)."""
    subjects = {}
    for filename in BANK_FILES:
        data = json.loads((HERE / filename).read_text(encoding="utf-8"))
        info = data["subject"]
        subject = session.scalar(select(Subject).where(Subject.code == info["code"]))
        if subject is None:
            subject = Subject(code=info["code"], name=nfc(info["name"]), kind=info["kind"])
            session.add(subject)
            session.flush()
        subjects[subject.code] = subject
        if session.scalar(select(Item.id).where(Item.subject_id == subject.id).limit(1)):
            continue
        topics = {}
        for topic_data in data["topics"]:
            topic = Topic(
                subject_id=subject.id, code=topic_data["code"], name=nfc(topic_data["name"])
            )
            session.add(topic)
            topics[topic.code] = topic
        session.flush()
        for number, raw in enumerate(data["items"], start=1):
            item = Item(
                subject_id=subject.id,
                topic_id=topics[raw["topic"]].id,
                difficulty=raw["difficulty"],
                status="approved",
                source=f"demo:{filename}#{number}",
                created_at=now,
            )
            session.add(item)
            session.flush()
            session.add(
                ItemVersion(
                    item_id=item.id,
                    version_no=1,
                    item_type=raw["type"],
                    stem=plain_to_html(raw["stem"]),
                    content=_content(raw),
                    created_at=now,
                )
            )
    session.flush()
    return subjects


def _content(raw: dict) -> dict:
    if raw["type"] == "fill_blank":
        return {
            "options": [],
            "blanks": [
                {
                    "answers": [{"text": nfc(a), "fraction": 1.0} for a in raw["answers"]],
                    "match": raw.get("match", "ignore_case"),
                }
            ],
        }
    return {
        "options": [
            {
                "id": f"o{i}",
                "text": plain_to_html(o["text"]),
                "fraction": 1.0 if o["correct"] else 0.0,
                "pinned": False,
            }
            for i, o in enumerate(raw["options"], start=1)
        ],
        "blanks": [],
    }


def remove_exam(session: Session, code: str) -> None:
    """Delete an exam and everything hanging from it (the demo is refreshed this way).

    The rows are found by following foreign keys from the exam, so room records, decisions
    and anything added later go too.
    """
    exam = session.scalar(select(Exam).where(Exam.code == code))
    if exam is None:
        return
    session.flush()
    session.expunge(exam)
    delete_exam_rows(session.connection(), exam.id)


def _blueprint(session: Session, subject: Subject) -> list[dict]:
    topics = {
        t.code: t.id for t in session.scalars(select(Topic).where(Topic.subject_id == subject.id))
    }
    cells = []
    for code, *per_level in BLUEPRINTS[subject.code]:
        for difficulty, count in enumerate(per_level, start=1):
            if count:
                cells.append(
                    {
                        "topic_id": topics[code],
                        "difficulty": difficulty,
                        "count": count,
                        "points": 1.0,
                    }
                )
    return cells


def create_demo(session: Session, now: dt.datetime, code_rounds: int) -> DemoResult:
    """Build the pilot exam with stored forms; return the candidates' logins."""
    subjects = load_bank(session, now)
    remove_exam(session, DEMO_EXAM_CODE)
    exam = Exam(
        code=DEMO_EXAM_CODE,
        name=nfc("Thi thử nghiệm trên máy tính: Tiếng Anh và Tin học"),
        kind="pilot",
        status="draft",
        clock_mode="per_candidate",
        results_shown="at_submit",
        late_entry_minutes=10,
        created_at=now,
    )
    session.add(exam)
    session.flush()
    for position, (code, title) in enumerate((("ENG", "Tiếng Anh"), ("IT", "Tin học")), start=1):
        session.add(
            ExamPart(
                exam_id=exam.id,
                position=position,
                subject_id=subjects[code].id,
                title=nfc(title),
                item_count=20,
                duration_minutes=30,
                pass_basis="share_correct",
                pass_threshold=0.5,
                shuffle_items=True,
                shuffle_options=True,
                allowed_types=ALLOWED_TYPES,
                blueprint=_blueprint(session, subjects[code]),
            )
        )
    room = session.scalar(select(Room).where(Room.code == DEMO_ROOM_CODE))
    if room is None:
        room = Room(code=DEMO_ROOM_CODE, name=nfc("Phòng thi P101"), capacity=30)
        session.add(room)
    shift = Shift(exam_id=exam.id, name=nfc("Ca 1"), starts_at=now.replace(second=0, microsecond=0))
    session.add(shift)
    session.flush()
    room_session = RoomSession(shift_id=shift.id, room_id=room.id, state="waiting")
    session.add(room_session)
    session.flush()
    result = DemoResult(exam_id=exam.id)
    for number in range(1, CANDIDATE_COUNT + 1):
        name = nfc(f"{FAMILY[number % 10]} {MIDDLE[(number * 3) % 10]} {GIVEN[number - 1]}")
        registration_number = f"TS{number:03d}"
        code = generate_code()
        session.add(
            Candidate(
                exam_id=exam.id,
                registration_number=registration_number,
                full_name=name,
                date_of_birth=dt.date(1990 + number % 10, 1 + number % 12, 1 + number % 28),
                national_id=f"0010{number:08d}",
                access_code_hash=hash_secret(code, code_rounds),
                room_session_id=room_session.id,
                seat=number,
                created_at=now,
            )
        )
        result.candidates.append((registration_number, name, code))
    session.flush()
    session.expire(exam, ["parts"])
    generate_forms(session, exam, now)
    exam.status = "published"
    return result


def assign_room_staff(
    session: Session, exam_id: int, user_id: int, role: str = "head_proctor"
) -> None:
    """Put one staff member on duty in every room of the exam (the demo's head proctor)."""
    rooms = session.scalars(
        select(RoomSession)
        .join(Shift, Shift.id == RoomSession.shift_id)
        .where(Shift.exam_id == exam_id)
    ).all()
    for room in rooms:
        session.add(RoomStaff(room_session_id=room.id, user_id=user_id, role=role))
    session.flush()
