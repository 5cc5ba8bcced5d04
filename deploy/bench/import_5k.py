#!/usr/bin/env python3
"""Benchmark import_5k_s: import a 5,000-question Excel bank, all or nothing, budget < 15 s.

Builds the workbook in a temporary folder, migrates a fresh SQLite database (and a fresh
PostgreSQL one when EXAM_BENCH_DATABASE_URL is set), and imports the file through the real
import service (parse, check every row and duplicates, write once, one commit). The figure is
the slowest database's time from the file's bytes to the commit. Prints one line:
    BENCH import_5k_s <seconds> 15 PASS|FAIL
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from _harness import line, postgres_url
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from exam_server import migrate
from exam_server.app import create_app
from exam_server.db import Database, make_engine, utcnow

NAME = "import_5k_s"
BUDGET_S = 15.0
ITEMS = 5000
HEADER = (
    "type",
    "stem",
    "option_a",
    "option_b",
    "option_c",
    "option_d",
    "correct",
    "category",
    "difficulty",
    "tags",
    "source",
)
TOPICS = [f"Chủ đề {t}/Phần {p}" for t in range(1, 11) for p in range(1, 4)]


def build_workbook(path: Path) -> None:
    """Write ITEMS Vietnamese questions of every type, each stem unique."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for n in range(1, ITEMS + 1):
        topic = TOPICS[n % len(TOPICS)]
        difficulty = n % 3 + 1
        kind = n % 10
        if kind < 6:
            row = (
                "single_choice",
                f"Câu {n}: Theo Luật Cán bộ, công chức, điều nào đúng?",
                f"Phương án đúng {n}",
                f"Phương án sai {n}a",
                f"Phương án sai {n}b",
                f"Phương án sai {n}c",
                "A",
            )
        elif kind < 8:
            row = (
                "multiple_response",
                f"Câu {n}: Những cơ quan nào thuộc hệ thống hành chính?",
                f"Chính phủ {n}",
                f"Tòa án {n}",
                f"Ủy ban nhân dân {n}",
                f"Quốc hội {n}",
                "A, C",
            )
        elif kind < 9:
            row = (
                "true_false",
                f"Câu {n}: Công chức được tuyển dụng qua thi tuyển.",
                "",
                "",
                "",
                "",
                "Đúng",
            )
        else:
            row = (
                "fill_blank",
                f"Câu {n}: Hiến pháp năm ____ là hiến pháp hiện hành.",
                "",
                "",
                "",
                "",
                "2013|năm 2013",
            )
        sheet.append((*row, topic, difficulty, "luật, công vụ", f"Bộ đề {n // 500}"))
    book.save(path)


def run_once(url: str, data: bytes) -> float:
    """Migrate a fresh database at url, import the workbook once, return the seconds taken."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    app = create_app(
        {"ENV": "testing", "SECRET_KEY": "bench-import", "DATABASE_URL": url},
        instance_path=tempfile.mkdtemp(prefix="bench-import-"),
    )
    app.extensions["exam_db"] = Database(engine, sessionmaker(bind=engine, expire_on_commit=False))
    from exam_server.models import Item
    from question_bank.importing import import_file
    from question_bank.subjects import create_subject

    with app.test_request_context():
        session = app.extensions["exam_db"].session_factory()
        subject = create_subject(
            session,
            code="BENCH",
            name="Benchmark",
            kind="administrative",
            actor=None,
            now=utcnow(),
        )
        session.commit()
        started = time.perf_counter()
        report = import_file(
            session,
            data=data,
            filename="bank_5k.xlsx",
            subject=subject,
            actor=None,
            now=utcnow(),
        )
        if report.ok:
            session.commit()
        elapsed = time.perf_counter() - started
        count = session.scalar(select(func.count(Item.id)).where(Item.subject_id == subject.id))
        session.close()
    engine.dispose()
    if not report.ok or count != ITEMS:
        first = report.errors[0].render() if report.errors else ""
        raise SystemExit(f"import failed: {len(report.errors)} errors ({first}), {count} items")
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        path = Path(folder) / "bank_5k.xlsx"
        build_workbook(path)
        data = path.read_bytes()
        timings = {"sqlite": run_once(f"sqlite:///{folder}/bench.sqlite3", data)}
        if os.environ.get("EXAM_BENCH_DATABASE_URL"):
            url = postgres_url()
            if url is None:
                print("# PostgreSQL at EXAM_BENCH_DATABASE_URL is not reachable", flush=True)
                line(NAME, float("nan"), BUDGET_S, False)
                return 1
            timings["postgresql"] = run_once(url, data)
    for database, seconds in timings.items():
        print(f"# {NAME} {database}: {seconds:.2f} s for {ITEMS} items", flush=True)
    worst = max(timings.values())
    line(NAME, worst, BUDGET_S, worst < BUDGET_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
