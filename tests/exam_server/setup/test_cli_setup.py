"""The setup commands through Flask's CLI runner, on a fresh SQLite file with the demo bank."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from exam_server.cli import main
from exam_server.db import make_engine
from exam_server.models import Candidate, Exam, Form


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("EXAM_DATABASE_URL", url)
    monkeypatch.setenv("EXAM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("EXAM_BCRYPT_ROUNDS_STAFF", "4")
    monkeypatch.setenv("EXAM_BCRYPT_ROUNDS_CANDIDATE", "4")
    monkeypatch.delenv("EXAM_SECRET_KEY", raising=False)
    run("demo")  # the sample bank: English and IT subjects with topics
    yield url, tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["SBD", "Họ và tên", "Ngày sinh", "Số CCCD"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def count(url, statement):
    engine = make_engine(url)
    with engine.connect() as connection:
        value = connection.scalar(statement)
    engine.dispose()
    return value


def test_create_import_generate_report_publish(cli_env):
    url, tmp = cli_env
    listed = run("exam", "presets")
    assert "decree170_round1" in listed.output and "pilot_language_it" in listed.output
    bad = run("exam", "create", "--preset", "nope", "--code", "X", "--name", "X")
    assert bad.exit_code == 1 and "decree170_round1" in bad.output
    made = run(
        "exam",
        "create",
        "--preset",
        "pilot_language_it",
        "--code",
        "tn-2026",
        "--name",
        "Thi thử 2026",
    )
    assert made.exit_code == 0, made.output
    assert "TN-2026" in made.output and "20 items" in made.output
    sheet = tmp / "ds.xlsx"
    sheet.write_bytes(
        workbook([["A1", "Lê Văn A", "01/02/1990", "001090000001"], ["A1", "Lê B", "x", "1"]])
    )
    refused = run("candidates", "import", str(sheet), "--exam", "TN-2026")
    assert refused.exit_code == 1
    assert "Row 3" in refused.output or "Dòng 3" in refused.output  # English or Vietnamese
    sheet.write_bytes(
        workbook(
            [[f"A{n}", f"Lê Văn {n}", "01/02/1990", f"0010900000{n:02d}"] for n in range(1, 6)]
        )
    )
    imported = run("candidates", "import", str(sheet), "--exam", "TN-2026")
    assert imported.exit_code == 0, imported.output
    exam_id = count(url, select(Exam.id).where(Exam.code == "TN-2026"))
    assert count(url, select(func.count(Candidate.id)).where(Candidate.exam_id == exam_id)) == 5
    generated = run("forms", "generate", "TN-2026")
    assert generated.exit_code == 0 and "Stored 20 forms" in generated.output
    report = run("forms", "report", "TN-2026", "-o", str(tmp / "r.pdf"))
    assert report.exit_code == 0, report.output
    assert "Part 1" in report.output and (tmp / "r.pdf").read_bytes().startswith(b"%PDF")
    published = run("exam", "publish", "TN-2026")
    assert published.exit_code == 0, published.output
    codes = run("candidates", "codes", "TN-2026", "-o", str(tmp / "slips.pdf"))
    assert codes.exit_code == 0 and "Issued 5 access codes" in codes.output
    assert (tmp / "slips.pdf").read_bytes().startswith(b"%PDF")
    no_shift = run("exam", "session-codes", "TN-2026", "-o", str(tmp / "codes.pdf"))
    assert no_shift.exit_code == 1
    total = count(
        url, select(func.count(Form.id)).join(Candidate).where(Candidate.exam_id == exam_id)
    )
    assert total == 20


def test_package_from_the_office_to_an_exam_server(cli_env, monkeypatch):
    url, tmp = cli_env
    keys = tmp / "keys"
    assert run("package", "keygen", "--out-dir", str(keys)).exit_code == 0
    assert oct((keys / "council.pem").stat().st_mode)[-3:] == "600"
    assert run("package", "keygen", "--out-dir", str(keys)).exit_code == 1  # never overwritten
    package = tmp / "demo.pkg"
    exported = run(
        "package",
        "export",
        "DEMO-PILOT",
        "-o",
        str(package),
        "--sign-key",
        str(keys / "signing.pem"),
        "--council-key",
        str(keys / "council.pub.pem"),
    )
    assert exported.exit_code == 0, exported.output
    exam_server_url = f"sqlite:///{tmp}/exam-server.sqlite3"
    monkeypatch.setenv("EXAM_DATABASE_URL", exam_server_url)
    assert run("db", "upgrade").exit_code == 0
    tampered = tmp / "tampered.pkg"
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 1
    tampered.write_bytes(bytes(data))
    refused = run(
        "package",
        "import",
        str(tampered),
        "--by",
        "KTV",
        "--council-key",
        str(keys / "council.pem"),
        "--signer",
        str(keys / "signing.pub.pem"),
    )
    assert refused.exit_code == 1
    loaded = run(
        "package",
        "import",
        str(package),
        "--by",
        "Kỹ thuật viên",
        "--record",
        str(tmp / "record.pdf"),
        "--council-key",
        str(keys / "council.pem"),
        "--signer",
        str(keys / "signing.pub.pem"),
    )
    assert loaded.exit_code == 0, loaded.output
    assert "candidates: 20" in loaded.output and "forms: 80" in loaded.output
    assert (tmp / "record.pdf").read_bytes().startswith(b"%PDF")
    assert count(exam_server_url, select(func.count(Candidate.id))) == 20
    assert count(exam_server_url, select(func.count(Form.id))) == 80
