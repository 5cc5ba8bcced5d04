"""examctl through Flask's CLI runner on a fresh SQLite file."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from exam_server import migrate
from exam_server.cli import main
from exam_server.db import make_engine
from exam_server.models import Candidate, Form, Item, User


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("EXAM_DATABASE_URL", url)
    monkeypatch.setenv("EXAM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("EXAM_BCRYPT_ROUNDS_STAFF", "4")
    monkeypatch.setenv("EXAM_BCRYPT_ROUNDS_CANDIDATE", "4")
    monkeypatch.delenv("EXAM_SECRET_KEY", raising=False)
    yield url, tmp_path


def run(*args, input=None):
    from click.testing import CliRunner

    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return result


def test_db_upgrade_and_a_kept_local_secret(cli_env):
    url, tmp_path = cli_env
    result = run("db", "upgrade")
    assert result.exit_code == 0 and migrate.head_revision() in result.output
    secret = (tmp_path / "instance" / "secret_key").read_text()
    run("db", "current")
    assert (tmp_path / "instance" / "secret_key").read_text() == secret  # kept, not regenerated
    assert oct((tmp_path / "instance" / "secret_key").stat().st_mode)[-3:] == "600"


def test_create_user_enforces_role_and_password_policy(cli_env):
    url, _ = cli_env
    run("db", "upgrade")
    assert (
        run("create-user", "chair", "--role", "council_chair", "--password", "short").exit_code == 1
    )
    result = run("create-user", "chair", "--role", "council_chair", "--password", "long-enough-1")
    assert result.exit_code == 0
    assert (
        run("create-user", "x", "--role", "emperor", "--password", "long-enough-1").exit_code == 2
    )
    engine = make_engine(url)
    with engine.connect() as connection:
        assert (
            connection.scalar(select(User.role).where(User.username == "chair")) == "council_chair"
        )
    engine.dispose()


def test_demo_creates_and_refreshes_a_ready_exam(cli_env):
    url, _ = cli_env
    first = run("demo")
    assert first.exit_code == 0, first.output
    codes = re.findall(r"^\s+(TS\d{3})\s+([A-Z0-9]{8})\s", first.output, re.M)
    assert len(codes) == 20
    assert re.search(r"^\s+admin\s+\S+\s+admin$", first.output, re.M)
    second = run("demo")
    assert second.exit_code == 0
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count(Candidate.id))) == 20
        assert connection.scalar(select(func.count(Form.id))) == 20 * 2 * 2  # main + spare per part
        by_subject = connection.execute(
            select(Item.subject_id, func.count(Item.id)).group_by(Item.subject_id)
        ).all()
        assert len(by_subject) == 2 and all(count >= 60 for _, count in by_subject)
    engine.dispose()


def test_forms_generate_reports_an_unknown_exam(cli_env):
    run("db", "upgrade")
    result = run("forms", "generate", "NOPE")
    assert result.exit_code == 1 and "NOPE" in result.output
