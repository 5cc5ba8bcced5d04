"""Database binding: engine, per-request session, naming convention, UTC timestamps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Store timezone-aware UTC; SQLite keeps naive UTC, PostgreSQL timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """Return the current time as timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, pool_size: int = 16) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and serialised writers.

    `pool_size` connections stay open: with fewer than a worker's threads, every busy
    moment opens and closes PostgreSQL connections (a server process each), which cost
    more than the saves themselves.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip on every request. A connection broken by a database
    # restart fails one request, the pool is invalidated, and the terminal simply retries.
    return create_engine(url, pool_size=pool_size, max_overflow=8, pool_recycle=3600)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two workers never deadlock
        # upgrading read locks (SQLite would fail one of them with "database is locked").
        connection.exec_driver_sql("BEGIN IMMEDIATE")


SAVE_POOL_SIZE = 2  # autocommit connections kept per worker for answer-save batches


def make_autocommit_engine(url: str) -> Engine | None:
    """PostgreSQL: an engine whose every statement commits itself, for answer-save batches.

    A pool of its own, set to autocommit once per connection: switching a shared pool's
    connections to autocommit and back on every checkout costs more than a save's work.
    A worker runs one batch at a time, so two connections are plenty.
    """
    if url.startswith("sqlite"):
        return None
    return create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_size=SAVE_POOL_SIZE,
        max_overflow=8,
        pool_recycle=3600,
    )


@dataclass
class Database:
    engine: Engine
    session_factory: sessionmaker
    autocommit_engine: Engine | None = None  # see make_autocommit_engine

    def dispose(self, close: bool = True) -> None:
        """Drop pooled connections (before a fork: `close=False` in the child)."""
        self.engine.dispose(close=close)
        if self.autocommit_engine is not None:
            self.autocommit_engine.dispose(close=close)


def init_app(app: Flask) -> None:
    """Bind an engine and a session factory to the app; sessions close at teardown."""
    engine = make_engine(app.config["DATABASE_URL"], app.config["DB_POOL_SIZE"])
    app.extensions["exam_db"] = Database(
        engine,
        sessionmaker(bind=engine, expire_on_commit=False),
        make_autocommit_engine(app.config["DATABASE_URL"]),
    )
    app.teardown_appcontext(_close_session)


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["exam_db"]


def get_session() -> Session:
    """Return the request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = database().session_factory()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
