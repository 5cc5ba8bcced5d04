"""Write generated forms to the database in bulk, inside the caller's transaction.

An exam day's forms are over a million form_items rows (10,000 forms of 120 items). Row by row,
most of the time goes to three things (measured on the benchmark's machine):

* PostgreSQL's foreign-key checks: each inserted row's `form_id` and `item_version_id` is
  looked up by a query of its own, about 10 µs a row for the two, more than the whole budget.
  (SQLite's checks are cheap lookups and stay as they are.)
* The plain index on `item_version_id`: its entries arrive in random order, about 3 µs a row
  on PostgreSQL and 2.5 µs on SQLite, where building it afresh afterwards costs under 1 µs a
  row of the table.
* Waiting: batch by batch, Python and the PostgreSQL server take turns instead of working at
  the same time.

So a large generation takes those off `form_items` at its start (the foreign keys on
PostgreSQL; the plain indexes while the table is small next to what is added) and puts them
back, exactly as they were defined, at its end. Adding a foreign key checks every row of the
table in one join, so no row escapes the check, and the schema after the commit is the schema
before it. It is all one transaction: if anything fails, the rollback restores the definitions
with everything else. With the foreign keys off, every form's items go into one COPY stream as
the form is drawn (its id was reserved from the sequence beforehand) and the form rows follow,
so the server stores items while Python draws the next forms.

The price, on PostgreSQL: from the ALTER TABLE to the commit, the transaction holds
`form_items`, `forms` and `item_versions` exclusively, so other sessions that read them wait
for the commit (seconds). The generation therefore waits only briefly for those locks and, if
another session holds them, keeps the row-by-row path. Small generations, or a table already
much larger than what is added (the final checks read the whole table), keep it too. SQLite
has one writer at a time anyway, and its readers keep seeing the committed schema.

Otherwise (and always on SQLite) forms are stored a batch at a time: the form rows, then their
items.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import operator
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from exam_server.models import Form, FormItem

log = logging.getLogger(__name__)

# Forms are written in batches so memory stays flat however many candidates there are.
BATCH_FORMS = 400
FORM_ITEM_COLUMNS = ("form_id", "position", "item_version_id", "option_order", "points")
# Taking things off pays from about this many new rows (row by row, PostgreSQL's key checks
# alone would take half a second).
BULK_MIN_ROWS = 50_000
# The foreign keys come off while the table holds at most this many times the new rows: their
# final check reads all of them, at about 0.3 µs a row for the two keys.
FOREIGN_KEY_TABLE_RATIO = 20
# A plain index is rebuilt while the table holds at most this many times the new rows:
# rebuilding reads the whole table, under 1 µs a row, against about 3 µs per new row kept up to
# date.
INDEX_REBUILD_TABLE_RATIO = 3
# PostgreSQL: how long to wait for the exclusive locks before keeping the row-by-row path.
# Other sessions' requests queue behind a waiting ALTER TABLE, so the wait stays short.
BULK_LOCK_WAIT = "1s"
# Rows sent to the COPY stream at a time.
COPY_CHUNK_ROWS = 8192
SQLITE_BULK_CACHE_KIB = -65536  # negative: KiB, i.e. 64 MiB


class DrawnForm(Protocol):
    """What the store needs of an accepted form (forms.Chosen)."""

    candidate_id: int
    kind: str
    seed: int
    pool_index: int | None
    items: Sequence  # DrawnItem: (version_id, option_order, points)
    excluded: frozenset[int]


class FormStore:
    """Store the forms of one generation; use as a context manager inside a savepoint.

    On leaving without an error, what was taken off form_items is put back (adding the foreign
    keys checks them). On an error nothing is put back: the caller's savepoint or transaction
    rolls back, and that restores the definitions.
    """

    def __init__(self, session: Session, now: dt.datetime):
        self.session = session
        self.now = now
        self.postgres = session.connection().dialect.name == "postgresql"
        self._lines = _CopyLines()
        self._prepared = False
        # (name as SQL, definition) of the foreign keys and plain indexes taken off form_items
        self.keys_off: list[tuple[str, str]] = []
        self.indexes_off: list[tuple[str, str]] = []

    def __enter__(self) -> FormStore:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self._put_back()

    def store(
        self,
        part_id: int,
        digest: str,
        chosen: Iterable[DrawnForm],
        count: int,
        items_per_form: int,
    ) -> int:
        """Store `count` forms of one part as `chosen` yields them; return how many."""
        if count <= 0:
            return 0
        self._take_off(count * items_per_form)
        if self.keys_off:
            return self._stream(part_id, digest, chosen, count)
        made = 0
        chosen = iter(chosen)
        while batch := list(itertools.islice(chosen, BATCH_FORMS)):
            self._store_batch(part_id, digest, batch)
            made += len(batch)
        return made

    # --- forms and items, a batch at a time (foreign keys checked row by row) --------------

    def _store_batch(self, part_id: int, digest: str, batch: Sequence[DrawnForm]) -> None:
        ids = self.session.scalars(
            insert(Form.__table__).returning(Form.id, sort_by_parameter_order=True),
            [self._form_row(part_id, digest, c) for c in batch],
        ).all()
        if self.postgres:
            _copy_lines(self.session, self._lines.of_forms(zip(ids, batch, strict=True)))
        else:
            _sqlite_insert(self.session, _rows_of(zip(ids, batch, strict=True)))

    def _form_row(self, part_id: int, digest: str, c: DrawnForm) -> dict:
        return {
            "candidate_id": c.candidate_id,
            "part_id": part_id,
            "kind": c.kind,
            "seed": c.seed,
            "pool_index": c.pool_index,
            "pool_hash": digest,
            "excluded_ids": sorted(c.excluded),
            "generated_at": self.now,
        }

    # --- PostgreSQL, foreign keys off: one COPY stream per part ----------------------------

    def _stream(self, part_id: int, digest: str, chosen: Iterable[DrawnForm], count: int) -> int:
        chosen = iter(chosen)
        # The chooser may still read the database before its first form: let it, before the
        # connection is busy with the COPY.
        first = next(chosen, None)
        if first is None:
            return 0
        # Ids from the forms' own sequence, as the rows' default would take them.
        reserved = iter(
            self.session.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) AS id"
                    " FROM generate_series(1, :count) ORDER BY id"
                ),
                {"table": Form.__table__.name, "count": count},
            ).scalars()
        )
        form_rows = []
        columns = ", ".join(FORM_ITEM_COLUMNS)
        with (
            self.session.connection().connection.cursor() as cursor,
            cursor.copy(f"COPY form_items ({columns}) FROM STDIN") as copy,
        ):
            lines: list[str] = []
            for c in itertools.chain((first,), chosen):
                form_id = next(reserved, None)
                if form_id is None:
                    raise RuntimeError("more forms were drawn than announced")
                form_rows.append({"id": form_id, **self._form_row(part_id, digest, c)})
                self._lines.add(lines, form_id, c.items)
                if len(lines) >= COPY_CHUNK_ROWS:
                    copy.write("".join(lines))
                    lines.clear()
            if lines:
                copy.write("".join(lines))
        # The items' form ids exist once these rows are in; the final check confirms it.
        self.session.execute(insert(Form.__table__), form_rows)
        return len(form_rows)

    # --- taking foreign keys and plain indexes off, and putting them back -----------------

    def _take_off(self, new_rows: int) -> None:
        """Once per generation, at the first part large enough (see the module's notes)."""
        if self._prepared or new_rows < BULK_MIN_ROWS:
            return
        self._prepared = True
        existing = self._table_rows()
        keys = []
        if self.postgres and existing <= FOREIGN_KEY_TABLE_RATIO * new_rows:
            keys = self._foreign_keys()
        indexes = []
        # On PostgreSQL only with the keys off: the exclusive lock is then taken anyway.
        if (keys or not self.postgres) and existing <= INDEX_REBUILD_TABLE_RATIO * new_rows:
            indexes = self._plain_indexes()
        if not keys and not indexes:
            return
        table = FormItem.__table__.name
        try:
            with self.session.begin_nested():
                if self.postgres:
                    previous = self.session.execute(text("SHOW lock_timeout")).scalar_one()
                    self._set_lock_timeout(BULK_LOCK_WAIT)
                if keys:
                    self.session.execute(
                        text(
                            f"ALTER TABLE {table} "
                            + ", ".join(f"DROP CONSTRAINT {name}" for name, _ in keys)
                        )
                    )
                for name, _ in indexes:
                    self.session.execute(text(f"DROP INDEX {name}"))
                if self.postgres:
                    self._set_lock_timeout(previous)
        except DBAPIError as exc:  # locked by another session, or not the table's owner
            log.info(
                "form_items: keys and indexes stay, rows are checked row by row (%s)", exc.orig
            )
            return
        self.keys_off, self.indexes_off = keys, indexes

    def _put_back(self) -> None:
        """Rebuild the indexes, then add the keys back, which checks every row of the table."""
        for _name, definition in self.indexes_off:
            self.session.execute(text(definition))
        if self.keys_off:
            self.session.execute(
                text(
                    f"ALTER TABLE {FormItem.__table__.name} "
                    + ", ".join(f"ADD CONSTRAINT {name} {sql}" for name, sql in self.keys_off)
                )
            )
        self.keys_off, self.indexes_off = [], []

    def _set_lock_timeout(self, value: str) -> None:
        self.session.execute(
            text("SELECT set_config('lock_timeout', :value, true)"), {"value": value}
        )

    def _table_rows(self) -> float:
        """About how many rows form_items holds (an estimate is enough to choose a path)."""
        if self.postgres:
            return self.session.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
                {"table": FormItem.__table__.name},
            ).scalar_one()
        # SQLite: the largest id, as cheap as an index lookup
        return self.session.execute(
            text("SELECT coalesce(max(id), 0) FROM form_items")
        ).scalar_one()

    def _foreign_keys(self) -> list[tuple[str, str]]:
        rows = self.session.execute(
            text(
                "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(:table AS regclass) AND contype = 'f' ORDER BY conname"
            ),
            {"table": FormItem.__table__.name},
        )
        return [(name, definition) for name, definition in rows]

    def _plain_indexes(self) -> list[tuple[str, str]]:
        """Indexes that enforce nothing: unique ones and those of constraints stay."""
        if self.postgres:
            sql = (
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),"
                " pg_get_indexdef(i.indexrelid)"
                " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE i.indrelid = CAST(:table AS regclass)"
                " AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint k"
                " WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)"
                " ORDER BY 1"
            )
        else:  # origin 'c': made by CREATE INDEX (not by a UNIQUE or PRIMARY KEY clause)
            sql = (
                "SELECT '\"' || replace(l.name, '\"', '\"\"') || '\"', m.sql"
                " FROM pragma_index_list(:table) AS l"
                " JOIN sqlite_master AS m ON m.type = 'index' AND m.name = l.name"
                " WHERE l.origin = 'c' AND NOT l.\"unique\" ORDER BY 1"
            )
        rows = self.session.execute(text(sql), {"table": FormItem.__table__.name})
        return [(name, definition) for name, definition in rows]


