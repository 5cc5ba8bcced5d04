"""The writes of a batch of answer saves: events, the answers they change, the attempts' heads.

On PostgreSQL everything a batch writes goes to the server as ONE statement (data-modifying
CTEs fed by three JSON documents, so its text never changes and psycopg prepares it once per
connection): a batch is then a read and this write, however many terminals it serves. SQLite
cannot modify data in a CTE; it gets the same writes as separate Core statements (its
writers are serialised anyway).

Each attempt's head moves only from the state the batch read (compare and set), and its
events and answers are written only with it: a batch that read without a lock never
writes over a change made since (another server's save, a submission).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy.dialects import sqlite

from exam_server.delivery.driver import driver_execute
from exam_server.models import Answer, AnswerEvent, Attempt


class Writes:
    """What a batch will write, gathered while its requests are checked.

    `times_as_text`: keep times as ISO 8601 text (with their UTC offset and microseconds,
    which PostgreSQL reads back exactly, so the stored time is the one an event's hash was
    computed over). A request's rows share one time: it is formatted once.
    """

    def __init__(self, times_as_text: bool = False) -> None:
        self.times_as_text = times_as_text
        self._last_time: tuple[dt.datetime | None, Any] = (None, None)
        self.events: list[dict] = []
        # (attempt, position) -> the position's row after this batch's changes
        self.answers: dict[tuple[int, int], dict] = {}
        self.heads: dict[int, dict] = {}

    @classmethod
    def for_connection(cls, connection: Connection) -> Writes:
        """Empty writes in the form `write(connection, …)` sends them."""
        return cls(times_as_text=connection.dialect.name == "postgresql")

    def __bool__(self) -> bool:
        return bool(self.heads)

    def _time(self, at: dt.datetime) -> Any:
        if not self.times_as_text:
            return at
        last, text = self._last_time
        if last is not at:
            text = at.isoformat()
            self._last_time = (at, text)
        return text

    def add_event(self, attempt_id, ordinal, change, value, at, prev_hash, new_hash) -> None:
        self.events.append(
            {
                "attempt_id": attempt_id,
                "ordinal": ordinal,
                "kind": change.kind,
                "client_seq": change.seq,
                "position": change.position,
                "payload": value,
                "at": self._time(at),
                "prev_hash": prev_hash,
                "hash": new_hash,
            }
        )

    def add_answers(self, attempt_id: int, cleaned: list[tuple[Any, Any]], at: dt.datetime) -> None:
        """Fold (change, value) pairs, in sequence order, into one row per position.

        A row says which of its fields changed: a flag alone leaves the answer as it was,
        an answer alone leaves the flag.
        """
        for change, value in cleaned:
            row = self.answers.setdefault(
                (attempt_id, change.position),
                {
                    "attempt_id": attempt_id,
                    "position": change.position,
                    "response": None,
                    "flagged": False,
                    "has_response": False,
                    "has_flag": False,
                },
            )
            row["seq"], row["updated_at"] = change.seq, self._time(at)
            if change.kind == "answer":
                row["response"], row["has_response"] = value, True
            else:
                row["flagged"], row["has_flag"] = value, True

    def move_head(self, read: Any, last_seq, event_count, last_hash, at) -> None:
        """Move the attempt's head, from where `read` (its state as read) found it."""
        self.heads[read.id] = {
            "attempt_id": read.id,
            "read_seq": read.last_seq,
            "read_count": read.event_count,
            "last_seq": last_seq,
            "event_count": event_count,
            "last_hash": last_hash,
            "now": self._time(at),
        }


def write(connection: Connection, writes: Writes) -> set[int]:
    """Write what `writes` holds for each attempt whose head is still where it was read.

    Returns those attempts' ids. An attempt whose head moved (another batch, a submission)
    gets nothing written: no event, no answer.
    """
    if connection.dialect.name == "postgresql":
        return _write_postgresql(connection, writes)
    return _write_portable(connection, writes)


