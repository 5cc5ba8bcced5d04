"""A crash in the middle of form generation or of a bank import leaves nothing half-written:
the command is killed with SIGKILL while its rows are written but not committed, and the
database then holds none of them; run again, the command completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server import db as db_module
from exam_server.cli import main
from exam_server.db import make_engine, utcnow
from exam_server.models import Candidate, Exam, ExamPart, Form, FormItem, Item, ItemVersion, Subject

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = 60


def run_until_frozen(server, tmp_path: Path, when: str, count: int, *arguments: str) -> None:
    """Start examctl under the crash hook, wait until it froze at `when`, then kill -9 it."""
    marker = tmp_path / f"frozen-{time.monotonic_ns()}"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.crashpoint", str(marker), when, str(count), "--"]
        + list(arguments),
        cwd=ROOT,
        env=server.live.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the command ended before the crash point: {process.stdout.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the command never reached the crash point")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL


@pytest.fixture
def examctl(fault_server, monkeypatch):
    """Run examctl in this process against the server's database (no start-up cost)."""
    for name, value in fault_server.live.env.items():
        if name.startswith("EXAM_"):
            monkeypatch.setenv(name, value)
    engines = []

    def tracked_engine(url: str, *args, **kwargs):
        engines.append(make_engine(url, *args, **kwargs))
        return engines[-1]

    monkeypatch.setattr(db_module, "make_engine", tracked_engine)

    def run(*arguments: str) -> str:
        try:
            result = CliRunner().invoke(main, list(arguments))
        finally:
            for engine in engines:
                engine.dispose()
        assert result.exit_code == 0, result.output
        return result.output

    return run


def count(server, statement) -> int:
    engine = make_engine(server.database_url)
    with engine.connect() as connection:
        found = connection.scalar(statement)
    engine.dispose()
    return found


def draft_exam_like_the_demo(server, code: str) -> int:
    """A draft exam with the demo's two parts and 60 candidates, no forms yet."""
    engine = make_engine(server.database_url)
    with Session(engine) as session:
        demo = session.scalar(select(Exam).where(Exam.code == "DEMO-PILOT"))
        now = utcnow()
        exam = Exam(code=code, name=code, kind="pilot", status="draft", created_at=now)
        session.add(exam)
        session.flush()
        for part in demo.parts:
            session.add(
                ExamPart(
                    exam_id=exam.id,
                    position=part.position,
                    subject_id=part.subject_id,
                    title=part.title,
                    item_count=part.item_count,
                    duration_minutes=part.duration_minutes,
                    allowed_types=part.allowed_types,
                    blueprint=part.blueprint,
                )
            )
        for n in range(CANDIDATES):
            session.add(
                Candidate(
                    exam_id=exam.id,
                    registration_number=f"CR{n:03d}",
                    full_name=f"Thí sinh {n}",
                    access_code_hash="",
                    created_at=now,
                )
            )
        session.commit()
        exam_id = exam.id
    engine.dispose()
    return exam_id


def test_a_crash_mid_form_generation_leaves_no_form(fault_server, tmp_path, examctl):
    exam_id = draft_exam_like_the_demo(fault_server, "CRASH-FORMS")
    forms_of_exam = (select(Form.id).join(Candidate, Candidate.id == Form.candidate_id)).where(
        Candidate.exam_id == exam_id
    )

    # Killed after the first part's forms and items were written and the second part's began.
    run_until_frozen(
        fault_server, tmp_path, "INSERT INTO forms", 2, "forms", "generate", "CRASH-FORMS"
    )
    assert count(fault_server, select(func.count()).select_from(forms_of_exam.subquery())) == 0
    assert (
        count(
            fault_server,
            select(func.count()).select_from(FormItem).where(FormItem.form_id.in_(forms_of_exam)),
        )
        == 0
    )

    # Killed with everything written, just before the commit.
    run_until_frozen(fault_server, tmp_path, "COMMIT", 1, "forms", "generate", "CRASH-FORMS")
    assert count(fault_server, select(func.count()).select_from(forms_of_exam.subquery())) == 0

    assert "Stored 240 forms" in examctl("forms", "generate", "CRASH-FORMS")
    assert count(fault_server, select(func.count()).select_from(forms_of_exam.subquery())) == 240
    assert (
        count(
            fault_server,
            select(func.count()).select_from(FormItem).where(FormItem.form_id.in_(forms_of_exam)),
        )
        == 240 * 20
    )


def test_a_crash_mid_import_leaves_no_question(fault_server, tmp_path, examctl):
    examctl("bank", "add-subject", "CRASH", "--name", "Tin học", "--kind", "it")
    questions = tmp_path / "cau-hoi.txt"
    questions.write_text(
        "\n".join(
            f"Câu {n}: phím tắt nào sao chép văn bản?\nA. Ctrl+C {n}\nB. Ctrl+V {n}\n"
            f"C. Ctrl+X {n}\nD. Ctrl+Z {n}\nANSWER: A\n"
            for n in range(300)
        ),
        encoding="utf-8",
    )
    subject_items = (
        select(func.count())
        .select_from(Item)
        .join(Subject, Subject.id == Item.subject_id)
        .where(Subject.code == "CRASH")
    )
    subject_versions = (
        select(func.count())
        .select_from(ItemVersion)
        .join(Item, Item.id == ItemVersion.item_id)
        .join(Subject, Subject.id == Item.subject_id)
        .where(Subject.code == "CRASH")
    )
    run_until_frozen(
        fault_server,
        tmp_path,
        "INSERT INTO item_versions",
        1,
        "bank",
        "import",
        str(questions),
        "--subject",
        "CRASH",
    )
    assert count(fault_server, subject_items) == 0
    run_until_frozen(
        fault_server, tmp_path, "COMMIT", 1, "bank", "import", str(questions), "--subject", "CRASH"
    )
    assert count(fault_server, subject_items) == 0
    assert count(fault_server, subject_versions) == 0

    examctl("bank", "import", str(questions), "--subject", "CRASH")
    assert count(fault_server, subject_items) == 300
    assert count(fault_server, subject_versions) == 300