# --- encoding rows -----------------------------------------------------------------------------

VERSION_OF, ORDER_OF, POINTS_OF = (operator.itemgetter(i) for i in range(3))  # DrawnItem fields


class _OrderJson(dict):
    """Option order → its JSON text, computed on first use (orders repeat: each once)."""

    def __missing__(self, order: tuple[str, ...]) -> str:
        value = self[order] = json.dumps(list(order))
        return value


def _rows_of(forms: Iterable[tuple[int, DrawnForm]]) -> list[tuple]:
    """(form_id, position, version_id, option order as JSON, points) rows, built in C."""
    orders = _OrderJson()
    rows: list[tuple] = []
    for form_id, c in forms:
        items = c.items
        rows.extend(
            zip(
                itertools.repeat(form_id, len(items)),
                range(1, len(items) + 1),
                map(VERSION_OF, items),
                map(orders.__getitem__, map(ORDER_OF, items)),
                map(POINTS_OF, items),
                strict=True,
            )
        )
    return rows


class _Text(dict):
    """A value → its text in a COPY line, computed on first use (values repeat)."""

    def __init__(self, render):
        super().__init__()
        self._render = render

    def __missing__(self, value) -> str:
        rendered = self[value] = self._render(value)
        return rendered


class _CopyLines:
    """Lines of COPY's text format for form items (tab-separated, backslashes escaped)."""

    def __init__(self) -> None:
        # option order → "\t<order as JSON>\t"; points → "<points>\n"
        self._orders = _Text(lambda order: "\t" + _escape(json.dumps(list(order))) + "\t")
        self._points = _Text(lambda points: f"{points!r}\n")
        self._positions = [f"\t{n}\t" for n in range(0, 256)]

    def add(self, lines: list[str], form_id: int, items: Sequence) -> None:
        prefix = str(form_id)
        positions = self._positions
        if len(items) >= len(positions):
            positions.extend(f"\t{n}\t" for n in range(len(positions), len(items) + 1))
        orders, points_text = self._orders, self._points
        lines.extend(
            [
                f"{prefix}{positions[position]}{version_id}{orders[order]}{points_text[points]}"
                for position, (version_id, order, points) in enumerate(items, 1)
            ]
        )

    def of_forms(self, forms: Iterable[tuple[int, DrawnForm]]) -> list[str]:
        lines: list[str] = []
        for form_id, c in forms:
            self.add(lines, form_id, c.items)
        return lines

    def of_rows(self, rows: Iterable[tuple]) -> list[str]:
        """Lines for ready rows whose option order is already JSON text."""
        escaped: dict[str, str] = {}
        lines = []
        for form_id, position, version_id, order, points in rows:
            order_text = escaped.get(order)
            if order_text is None:
                order_text = escaped[order] = _escape(order)
            lines.append(f"{form_id}\t{position}\t{version_id}\t{order_text}\t{points!r}\n")
        return lines


