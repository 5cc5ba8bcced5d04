"""The end-of-exam archive: everything the council keeps for one exam, signed.

A zip holding
- `exam/<table>.json`: every row of the exam (parts, shifts, room sessions, candidates, forms
  and their items, attempts with their results, answers, answer events, entries, the room
  records and the council's decisions and compiled results) and `exam/audit_log.json`, the
  audit entries about those rows; these are what `examctl wipe` deletes;
- `reference/<table>.json`: the rows the exam points at and keeps: the item versions used
  (the keys), their items, topics, subjects and media, the rooms and the staff accounts named
  in the records (without their password hashes);
- `blobs/<sha256>`: binary values (media files), named by their digest;
- `results.csv`: one line per attempt, for people; `verification.json`: the hash chains and
  scores re-checked when the archive was made;
- `manifest.json` (format, exam, schema revision, row counts, SHA-256 and size of every file)
  and `manifest.sig`, the base64 Ed25519 signature of the manifest's exact bytes.

Credentials are not archived: password, access-code and session-code hashes are blanked.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from exam_server.audit_verify import verify_exam
from exam_server.models import Exam
from exam_server.ops import signing
from exam_server.ops.errors import OpsError
from exam_server.ops.rows import (
    Row,
    canonical_json,
    key_of,
    metadata,
    parse_document,
    read_by_keys,
    read_rows,
    table_document,
)
from exam_server.ops.scope import AUDIT, ExamScope, exam_scope

FORMAT = "exam-archive/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
EXAM_DIR = "exam/"
REFERENCE_DIR = "reference/"
BLOB_DIR = "blobs/"
# Credentials have no place in a record kept for years; restored accounts cannot sign in.
REDACTED: dict[str, dict[str, Any]] = {
    "users": {"password_hash": "!", "active": False},
    "candidates": {"access_code_hash": ""},
    "shifts": {"session_code_hash": None},
}
# Reference rows whose content decides scores: a restore never accepts a different one.
STRICT_REFERENCES = ("item_versions", "media_files", "item_version_media")
MAX_MEMBER_BYTES = 2 * 1024**3


def schema_revision(connection: Connection) -> str | None:
    """The database's Alembic revision, read inside the caller's transaction."""
    return MigrationContext.configure(connection).get_current_revision()


def redact(table_name: str, rows: list[Row]) -> list[Row]:
    blanks = REDACTED.get(table_name)
    if not blanks:
        return rows
    return [{**row, **{k: v for k, v in blanks.items() if k in row}} for row in rows]


# --- building ------------------------------------------------------------------------------


def begin_snapshot(session: Session) -> None:
    """Start the session's transaction on one snapshot of the whole database.

    PostgreSQL reads every table as of one moment under REPEATABLE READ; SQLite's
    transaction (BEGIN IMMEDIATE, see exam_server.db) sees one state already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def exam_files(scope: ExamScope, blobs: dict[str, bytes]) -> dict[str, bytes]:
    """The files of the exam's own rows: what the wipe deletes (and compares first)."""
    tables = metadata().tables
    files = {
        f"{EXAM_DIR}{name}.json": table_document(tables[name], redact(name, rows), blobs)
        for name, rows in scope.owned.items()
    }
    files[f"{EXAM_DIR}{AUDIT}.json"] = table_document(tables[AUDIT], scope.audit, blobs)
    return files


def build_files(session: Session, exam: Exam) -> tuple[dict[str, bytes], ExamScope]:
    """Read the exam inside the session's transaction and return the archive's files."""
    connection = session.connection()
    scope = exam_scope(connection, exam.id)
    blobs: dict[str, bytes] = {}
    files = exam_files(scope, blobs)
    tables = metadata().tables
    for name, rows in scope.references.items():
        files[f"{REFERENCE_DIR}{name}.json"] = table_document(
            tables[name], redact(name, rows), blobs
        )
    for digest, data in blobs.items():
        files[f"{BLOB_DIR}{digest}"] = data
    files["results.csv"] = results_csv(scope)
    report = verify_exam(session, exam)
    files["verification.json"] = canonical_json(
        {
            "ok": report.ok,
            "attempts": len(report.attempts),
            "events": report.events_checked,
            "mismatches": [
                {"attempt": m.attempt_id, "code": m.code, "ordinal": m.ordinal}
                for m in report.mismatches
            ],
        }
    )
    return files, scope


RESULT_COLUMNS = (
    "registration_number",
    "full_name",
    "part",
    "part_title",
    "attempt_no",
    "state",
    "finalised_by",
    "correct_count",
    "answered_count",
    "earned_points",
    "max_points",
    "score_100",
    "share_correct",
    "passed",
    "started_at",
    "finalised_at",
    "final_hash",
)


