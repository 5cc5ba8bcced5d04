"""Which rows belong to an exam, found from the schema's foreign keys rather than a fixed list.

A table belongs to the exams when one of its foreign keys points at a table that does, starting
from `exams`: parts, shifts, candidates, forms, attempts, answers, events, room sessions, the
room records and the council's records all hang from it. A row belongs to one exam when one
of those foreign keys points at one of that exam's rows. Tables added later by any package are
covered the same way, so the archive and the wipe never miss them.

The audit log has no foreign keys: its entries belong to the exam when their target (or their
candidate actor) is one of the exam's rows. Rows of other tables that the exam's rows point at
(staff accounts, rooms, subjects, topics, items and the item versions used, i.e. the keys)
are the exam's references: archived with it so that it can be restored, never wiped with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, select

from exam_server.ops.rows import Row, key_of, metadata, read_by_keys

EXAMS = "exams"
SUBJECTS = "subjects"
AUDIT = "audit_log"
# Rows that travel with a referenced row although they point at it rather than the reverse:
# the media an item version shows (needed to print or re-display the exam's questions).
COMPANIONS = {"item_versions": (("item_version_media", "item_version_id"),)}


def descendant_tables(root: str) -> list[Table]:
    """Return the tables with a foreign-key path to `root` (root first, parents first)."""
    names = {root}
    tables = metadata().sorted_tables
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table.name in names:
                continue
            if any(fk.column.table.name in names for fk in table.foreign_keys):
                names.add(table.name)
                changed = True
    return [table for table in tables if table.name in names]


def collect_descendants(
    connection: Connection, root: str, root_ids: set[Any]
) -> dict[str, list[Row]]:
    """Return, per descendant table of `root`, the rows hanging from the given root rows."""
    tables = descendant_tables(root)
    by_table = {table.name: table for table in tables}
    found: dict[str, dict[tuple, Row]] = {}
    root_table = by_table[root]
    root_key = root_table.primary_key.columns[0]
    found[root] = {
        key_of(root_table, r): r for r in read_by_keys(connection, root_table, root_key, root_ids)
    }
    for table in tables[1:]:
        rows: dict[tuple, Row] = {}
        pending = [fk for fk in table.foreign_keys if fk.column.table.name in found]
        self_keys = [fk for fk in table.foreign_keys if fk.column.table is table]
        for fk in pending:
            values = _values(found[fk.column.table.name].values(), fk.column.name)
            if values:
                for row in read_by_keys(connection, table, fk.parent, values):
                    rows[key_of(table, row)] = row
        # A self-reference (a tree inside an exam's table) is followed until nothing is added.
        while self_keys:
            added = False
            for fk in self_keys:
                values = _values(rows.values(), fk.column.name)
                for row in read_by_keys(connection, table, fk.parent, values) if values else []:
                    if key_of(table, row) not in rows:
                        rows[key_of(table, row)] = row
                        added = True
            if not added:
                break
        found[table.name] = rows
    return {name: list(rows.values()) for name, rows in found.items()}


def _values(rows, column: str) -> set[Any]:
    return {row[column] for row in rows if row[column] is not None}


def _aliases(names: list[str]) -> dict[str, str]:
    """Map audit target types ("attempt", "room_session", "exam") to table names."""
    aliases: dict[str, str] = {}
    for name in names:
        aliases[name] = name
        singular = name[:-1] if name.endswith("s") else name
        aliases.setdefault(singular, name)
    return aliases


def audit_rows(connection: Connection, owned: dict[str, list[Row]]) -> list[Row]:
    """Return the audit entries whose target, or whose candidate actor, is one of the rows."""
    table = metadata().tables[AUDIT]
    ids = {
        alias: _values(owned[name], "id")
        for alias, name in _aliases(sorted(owned)).items()
        if "id" in metadata().tables[name].c
    }
    kinds = sorted(alias for alias, found in ids.items() if found)
    if not kinds:
        return []
    # One pass over the entries about these kinds of rows (far fewer than the exam's events).
    candidates = connection.execute(
        select(table)
        .where(table.c.target_type.in_(kinds) | table.c.actor_kind.in_(kinds))
        .order_by(table.c.id)
    )
    found = []
    for row in candidates:
        entry = dict(row._mapping)
        if entry["target_id"] in ids.get(entry["target_type"], ()) or entry["actor_id"] in ids.get(
            entry["actor_kind"], ()
        ):
            found.append(entry)
    return found


def reference_rows(connection: Connection, included: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """Return the rows of other tables that the included rows point at, transitively."""
    tables = metadata().tables
    have: dict[str, dict[tuple, Row]] = {
        name: {key_of(tables[name], r): r for r in rows} for name, rows in included.items()
    }
    references: dict[str, dict[tuple, Row]] = defaultdict(dict)
    queue = list(included)
    while queue:
        name = queue.pop()
        table = tables[name]
        rows = list(have.get(name, {}).values()) + list(references.get(name, {}).values())
        for fk in table.foreign_keys:
            target = fk.column.table
            if target.name in included:
                continue
            known = {r[fk.column.name] for r in references[target.name].values()}
            values = _values(rows, fk.parent.name) - known
            if not values:
                continue
            for row in read_by_keys(connection, target, target.c[fk.column.name], values):
                references[target.name][key_of(target, row)] = row
            queue.append(target.name)
        for companion, column in COMPANIONS.get(name, ()):
            ids = _values(rows, "id")
            companion_table = tables[companion]
            new = {
                key_of(companion_table, row): row
                for row in read_by_keys(connection, companion_table, companion_table.c[column], ids)
            }
            if set(new) - set(references[companion]):
                references[companion].update(new)
                queue.append(companion)
    return {name: list(rows.values()) for name, rows in references.items() if rows}


@dataclass
class ExamScope:
    """Everything of one exam: its own rows, its audit entries and the rows it refers to."""

    exam_id: int
    owned: dict[str, list[Row]] = field(default_factory=dict)
    audit: list[Row] = field(default_factory=list)
    references: dict[str, list[Row]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        counts = {name: len(rows) for name, rows in self.owned.items()}
        counts[AUDIT] = len(self.audit)
        return counts


def exam_scope(connection: Connection, exam_id: int, *, references: bool = True) -> ExamScope:
    """Collect every row of one exam (read inside the caller's transaction)."""
    owned = collect_descendants(connection, EXAMS, {exam_id})
    scope = ExamScope(exam_id, owned, audit_rows(connection, owned))
    if references:
        scope.references = reference_rows(connection, owned)
    return scope


def exam_tables() -> list[Table]:
    """The tables whose rows belong to exams (parents first)."""
    return descendant_tables(EXAMS)
