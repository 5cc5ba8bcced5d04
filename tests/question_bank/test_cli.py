"""examctl bank import / export through click's runner on the real CLI root."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from exam_server.cli import main
from exam_server.models import Item
from exam_server.models.bank import BankAccess
from tests.question_bank.factories_bank import HEADER_EN, bank_subject, staff, workbook
from tests.question_bank.test_import_export import ROWS


@pytest.fixture
def run(app, db):
    """Run examctl against the test's app and rolled-back database."""

    def invoke(*args):
        result = CliRunner().invoke(
            main, list(args), obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False
        )
        db.expire_all()
        return result

    return invoke


@pytest.fixture
def subject(db, clock, ctx):
    return bank_subject(db, clock.now, code="GK", kind="administrative", topics=())


def items_in(db, subject):
    return db.scalar(select(func.count(Item.id)).where(Item.subject_id == subject.id))


def test_dry_run_json_prints_one_object_and_writes_nothing(run, db, subject, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(workbook(ROWS))
    result = run("bank", "import", str(path), "--subject", "GK", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"items", "errors"} and report["errors"] == []
    first, _multi, _tf, fill = report["items"]
    assert first["type"] == "single_choice" and first["difficulty"] == 1
    assert first["options"][1] == {"text": "2013", "fraction": 1.0, "pinned": False}
    assert first["category"] == "Pháp luật/Hiến pháp"
    assert fill["options"] == [] and fill["answers"][0] == {"text": "Hà Nội", "fraction": 1.0}
    assert {"tags", "media", "stem"} <= set(first)
    assert items_in(db, subject) == 0


def test_errors_give_exit_status_one_and_locate_the_row(run, db, subject, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        workbook([HEADER_EN, ("single_choice", "Q?", "a", "b", "", "", "Z", "", 1, "")])
    )
    result = run("bank", "import", str(path), "--dry-run", "--json", "--lang", "en")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["file"], e["line"], e["field"]) for e in errors] == [("bad.xlsx", 2, "correct")]
    assert "Z" in errors[0]["message"]
    plain = run("bank", "import", str(path), "--subject", "GK", "--lang", "en")
    assert plain.exit_code == 1 and "bad.xlsx:2 [correct]" in plain.output
    assert "nothing was imported" in plain.output and items_in(db, subject) == 0


def test_import_writes_drafts_in_one_go(run, db, clock, subject, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(workbook(ROWS))
    staff(db, clock.now, "examiner", username="author", subjects=[subject])
    result = run("bank", "import", str(path), "--subject", "GK", "--by", "author", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Imported 4 questions into GK as drafts" in result.output
    assert items_in(db, subject) == 4
    assert set(db.scalars(select(Item.status).where(Item.subject_id == subject.id))) == {"draft"}
    again = run("bank", "import", str(path), "--subject", "GK", "--json")
    assert again.exit_code == 1 and len(json.loads(again.stdout)["errors"]) == 4
    assert items_in(db, subject) == 4


def test_an_unknown_subject_is_an_error_in_the_report(run, subject, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(workbook(ROWS))
    result = run("bank", "import", str(path), "--subject", "NOPE", "--json", "--lang", "en")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"][0]["field"] == "subject" and len(report["items"]) == 4


def test_export_writes_the_file_and_logs_it(run, db, subject, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(workbook(ROWS))
    assert run("bank", "import", str(path), "--subject", "GK").exit_code == 0
    out = tmp_path / "out.gift"
    result = run("bank", "export", "--subject", "GK", "--format", "gift", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Hiến pháp năm nào?" in out.read_text(encoding="utf-8")
    log = db.scalar(select(BankAccess).where(BankAccess.action == "export"))
    assert len(log.item_ids) == 4 and log.details["via"] == "cli"
    approved = tmp_path / "approved.xml"
    run(
        "bank",
        "export",
        "--subject",
        "GK",
        "--format",
        "moodle-xml",
        "--status",
        "approved",
        "-o",
        str(approved),
    )
    assert "<question " not in approved.read_text(encoding="utf-8")


def test_subjects_and_assignments_from_the_command_line(run, db, clock, ctx):
    assert (
        run(
            "bank", "add-subject", "ENG", "--name", "English", "--kind", "foreign_language"
        ).exit_code
        == 0
    )
    user = staff(db, clock.now, "examiner", username="ex1")
    assert run("bank", "assign", "ex1", "ENG").exit_code == 0
    from question_bank.permissions import visible_subject_ids

    assert len(visible_subject_ids(db, user)) == 1
    assert run("bank", "assign", "nobody", "ENG").exit_code == 1