def _escape(value: str) -> str:
    """COPY text format: a backslash starts an escape; JSON text has no tab or newline."""
    return value.replace("\\", "\\\\")


def _copy_lines(session: Session, lines: list[str]) -> None:
    if not lines:
        return
    columns = ", ".join(FORM_ITEM_COLUMNS)
    with (
        session.connection().connection.cursor() as cursor,
        cursor.copy(f"COPY form_items ({columns}) FROM STDIN") as copy,
    ):
        for start in range(0, len(lines), COPY_CHUNK_ROWS):
            copy.write("".join(lines[start : start + COPY_CHUNK_ROWS]))


def _sqlite_insert(session: Session, rows: list[tuple]) -> None:
    if not rows:
        return
    connection = session.connection()
    columns = ", ".join(FORM_ITEM_COLUMNS)
    marks = ", ".join(
        "?" if connection.dialect.paramstyle == "qmark" else "%s" for _ in FORM_ITEM_COLUMNS
    )
    cursor = connection.connection.cursor()
    try:
        # A larger page cache while the rows go in keeps the item-version index in memory.
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {SQLITE_BULK_CACHE_KIB}")
        cursor.executemany(f"INSERT INTO form_items ({columns}) VALUES ({marks})", rows)
        cursor.execute(f"PRAGMA cache_size = {int(previous)}")
    finally:
        cursor.close()


def write_form_items(session: Session, rows: list[tuple]) -> None:
    """Insert ready form-item rows through the driver: COPY on PostgreSQL, executemany on SQLite.

    Rows are (form_id, position, item_version_id, option order as JSON text, points); this
    skips the per-row work of the ORM and of SQLAlchemy's type processing. The foreign keys
    are checked row by row (see FormStore for the bulk path of a generation).
    """
    if not rows:
        return
    if session.connection().dialect.name == "postgresql":
        _copy_lines(session, _CopyLines().of_rows(rows))
    else:
        _sqlite_insert(session, rows)
