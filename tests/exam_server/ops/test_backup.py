"""examctl backup / restore: a round trip gives the same data, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from exam_server.db import make_engine
from tests.exam_server.ops.conftest import NOW
from tests.exam_server.ops.factories_ops import sit_exam


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, as plain tuples (what "identical data" means)."""
    engine = make_engine(url)
    found = {}
    with engine.connect() as connection:
        for table in sorted(inspect(connection).get_table_names()):
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            found[table] = sorted((tuple(row) for row in rows), key=repr)
    engine.dispose()
    return found


def populate(url: str, code: str, candidates: int = 3) -> None:
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        sit_exam(session, NOW, code, candidates=candidates)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def source(module_database, tmp_path_factory):
    """A database holding a finished exam, and its backup made with examctl."""
    url = module_database("bk_source")
    populate(url, "BK1")
    backup_file = tmp_path_factory.mktemp("backups") / "exam.backup"
    return url, backup_file


def test_a_backup_restores_into_an_empty_database_with_identical_data(
    source, new_database, examctl
):
    url, backup_file = source
    made = examctl(url, "backup", "-o", backup_file)
    assert made.exit_code == 0, made.output
    assert "SHA-256" in made.output and backup_file.stat().st_size > 0

    target = new_database("bk_blank", migrated=False)
    restored = examctl(target, "restore", backup_file)
    assert restored.exit_code == 0, restored.output
    original = every_row(url)
    assert every_row(target) == original
    assert len(original["answer_events"]) > 10 and len(original["proctor_incidents"]) == 1


def test_restore_refuses_to_overwrite_data_unless_forced(source, new_database, examctl):
    url, backup_file = source
    if not backup_file.exists():
        assert examctl(url, "backup", "-o", backup_file).exit_code == 0
    target = new_database("bk_migrated")  # `examctl db upgrade` run: tables, no rows
    assert examctl(target, "restore", backup_file).exit_code == 0
    assert every_row(target) == every_row(url)

    # Data written after the restore: a plain restore must not silently throw it away.
    populate(target, "BK2", candidates=2)
    changed = every_row(target)
    refused = examctl(target, "restore", backup_file)
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert every_row(target) == changed

    forced = examctl(target, "restore", backup_file, "--force")
    assert forced.exit_code == 0, forced.output
    assert every_row(target) == every_row(url)


def test_backup_does_not_overwrite_a_file_or_restore_a_foreign_one(new_database, examctl, tmp_path):
    url = new_database("bk_plain")
    existing = tmp_path / "already-there"
    existing.write_bytes(b"keep me")
    refused = examctl(url, "backup", "-o", existing)
    assert refused.exit_code == 1 and existing.read_bytes() == b"keep me"
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a backup")
    wrong = examctl(url, "restore", foreign, "--force")
    assert wrong.exit_code == 1 and "neither" in wrong.output


def test_a_backup_taken_during_an_open_write_is_a_consistent_snapshot(
    source, new_database, examctl, tmp_path
):
    url, _backup = source
    before = every_row(url)
    writer = make_engine(url)
    connection = writer.connect()
    transaction = connection.begin()  # BEGIN IMMEDIATE on SQLite: the writer holds the lock
    connection.execute(
        text(
            "INSERT INTO audit_log (at, actor_kind, action, details)"
            " VALUES (CURRENT_TIMESTAMP, 'system', 'uncommitted', '{}')"
        )
    )
    try:
        backup_file = tmp_path / "during-write.backup"
        made = examctl(url, "backup", "-o", backup_file)
        assert made.exit_code == 0, made.output
    finally:
        transaction.rollback()
        connection.close()
        writer.dispose()
    target = new_database("bk_snapshot", migrated=False)
    assert examctl(target, "restore", backup_file).exit_code == 0
    assert every_row(target) == before  # the uncommitted row is not in the snapshot
