"""Deleting an exam from the exam server, only once a verified archive holds all of it.

The rules: after the test, the exam data is exported and then every piece of it is deleted
from the server. The wipe therefore refuses unless the archive given is signed by the trusted
key, belongs to this exam, and holds exactly the exam's rows as they are now (a digest of
every table is compared), so nothing written after the archive was made can be lost.

With `bank`, the question-bank content the exam drew from (its parts' subjects: topics, items,
every version, their media) goes too, for an exam server whose bank was loaded from the sealed
package; this is refused while another exam on the server still uses one of those subjects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Exam
from exam_server.ops.archive import EXAM_DIR, ArchiveCheck, exam_files
from exam_server.ops.errors import OpsError
from exam_server.ops.rows import Row, metadata, read_by_keys
from exam_server.ops.scope import (
    AUDIT,
    SUBJECTS,
    collect_descendants,
    descendant_tables,
    exam_scope,
    exam_tables,
)

MEDIA = "media_files"
MEDIA_LINKS = "item_version_media"


@dataclass
class WipeReport:
    exam_code: str
    deleted: dict[str, int] = field(default_factory=dict)
    bank_deleted: dict[str, int] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)


def wipe_exam(
    session: Session,
    exam: Exam,
    check: ArchiveCheck,
    *,
    now: dt.datetime,
    bank: bool,
    archive_sha256: str,
) -> WipeReport:
    """Delete every row of the exam (and with `bank` its bank content); the caller commits."""
    connection = session.connection()
    _matches_exam(check, exam)
    _hold_writers(connection, bank)
    scope = exam_scope(connection, exam.id, references=False)
    open_attempts = [
        a["id"] for a in scope.owned.get("attempts", []) if a["state"] == "in_progress"
    ]
    if open_attempts:
        raise OpsError(
            f"{len(open_attempts)} attempts of {exam.code} are still in progress:"
            " close the rooms (or run examctl finalise-due) and archive again"
        )
    _same_as_archive(scope, check)
    report = WipeReport(exam.code)
    subject_ids = {part["subject_id"] for part in scope.owned.get("exam_parts", [])}
    report.deleted = delete_scope(connection, scope)
    if bank:
        report.bank_deleted = _wipe_bank(connection, subject_ids)
    after = exam_scope(connection, exam.id, references=False).counts()
    report.remaining = {name: count for name, count in after.items() if count}
    if report.remaining:
        raise OpsError(f"rows of {exam.code} remain after the wipe: {report.remaining}")
    session.expunge_all()  # the ORM must not flush stale objects of deleted rows
    audit.record(
        session,
        at=now,
        actor_kind="system",
        actor_id=None,
        action="exam_wiped",
        details={
            "exam_code": exam.code,
            "archive_sha256": archive_sha256,
            "rows": sum(report.deleted.values()),
            "bank_rows": sum(report.bank_deleted.values()),
        },
    )
    return report


def _hold_writers(connection: Connection, bank: bool) -> None:
    """Keep every writer off the exam's tables until the wipe commits (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already holds the only write lock), so no row slips in between the
    comparison with the archive and the deletion."""
    if connection.dialect.name != "postgresql":
        return
    names = [table.name for table in exam_tables()] + [AUDIT]
    if bank:
        names += [table.name for table in descendant_tables(SUBJECTS)] + [MEDIA]
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in sorted(set(names)))
    connection.exec_driver_sql(f"LOCK TABLE {quoted} IN SHARE MODE")


def _matches_exam(check: ArchiveCheck, exam: Exam) -> None:
    info = check.manifest.get("exam", {})
    if info.get("id") != exam.id or info.get("code") != exam.code:
        raise OpsError(
            f"the archive is of exam {info.get('code')} (id {info.get('id')}),"
            f" not of {exam.code} (id {exam.id})"
        )


def _same_as_archive(scope, check: ArchiveCheck) -> None:
    """Refuse unless the archive's exam files are exactly the exam's rows as they are now."""
    current = exam_files(scope, {})
    listed = {
        entry["name"]: entry["sha256"]
        for entry in check.manifest.get("files", [])
        if entry["name"].startswith(EXAM_DIR)
    }
    differing = sorted(
        name[len(EXAM_DIR) : -len(".json")]
        for name in set(current) | set(listed)
        if listed.get(name)
        != (hashlib.sha256(current[name]).hexdigest() if name in current else None)
    )
    if differing:
        raise OpsError(
            "the exam's data has changed since the archive was made (tables: "
            + ", ".join(differing)
            + "): make a new archive, verify it, then wipe"
        )


def delete_scope(connection: Connection, scope) -> dict[str, int]:
    """Delete every row of an exam's scope, children first; return the count per table."""
    deleted = {}
    for table in reversed(exam_tables()):
        deleted[table.name] = _delete(connection, table, scope.owned.get(table.name, []))
    deleted[AUDIT] = _delete(connection, metadata().tables[AUDIT], scope.audit)
    return deleted


def delete_exam_rows(connection: Connection, exam_id: int) -> dict[str, int]:
    """Delete an exam and everything that hangs from it, without an archive (drafts, demos)."""
    return delete_scope(connection, exam_scope(connection, exam_id, references=False))


def _delete(connection: Connection, table: sa.Table, rows: list[Row]) -> int:
    """Delete rows by primary key (Core, so the ORM's "minutes are never deleted" guard,
    meant for the running console, does not stop the end-of-exam wipe)."""
    key = table.primary_key.columns[0]
    values = sorted({row[key.name] for row in rows}, key=repr)
    deleted = 0
    for start in range(0, len(values), 500):
        result = connection.execute(delete(table).where(key.in_(values[start : start + 500])))
        deleted += result.rowcount
    return deleted


def _wipe_bank(connection: Connection, subject_ids: set[int]) -> dict[str, int]:
    """Delete the subjects' bank content; refuse while another exam uses one of them."""
    if not subject_ids:
        return {}
    rows = collect_descendants(connection, SUBJECTS, subject_ids)
    exam_names = {table.name for table in exam_tables()}
    still_used = {name: len(r) for name, r in rows.items() if name in exam_names and r}
    if still_used:
        raise OpsError(
            "other exams on this server still use these subjects"
            f" ({', '.join(sorted(still_used))}): wipe without --bank"
        )
    tables = metadata().tables
    media_links = rows.get(MEDIA_LINKS, [])
    deleted = {}
    for name in reversed(list(rows)):
        deleted[name] = _delete(connection, tables[name], rows[name])
    media = tables[MEDIA]
    links = tables[MEDIA_LINKS]
    digests = {row["sha256"] for row in media_links}
    still_linked = {
        row["sha256"] for row in read_by_keys(connection, links, links.c.sha256, digests)
    }
    orphans = [{"sha256": digest} for digest in digests - still_linked]
    deleted[MEDIA] = _delete(connection, media, orphans)
    return {name: count for name, count in deleted.items() if count}


def remaining_rows(connection: Connection, exam_id: int) -> dict[str, int]:
    """Count the exam's rows per table (all zero after a wipe)."""
    return exam_scope(connection, exam_id, references=False).counts()


def compact(engine: sa.Engine) -> None:
    """Rewrite the database files so deleted rows do not linger in free pages or the WAL."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM")


def exam_by_code(session: Session, code: str) -> Exam:
    exam = session.scalar(select(Exam).where(Exam.code == code))
    if exam is None:
        raise OpsError(f"no exam with code {code}")
    return exam
