"""Whole-database backup and restore: an SQLite snapshot, or a PostgreSQL custom-format dump.

SQLite: the online backup API copies the database as one consistent snapshot while the
server keeps running (WAL readers never block the writer). PostgreSQL: `pg_dump -Fc`, which
reads one consistent snapshot too. A backup file is written under a temporary name, synced,
then renamed, so a crash never leaves a half-written file under the final name.

A restore replaces the whole database and refuses to overwrite one holding data unless
forced; on PostgreSQL it runs in one transaction, so a failed restore changes nothing.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

from exam_server.ops.errors import OpsError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables that hold no data of their own: a database with rows only here counts as empty.
BOOKKEEPING_TABLES = {"alembic_version"}


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: str  # sqlite | postgresql
    size: int
    sha256: str


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise OpsError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def kind_of(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise OpsError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _temporary_beside(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(descriptor)
    return Path(name)


def _publish(temporary: Path, target: Path) -> None:
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)


# --- backup -----------------------------------------------------------------------------------


def backup(engine: Engine, target: Path) -> BackupInfo:
    """Write a consistent backup of the engine's database to `target`."""
    url = engine.url
    kind = kind_of(url)
    temporary = _temporary_beside(target)
    try:
        if kind == "sqlite":
            _sqlite_backup(sqlite_path(url), temporary)
        else:
            _pg_dump(url, temporary)
        _publish(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return BackupInfo(target, kind, target.stat().st_size, file_digest(target))


def _sqlite_backup(source: Path, temporary: Path) -> None:
    if not source.exists():
        raise OpsError(f"the database file {source} does not exist")
    # Read-only URI: a backup must never create or change the live database.
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(temporary)
    try:
        live.backup(copy)  # all pages in one step: one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise OpsError(f"the backup copy failed its integrity check: {result}")
    finally:
        copy.close()
        live.close()


def pg_tool(name: str) -> str:
    """Find a PostgreSQL client tool: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise OpsError(f"{name} is not installed (install the PostgreSQL client tools)")
    return candidates[-1]


def pg_environment(url: URL) -> dict[str, str]:
    """libpq settings for the client tools; the password never appears on a command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    settings = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else url.query.get("port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    env.update({k: str(v) for k, v in settings.items() if v})
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, capture_output=True)
    if result.returncode != 0:
        raise OpsError(f"{what} failed: {result.stderr.decode(errors='replace').strip()}")
    return result


def _pg_dump(url: URL, temporary: Path) -> None:
    env = pg_environment(url)
    _run([pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(temporary)], env, "pg_dump")
    _run([pg_tool("pg_restore"), "--list", str(temporary)], env, "checking the dump")


# --- restore ----------------------------------------------------------------------------------


def holds_data(engine: Engine) -> bool:
    """Whether any table (other than the migration bookkeeping) has a row."""
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if table in BOOKKEEPING_TABLES:
                continue
            quoted = connection.dialect.identifier_preparer.quote(table)
            if connection.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first():
                return True
    return False


def backup_kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise OpsError(f"{path} is neither an SQLite backup nor a pg_dump custom-format file")


def restore(engine: Engine, source: Path, *, force: bool) -> str:
    """Replace the engine's database with the backup `source`; return the backup's kind."""
    url = engine.url
    kind = kind_of(url)
    if not source.is_file():
        raise OpsError(f"{source} does not exist")
    found = backup_kind(source)
    if found != kind:
        raise OpsError(f"{source} is a {found} backup; this database is {kind}")
    if not force and holds_data(engine):
        raise OpsError(
            "the database is not empty: restoring would overwrite its data."
            " Restore into an empty database, or pass --force to replace it"
        )
    engine.dispose()  # no pooled connection may keep reading the old content
    if kind == "sqlite":
        _sqlite_restore(source, sqlite_path(url))
    else:
        _pg_restore(url, source)
    return kind


def _sqlite_restore(source: Path, target: Path) -> None:
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        result = backup_file.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise OpsError(f"{source} failed its integrity check: {result}")
        target.parent.mkdir(parents=True, exist_ok=True)
        live = sqlite3.connect(target, timeout=30)
        try:
            # The backup API replaces every page under the database's own lock, so a crash
            # mid-way leaves the old database (the journal rolls the copy back).
            backup_file.backup(live)
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            live.close()
    finally:
        backup_file.close()


DROP_EVERYTHING = """
DO $$
DECLARE object record;
BEGIN
  FOR object IN SELECT c.relname, c.relkind FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  LOOP
    EXECUTE format(
      CASE object.relkind
        WHEN 'v' THEN 'DROP VIEW IF EXISTS %I CASCADE'
        WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS %I CASCADE'
        WHEN 'S' THEN 'DROP SEQUENCE IF EXISTS %I CASCADE'
        WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS %I CASCADE'
        ELSE 'DROP TABLE IF EXISTS %I CASCADE' END, object.relname);
  END LOOP;
  FOR object IN SELECT t.typname AS relname, 'T' AS relkind FROM pg_type t
      JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'c')
        AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
  LOOP
    EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', object.relname);
  END LOOP;
END $$;
"""


def _pg_restore(url: URL, source: Path) -> None:
    """Drop the schema's objects and load the dump in one psql transaction (all or nothing)."""
    env = pg_environment(url)
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as psql_errors:
        with (
            subprocess.Popen(
                [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "-f", "-", str(source)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=script_errors,
            ) as script,
            subprocess.Popen(
                [pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=psql_errors,
            ) as psql,
        ):
            assert script.stdout is not None and psql.stdin is not None
            try:
                psql.stdin.write(DROP_EVERYTHING.encode())
                for chunk in iter(lambda: script.stdout.read(1 << 16), b""):
                    psql.stdin.write(chunk)
                psql.stdin.close()
            except BrokenPipeError:
                script.kill()  # psql stopped on an error, reported below
            script_status, psql_status = script.wait(), psql.wait()
        if psql_status != 0:
            psql_errors.seek(0)
            message = psql_errors.read().decode(errors="replace").strip()
            raise OpsError(f"the restore failed and was rolled back: {message}")
        if script_status != 0:
            script_errors.seek(0)
            message = script_errors.read().decode(errors="replace").strip()
            raise OpsError(f"pg_restore could not read {source}: {message}")