def results_csv(scope: ExamScope) -> bytes:
    """One line per attempt, as stored at finalisation (the council's changes are in exam/)."""
    candidates = {row["id"]: row for row in scope.owned.get("candidates", [])}
    parts = {row["id"]: row for row in scope.owned.get("exam_parts", [])}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    rows = []
    for attempt in scope.owned.get("attempts", []):
        candidate, part = candidates[attempt["candidate_id"]], parts[attempt["part_id"]]
        rows.append(
            [
                candidate["registration_number"],
                candidate["full_name"],
                part["position"],
                part["title"],
                attempt["attempt_no"],
                attempt["state"],
                attempt["finalised_by"] or "",
                *("" if attempt[name] is None else attempt[name] for name in RESULT_COLUMNS[7:14]),
                _iso(attempt["started_at"]),
                _iso(attempt["finalised_at"]),
                attempt["last_hash"],
            ]
        )
    rows.sort(key=lambda r: (r[0], r[2], r[4]))
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).isoformat() if moment else ""


def manifest_for(
    exam: Exam,
    files: dict[str, bytes],
    scope: ExamScope,
    key: Ed25519PrivateKey,
    created_at: dt.datetime,
    revision: str | None,
) -> bytes:
    manifest = {
        "format": FORMAT,
        "exam": {"id": exam.id, "code": exam.code, "name": exam.name, "status": exam.status},
        "created_at": created_at.astimezone(dt.UTC).isoformat(),
        "schema_revision": revision,
        "key_fingerprint": signing.fingerprint(key.public_key()),
        "redacted": {table: sorted(columns) for table, columns in REDACTED.items()},
        "counts": scope.counts(),
        "references": {name: len(rows) for name, rows in sorted(scope.references.items())},
        "files": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        ],
    }
    return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()


@dataclass(frozen=True)
class Written:
    path: Path
    sha256: str
    manifest: dict
    fingerprint: str


def write_archive(
    session: Session,
    exam: Exam,
    target: Path,
    key: Ed25519PrivateKey,
    now: dt.datetime,
) -> Written:
    """Read the exam in one transaction and write its signed archive to `target`."""
    if target.exists():
        raise OpsError(f"{target} already exists; choose another file name")
    files, scope = build_files(session, exam)
    revision = schema_revision(session.connection())
    manifest = manifest_for(exam, files, scope, key, now, revision)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest)
        archive.writestr(SIGNATURE, signing.sign(key, manifest))
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    data = buffer.getvalue()
    write_atomically(target, data)
    return Written(
        target,
        hashlib.sha256(data).hexdigest(),
        json.loads(manifest),
        signing.fingerprint(key.public_key()),
    )


def write_atomically(target: Path, data: bytes) -> None:
    """Write the file completely, on disk, before it takes its name (a crash leaves none)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, target)  # fails, rather than overwrites, if the name appeared
    finally:
        os.unlink(temporary)


# --- reading and checking --------------------------------------------------------------------


@dataclass
class ArchiveCheck:
    """What verification found; the archive is good only when `problems` is empty."""

    manifest: dict = field(default_factory=dict)
    members: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_members(path: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = {}
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise OpsError(f"{path}: {info.filename} is too large")
                members[info.filename] = archive.read(info)
            return members
    except (zipfile.BadZipFile, OSError) as exc:
        raise OpsError(f"{path} is not a readable archive: {exc}") from None


def verify_archive(path: Path, key: Ed25519PublicKey) -> ArchiveCheck:
    """Check the signature with a trusted key, then every file against the manifest."""
    check = ArchiveCheck(members=read_members(path))
    members = check.members
    if MANIFEST not in members or SIGNATURE not in members:
        check.problems.append("no manifest or no signature: not an exam archive")
        return check
    try:
        check.manifest = json.loads(members[MANIFEST])
    except ValueError:
        check.problems.append("the manifest is not JSON")
        return check
    if not signing.signature_valid(key, members[MANIFEST], members[SIGNATURE]):
        check.problems.append(
            "the signature does not match the trusted key: the manifest was altered"
            " or signed with another key"
        )
    if check.manifest.get("key_fingerprint") != signing.fingerprint(key):
        check.problems.append(
            f"signed by key {check.manifest.get('key_fingerprint')},"
            f" not the trusted key {signing.fingerprint(key)}"
        )
    if check.manifest.get("format") != FORMAT:
        check.problems.append(f"unknown format {check.manifest.get('format')!r}")
    listed = {entry["name"]: entry for entry in check.manifest.get("files", [])}
    for name, entry in sorted(listed.items()):
        data = members.get(name)
        if data is None:
            check.problems.append(f"missing file {name}")
        elif len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            check.problems.append(f"altered file {name}")
    for name in sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE}):
        check.problems.append(f"file not in the manifest: {name}")
    return check


def verified(path: Path, key: Ed25519PublicKey) -> ArchiveCheck:
    """Return the check of a good archive, or raise with every problem found."""
    check = verify_archive(path, key)
    if not check.ok:
        raise OpsError(f"{path} failed verification: " + "; ".join(check.problems))
    return check


# --- restoring -------------------------------------------------------------------------------


def blobs_of(members: dict[str, bytes]) -> dict[str, bytes]:
    return {
        name[len(BLOB_DIR) :]: data for name, data in members.items() if name.startswith(BLOB_DIR)
    }


def documents(members: dict[str, bytes], prefix: str) -> dict[str, list[Row]]:
    """Parse the table files under `prefix`, keyed by table name."""
    tables = metadata().tables
    blobs = blobs_of(members)
    found = {}
    for name, data in members.items():
        if name.startswith(prefix) and name.endswith(".json"):
            table_name = name[len(prefix) : -len(".json")]
            if table_name not in tables:
                raise OpsError(f"the archive holds table {table_name}, unknown to this version")
            found[table_name] = parse_document(tables[table_name], data, blobs)
    return found


@dataclass
class Restored:
    exam_id: int
    inserted: dict[str, int]
    kept: dict[str, int]


def restore_archive(session: Session, check: ArchiveCheck) -> Restored:
    """Insert a verified archive's rows; the caller commits (all or nothing)."""
    connection = session.connection()
    manifest = check.manifest
    revision = schema_revision(session.connection())
    if manifest.get("schema_revision") != revision:
        raise OpsError(
            f"the archive was made at schema revision {manifest.get('schema_revision')},"
            f" this database is at {revision}: restore with the matching software version"
        )
    exam_info = manifest["exam"]
    exams = metadata().tables["exams"]
    clash = connection.execute(
        select(exams.c.id, exams.c.code).where(
            (exams.c.id == exam_info["id"]) | (exams.c.code == exam_info["code"])
        )
    ).first()
    if clash is not None:
        raise OpsError(
            f"this database already holds exam {clash.code} (id {clash.id}):"
            " restore into a fresh database, or wipe that exam first"
        )
    owned = documents(check.members, EXAM_DIR)
    audit = owned.pop(AUDIT, [])
    references = documents(check.members, REFERENCE_DIR)
    inserted: dict[str, int] = {}
    kept: dict[str, int] = {}
    for table in metadata().sorted_tables:
        if table.name in references:
            added, same = _insert_references(connection, table, references[table.name])
            inserted[table.name] = inserted.get(table.name, 0) + added
            kept[table.name] = same
        if table.name in owned:
            _insert_rows(connection, table, owned[table.name])
            inserted[table.name] = inserted.get(table.name, 0) + len(owned[table.name])
    inserted[AUDIT] = _insert_audit(connection, audit)
    _reset_sequences(connection, [name for name, n in inserted.items() if n])
    return Restored(exam_info["id"], inserted, kept)


