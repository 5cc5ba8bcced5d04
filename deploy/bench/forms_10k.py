#!/usr/bin/env python3
"""Benchmark forms_10k_s: draw and store 10,000 forms of 120 items from a 5,000-item bank.

Prints which database it measured on, then one line:
    # forms_10k_s measured on PostgreSQL 15.x (database exam_bench_forms)
    BENCH forms_10k_s <seconds> 10 PASS|FAIL

The set-up (bank, exam, 5,000 candidates seated 40 to a room, each getting a main and a spare
form) is not timed; the timed part is the real service, generate_forms, plus the commit.

It measures on PostgreSQL, where production runs, whenever the server answers: a fresh database
exam_bench_forms (dropped and created again; its own name, so other benchmarks' databases are
left alone) on the server of EXAM_BENCH_DATABASE_URL, by default
postgresql://postgres@127.0.0.1:5432. Otherwise, or with FORMS_BENCH_SQLITE=1, it measures on
a fresh SQLite file in a temporary folder.
FORMS_BENCH_CANDIDATES shrinks the run for a quick look (the figure is then not the budget's).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BUDGET_S = 10.0
BANK_ITEMS = 5_000
TOPICS = 10
LEVELS = (1, 2, 3)
PER_CELL_IN_FORM = 4  # 10 topics × 3 levels × 4 = 120 items per form
# × (main + spare) = 10,000 forms
CANDIDATES = int(os.environ.get("FORMS_BENCH_CANDIDATES", "5000"))
ROOM_SIZE = 40
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/exam_bench_forms"
DATABASE = "exam_bench_forms"


def postgres_url() -> str | None:
    """A fresh exam_bench_forms database, or None when PostgreSQL is not there."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(os.environ.get("EXAM_BENCH_DATABASE_URL", DEFAULT_PG)).set(database=DATABASE)
    try:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {DATABASE}"))
        admin.dispose()
    except Exception as exc:  # no server, no rights: measure on SQLite and say so
        print(f"# forms_10k_s: PostgreSQL not reachable ({type(exc).__name__})", flush=True)
        return None
    return url.render_as_string(hide_password=False)


def describe(engine) -> str:
    from sqlalchemy import text

    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version = connection.execute(text("SHOW server_version")).scalar_one()
            return f"PostgreSQL {version} (database {DATABASE})"
        version = connection.execute(text("SELECT sqlite_version()")).scalar_one()
        return f"SQLite {version} (a file in a temporary folder)"


def main() -> int:
    from sqlalchemy import insert, select, text
    from sqlalchemy.orm import Session

    from exam_server import migrate
    from exam_server.db import make_engine
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
    from exam_server.setup.forms import generate_forms

    folder = tempfile.TemporaryDirectory()
    url = None if os.environ.get("FORMS_BENCH_SQLITE") == "1" else postgres_url()
    if not url:
        url = f"sqlite:///{folder.name}/bench.sqlite3"
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = dt.datetime.now(dt.UTC)

    with Session(engine) as session:
        subject = Subject(code="BENCH", name="Benchmark", kind="specialized")
        session.add(subject)
        session.flush()
        topics = [
            Topic(subject_id=subject.id, code=f"t{n}", name=f"Topic {n}") for n in range(TOPICS)
        ]
        session.add_all(topics)
        session.flush()
        cells = [(t.id, level) for t in topics for level in LEVELS]
        item_rows = [
            {
                "subject_id": subject.id,
                "topic_id": cells[n % len(cells)][0],
                "difficulty": cells[n % len(cells)][1],
                "status": "approved",
                "created_at": now,
            }
            for n in range(BANK_ITEMS)
        ]
        item_ids = session.scalars(
            insert(Item).returning(Item.id, sort_by_parameter_order=True), item_rows
        ).all()
        options = [
            {
                "id": f"o{i}",
                "text": f"option {i}",
                "fraction": 1.0 if i == 1 else 0.0,
                "pinned": False,
            }
            for i in range(1, 5)
        ]
        session.execute(
            insert(ItemVersion),
            [
                {
                    "item_id": item_id,
                    "version_no": 1,
                    "item_type": "single_choice",
                    "stem": f"Question {item_id}",
                    "content": {"options": options, "blanks": []},
                    "created_at": now,
                }
                for item_id in item_ids
            ],
        )
        exam = Exam(code="BENCH", name="Benchmark", kind="pilot", status="draft", created_at=now)
        session.add(exam)
        session.flush()
        session.add(
            ExamPart(
                exam_id=exam.id,
                position=1,
                subject_id=subject.id,
                title="Part",
                item_count=len(cells) * PER_CELL_IN_FORM,
                duration_minutes=120,
                allowed_types=["single_choice"],
                blueprint=[
                    {"topic_id": t, "difficulty": d, "count": PER_CELL_IN_FORM, "points": 1.0}
                    for t, d in cells
                ],
            )
        )
        shift = Shift(exam_id=exam.id, name="Shift 1", starts_at=now)
        session.add(shift)
        session.flush()
        room_sessions = []
        for number in range(CANDIDATES // ROOM_SIZE):
            room = Room(
                code=f"B{number:03d}", name=f"Room {number}", capacity=ROOM_SIZE, seats_per_row=8
            )
            session.add(room)
            session.flush()
            room_session = RoomSession(shift_id=shift.id, room_id=room.id)
            session.add(room_session)
            room_sessions.append(room_session)
        session.flush()
        session.execute(
            insert(Candidate),
            [
                {
                    "exam_id": exam.id,
                    "registration_number": f"B{n:05d}",
                    "full_name": f"Candidate {n}",
                    "access_code_hash": "",
                    "room_session_id": room_sessions[n // ROOM_SIZE].id,
                    "seat": n % ROOM_SIZE + 1,
                    "exempt_part_ids": [],
                    "terminal_move_approved": False,
                    "created_at": now,
                }
                for n in range(CANDIDATES)
            ],
        )
        session.commit()
        exam_id = exam.id

    with Session(engine) as session:
        exam = session.get(Exam, exam_id)
        started = time.perf_counter()
        made = generate_forms(session, exam, now)
        session.commit()
        elapsed = time.perf_counter() - started
        stored = session.scalar(text("SELECT count(*) FROM form_items"))
        forms = session.scalar(select(text("count(*)")).select_from(text("forms")))
    database = describe(engine)
    engine.dispose()
    folder.cleanup()
    if (
        made != 2 * CANDIDATES
        or forms != 2 * CANDIDATES
        or stored != forms * len(cells) * PER_CELL_IN_FORM
    ):
        print(f"forms_10k: stored {forms} forms and {stored} items, expected more", file=sys.stderr)
        elapsed = float("inf")
    verdict = "PASS" if elapsed < BUDGET_S else "FAIL"
    print(f"# forms_10k_s measured on {database}", flush=True)
    print(f"BENCH forms_10k_s {elapsed:.2f} {BUDGET_S:g} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
