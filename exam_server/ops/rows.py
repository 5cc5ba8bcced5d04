"""Rows as plain JSON and back, driven by the column types of the models' metadata.

Archives keep table rows as JSON so that an archivist can read them without this software and
so that the same rows always give the same bytes (the wipe compares digests). Timestamps are
ISO 8601 in UTC, dates ISO, binary columns are kept as separate files named by their SHA-256.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Table, select

from exam_server.db import Base, UTCDateTime

Row = dict[str, Any]
# A primary key value as a tuple (every table has one).
Key = tuple


def metadata() -> sa.MetaData:
    """Return the models' metadata with every table registered."""
    import exam_server.models  # noqa: F401  (registers every table)

    return Base.metadata


def column_kind(column: sa.Column) -> str:
    """How a column's values are written to JSON: utc, datetime, date, blob, decimal, plain."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "utc"
    if isinstance(kind, sa.DateTime):
        return "datetime"
    if isinstance(kind, sa.Date):
        return "date"
    if isinstance(kind, sa.LargeBinary):
        return "blob"
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return "decimal"
    return "plain"


def encode(column: sa.Column, value: Any, blobs: dict[str, bytes]) -> Any:
    """Return the JSON form of one stored value; binary data goes into `blobs`."""
    if value is None:
        return None
    kind = column_kind(column)
    if kind == "utc":
        return value.astimezone(dt.UTC).isoformat()
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "blob":
        digest = hashlib.sha256(value).hexdigest()
        blobs[digest] = bytes(value)
        return {"blob": digest}
    if kind == "decimal":
        return str(value)
    return value


def decode(column: sa.Column, value: Any, blobs: Mapping[str, bytes]) -> Any:
    """Return the value to store for one JSON value written by `encode`."""
    if value is None:
        return None
    kind = column_kind(column)
    if kind in ("utc", "datetime"):
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "blob":
        return blobs[value["blob"]]
    if kind == "decimal":
        return decimal.Decimal(value)
    return value


def key_of(table: Table, row: Mapping[str, Any]) -> Key:
    return tuple(row[column.name] for column in table.primary_key.columns)


def read_rows(connection: Connection, table: Table, where: Any = None) -> list[Row]:
    """Read a table's rows (optionally filtered), ordered by primary key, as dicts."""
    statement = select(table).order_by(*table.primary_key.columns)
    if where is not None:
        statement = statement.where(where)
    return [dict(row._mapping) for row in connection.execute(statement)]


def read_by_keys(
    connection: Connection, table: Table, column: sa.Column, values: Iterable[Any]
) -> list[Row]:
    """Read the rows whose `column` is one of `values`, in chunks (IN lists stay small)."""
    ordered = sorted(set(values), key=repr)
    found: list[Row] = []
    for start in range(0, len(ordered), 500):
        found += read_rows(connection, table, column.in_(ordered[start : start + 500]))
    return found


def table_document(table: Table, rows: Iterable[Row], blobs: dict[str, bytes]) -> bytes:
    """Serialise rows to canonical JSON: the same rows always give the same bytes."""
    columns = [column.name for column in table.columns]
    ordered = sorted(rows, key=lambda row: key_of(table, row))
    encoded = [[encode(table.c[name], row[name], blobs) for name in columns] for row in ordered]
    document = {"table": table.name, "columns": columns, "rows": encoded}
    return canonical_json(document)


def parse_document(table: Table, data: bytes, blobs: Mapping[str, bytes]) -> list[Row]:
    """Read a table document back into rows ready to insert (unknown columns are refused)."""
    document = json.loads(data)
    columns = document["columns"]
    unknown = [name for name in columns if name not in table.c]
    if unknown or document.get("table") != table.name:
        raise ValueError(f"{table.name}: columns not in this schema: {unknown}")
    rows = []
    for values in document["rows"]:
        pairs = zip(columns, values, strict=True)
        rows.append({name: decode(table.c[name], value, blobs) for name, value in pairs})
    return rows


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()