def _insert_rows(connection: Connection, table, rows: list[Row]) -> None:
    if not rows:
        return
    self_columns = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if self_columns:
        # Parents of a tree may come after their children: link them once all rows exist.
        loose = [{**row, **dict.fromkeys(self_columns)} for row in rows]
        connection.execute(table.insert(), loose)
        key = table.primary_key.columns[0]
        for row in rows:
            values = {name: row[name] for name in self_columns if row[name] is not None}
            if values:
                connection.execute(table.update().where(key == row[key.name]).values(values))
        return
    for start in range(0, len(rows), 1000):
        connection.execute(table.insert(), rows[start : start + 1000])


def _insert_references(connection: Connection, table, rows: list[Row]) -> tuple[int, int]:
    """Insert the rows this database lacks; rows present already are kept as they are.

    A present item version (or media file) must be the archived one: scores depend on it.
    """
    existing = {key_of(table, row): row for row in _present(connection, table, rows)}
    missing = [row for row in rows if key_of(table, row) not in existing]
    if table.name in STRICT_REFERENCES:
        for row in rows:
            present = existing.get(key_of(table, row))
            if present is not None and present != row:
                raise OpsError(
                    f"{table.name} {key_of(table, row)} differs from the archive's:"
                    " this database holds another bank; restore into a fresh database"
                )
    _insert_rows(connection, table, missing)
    return len(missing), len(existing)


def _present(connection: Connection, table, rows: list[Row]) -> list[Row]:
    columns = list(table.primary_key.columns)
    if len(columns) == 1:
        return read_by_keys(connection, table, columns[0], [row[columns[0].name] for row in rows])
    wanted = {key_of(table, row) for row in rows}
    return [row for row in read_rows(connection, table) if key_of(table, row) in wanted]


def _insert_audit(connection: Connection, rows: list[Row]) -> int:
    """Audit entries keep their ids unless taken (the log of a fresh database is not empty)."""
    table = metadata().tables[AUDIT]
    taken = {row["id"] for row in _present(connection, table, rows)}
    for row in rows:
        values = dict(row)
        if row["id"] in taken:
            values.pop("id")
        connection.execute(table.insert().values(values))
    return len(rows)


def _reset_sequences(connection: Connection, table_names: list[str]) -> None:
    """After explicit ids, PostgreSQL's sequences must move past them."""
    if connection.dialect.name != "postgresql":
        return
    tables = metadata().tables
    for name in table_names:
        table = tables[name]
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name})
        highest = connection.scalar(select(func.max(table.c.id)))
        if sequence and highest:
            connection.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": highest})