_POSTGRESQL_SAVE = """
WITH heads AS (
    SELECT * FROM json_to_recordset(%(heads)s::json) AS h(
        attempt_id int, read_seq int, read_count int, last_seq int, event_count int,
        last_hash text, now timestamptz)
), moved AS (
    UPDATE attempts AS t
    SET last_seq = h.last_seq, event_count = h.event_count, last_hash = h.last_hash,
        last_contact_at = h.now
    FROM heads AS h
    WHERE t.id = h.attempt_id AND t.last_seq = h.read_seq AND t.event_count = h.read_count
      AND t.state = 'in_progress'
    RETURNING t.id
), changed AS (
    SELECT * FROM json_to_recordset(%(answers)s::json) AS r(
        attempt_id int, position int, seq int, response json, flagged bool,
        has_response bool, has_flag bool, updated_at timestamptz)
    WHERE r.attempt_id IN (SELECT id FROM moved)
), new_events AS (
    INSERT INTO answer_events
        (attempt_id, ordinal, kind, client_seq, position, payload, at, prev_hash, hash)
    SELECT attempt_id, ordinal, kind, client_seq, position, payload, at, prev_hash, hash
    FROM json_to_recordset(%(events)s::json) AS e(
        attempt_id int, ordinal int, kind text, client_seq int, position int, payload json,
        at timestamptz, prev_hash text, hash text)
    WHERE e.attempt_id IN (SELECT id FROM moved)
), new_answers AS (
    INSERT INTO answers AS a (attempt_id, position, response, flagged, seq, updated_at)
    SELECT attempt_id, position, response, flagged, seq, updated_at FROM changed
    ON CONFLICT (attempt_id, position) DO UPDATE SET
        response = CASE WHEN (SELECT has_response FROM changed c
                              WHERE c.attempt_id = a.attempt_id AND c.position = a.position)
                        THEN excluded.response ELSE a.response END,
        flagged = CASE WHEN (SELECT has_flag FROM changed c
                             WHERE c.attempt_id = a.attempt_id AND c.position = a.position)
                       THEN excluded.flagged ELSE a.flagged END,
        seq = excluded.seq,
        updated_at = excluded.updated_at
)
SELECT id FROM moved
"""


_JSON = json.JSONEncoder(separators=(",", ":")).encode


def _json(rows) -> str:
    return _JSON(list(rows))  # the times are text already (Writes(times_as_text=True))


def _write_postgresql(connection: Connection, writes: Writes) -> set[int]:
    cursor = driver_execute(
        connection,
        _POSTGRESQL_SAVE,
        {
            "events": _json(writes.events),
            "answers": _json(writes.answers.values()),
            "heads": _json(writes.heads.values()),
        },
    )
    return {row[0] for row in cursor.fetchall()}


INSERT_EVENTS = insert(AnswerEvent.__table__)

_answers = Answer.__table__
_upsert = sqlite.insert(_answers)
# SQLite's excluded row cannot say which fields changed: answers and flags are written by
# two statements, each leaving the other field as it was.


def _upsert_setting(field: str):
    """INSERT … ON CONFLICT that changes `field` (and the row's seq and time) only."""
    return _upsert.on_conflict_do_update(
        index_elements=[_answers.c.attempt_id, _answers.c.position],
        set_={
            field: _upsert.excluded[field],
            "seq": _upsert.excluded.seq,
            "updated_at": _upsert.excluded.updated_at,
        },
    )


UPSERT_RESPONSE = _upsert_setting("response")
UPSERT_FLAG = _upsert_setting("flagged")

_attempts = Attempt.__table__
MOVE_HEAD = (
    update(_attempts)
    .where(
        _attempts.c.id == bindparam("attempt_id"),
        _attempts.c.last_seq == bindparam("read_seq"),
        _attempts.c.event_count == bindparam("read_count"),
        _attempts.c.state == "in_progress",
    )
    .values(
        last_seq=bindparam("last_seq"),
        event_count=bindparam("event_count"),
        last_hash=bindparam("last_hash"),
        last_contact_at=bindparam("now"),
    )
)


def _write_portable(connection: Connection, writes: Writes) -> set[int]:
    moved = {
        attempt_id
        for attempt_id, head in writes.heads.items()
        if connection.execute(MOVE_HEAD, head).rowcount == 1
    }
    events = [event for event in writes.events if event["attempt_id"] in moved]
    if events:
        connection.execute(INSERT_EVENTS, events)
    for row in writes.answers.values():
        if row["attempt_id"] not in moved:
            continue
        values = {key: row[key] for key in ("attempt_id", "position", "response", "flagged")}
        values.update(seq=row["seq"], updated_at=row["updated_at"])
        if row["has_response"]:
            connection.execute(UPSERT_RESPONSE, values)
        if row["has_flag"]:
            connection.execute(UPSERT_FLAG, values)
    return moved
