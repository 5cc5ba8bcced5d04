"""Statements of the save path run on the database driver's own cursor (PostgreSQL)."""

from __future__ import annotations

from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection


def driver_execute(connection: Connection, sql: str, params: dict) -> Any:
    """Run `sql` on the driver's own cursor, inside the connection's transaction (PostgreSQL).

    The statements of a save batch skip SQLAlchemy's execution layer (contexts, result
    metadata), a good part of what a save costs besides HTTP. Listeners of the engine's
    before_cursor_execute event (statement counts in the tests) still see them.
    """
    cursor = connection.connection.driver_connection.cursor(row_factory=namedtuple_row)
    if connection._has_events or connection.engine._has_events:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, params, None, False)
    cursor.execute(sql, params)
    return cursor
