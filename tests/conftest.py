"""Shared fixtures: one migrated database per run, one rolled-back transaction per test.

The suite runs on SQLite by default and on PostgreSQL when EXAM_TEST_DATABASE_URL is set.
Under CI=true a skipped test fails the run: a skip there would hide an untested database.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from exam_server import migrate
from exam_server.app import create_app
from exam_server.db import Database, make_engine

TEST_DATABASE_URL = os.environ.get("EXAM_TEST_DATABASE_URL")
SECRET = "test-secret-key-not-for-production"


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; a skip counts as a failure here.", red=True
        )
        session.exitstatus = 1


def reset_database(url: str) -> None:
    """Drop everything in the test database (PostgreSQL) so migrations start from zero."""
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db')}/test.sqlite3"


@pytest.fixture(scope="session")
def engine(database_url):
    reset_database(database_url)
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@dataclass
class FakeClock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now = self.now + dt.timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC))


def make_config(database_url: str, **extra) -> dict:
    return {
        "ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "BCRYPT_ROUNDS_STAFF": 4,
        "BCRYPT_ROUNDS_CANDIDATE": 4,
        **extra,
    }


@pytest.fixture
def connection(engine):
    """One outer transaction per test, rolled back at the end (savepoints inside)."""
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def app(connection, database_url, clock, tmp_path):
    app = create_app(make_config(database_url), instance_path=str(tmp_path / "instance"))
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    app.extensions["exam_db"] = Database(connection.engine, factory)
    app.extensions["exam_clock"] = clock
    return app


@pytest.fixture
def db(app):
    """A session on the test's transaction, for arranging data and checking results."""
    session = app.extensions["exam_db"].session_factory()
    yield session
    session.close()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)
