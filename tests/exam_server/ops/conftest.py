"""Real, committed databases for backup, archive and wipe (a rolled-back test transaction
cannot be backed up): SQLite files, or databases of their own beside the PostgreSQL test one."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from exam_server import db as db_module
from exam_server import migrate
from exam_server.cli import main
from exam_server.db import make_engine

TEST_DATABASE_URL = os.environ.get("EXAM_TEST_DATABASE_URL")
NOW = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


class Databases:
    """Makes empty databases (migrated unless told not to) and drops them afterwards."""

    def __init__(self, folder):
        self.folder = folder
        self.made: list[str] = []

    def __call__(self, name: str, *, migrated: bool = True) -> str:
        if TEST_DATABASE_URL:
            base = make_url(TEST_DATABASE_URL)
            database = f"{base.database}_ops_{name}"
            _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            _admin(f"CREATE DATABASE {database}")
            url = base.set(database=database).render_as_string(hide_password=False)
            self.made.append(database)
        else:
            url = f"sqlite:///{self.folder}/{name}.sqlite3"
        if migrated:
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
        return url

    def drop(self) -> None:
        for database in self.made:
            _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture
def new_database(tmp_path) -> Callable[..., str]:
    databases = Databases(tmp_path)
    yield databases
    databases.drop()


@pytest.fixture(scope="module")
def module_database(tmp_path_factory) -> Callable[..., str]:
    databases = Databases(tmp_path_factory.mktemp("ops"))
    yield databases
    databases.drop()


def _admin(statement: str) -> None:
    engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.fixture
def session_on():
    """Return a function opening a session on a database URL (closed at the end)."""
    opened = []

    def open_session(url: str) -> Session:
        engine = make_engine(url)
        session = Session(engine, expire_on_commit=False)
        opened.append((engine, session))
        return session

    yield open_session
    for engine, session in opened:
        session.close()
        engine.dispose()


@pytest.fixture
def examctl(tmp_path, monkeypatch):
    """Run examctl in-process against the database URL given."""
    monkeypatch.setenv("EXAM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("EXAM_BCRYPT_ROUNDS_STAFF", "4")
    monkeypatch.setenv("EXAM_BCRYPT_ROUNDS_CANDIDATE", "4")
    monkeypatch.delenv("EXAM_SECRET_KEY", raising=False)
    engines = []

    def tracked_engine(url: str, *args, **kwargs):
        engine = make_engine(url, *args, **kwargs)
        engines.append(engine)
        return engine

    # Each command builds an app with its own engine: close its connections after the
    # command, as the process exit would (PostgreSQL test databases are dropped later).
    monkeypatch.setattr(db_module, "make_engine", tracked_engine)

    def run(url: str, *args: str, input: str | None = None):
        monkeypatch.setenv("EXAM_DATABASE_URL", url)
        try:
            return CliRunner().invoke(main, [str(a) for a in args], input=input)
        finally:
            while engines:
                engines.pop().dispose()

    return run
