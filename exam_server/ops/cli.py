"""Operations commands (examctl backup / restore / archive / wipe): thin wrappers over ops."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from exam_server.audit_verify import verify_exam
from exam_server.db import database, utcnow
from exam_server.models import Exam
from exam_server.ops import archive as archiving
from exam_server.ops import backup as backups
from exam_server.ops import signing
from exam_server.ops.errors import OpsError
from exam_server.ops.wipe import compact, exam_by_code, wipe_exam

FILE = click.Path(dir_okay=False, path_type=Path)
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def _private_key(path: Path | None):
    if path is not None:
        return signing.load_private_key(path)
    return signing.load_or_create_private_key(signing.default_key_path(current_app.instance_path))


def _trusted_key(path: Path | None):
    """The key archives are checked against: the given public key, else this server's own."""
    if path is not None:
        return signing.load_public_key(path)
    own = signing.default_key_path(current_app.instance_path)
    if not own.exists():
        raise OpsError(
            "no trusted key: pass --public-key with the signer's public key"
            f" (this server has no {own.name})"
        )
    return signing.load_private_key(own).public_key()


PUBLIC_KEY_OPTION = click.option(
    "--public-key",
    type=EXISTING_FILE,
    help="Trusted public key (PEM) of the signer. Default: this server's archive key.",
)


# --- backup and restore ------------------------------------------------------------------


@click.command("backup")
@click.option("-o", "--output", type=FILE, required=True, help="The backup file to write.")
@with_appcontext
def backup_command(output: Path) -> None:
    """Back up the whole database (SQLite snapshot or pg_dump -Fc) while the server runs."""
    if output.exists():
        raise click.ClickException(f"{output} already exists; choose another file name")
    try:
        info = backups.backup(database().engine, output)
    except OpsError as exc:
        raise _fail(exc) from exc
    click.echo(f"Backed up the {info.kind} database to {info.path}")
    click.echo(f"  size {info.size} bytes, SHA-256 {info.sha256}")


@click.command("restore")
@click.argument("backup_file", type=EXISTING_FILE)
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(backup_file: Path, force: bool) -> None:
    """Replace the database with BACKUP_FILE (stop the server first)."""
    try:
        kind = backups.restore(database().engine, backup_file, force=force)
    except OpsError as exc:
        raise _fail(exc) from exc
    click.echo(f"Restored the {kind} database from {backup_file}")
    click.echo("Run `examctl db upgrade` if the backup came from an older version.")


# --- the end-of-exam archive --------------------------------------------------------------


class ArchiveGroup(click.Group):
    """`examctl archive EXAM -o FILE` is short for `examctl archive create EXAM -o FILE`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


@click.group("archive", cls=ArchiveGroup)
def archive_group() -> None:
    """The signed end-of-exam archive: create (archive EXAM -o FILE), verify, restore."""


@archive_group.command("create")
@click.argument("exam_code")
@click.option("-o", "--output", type=FILE, required=True, help="The archive file (.zip).")
@click.option(
    "--key",
    type=EXISTING_FILE,
    help="Ed25519 private key (PEM) to sign with. Default: the instance folder's"
    f" {signing.DEFAULT_KEY_FILE}, created on first use.",
)
@with_appcontext
def archive_create(exam_code: str, output: Path, key: Path | None) -> None:
    """Write the signed archive of everything the council keeps for EXAM_CODE."""
    session = database().session_factory()
    try:
        archiving.begin_snapshot(session)
        exam = exam_by_code(session, exam_code)
        written = archiving.write_archive(session, exam, output, _private_key(key), utcnow())
    except OpsError as exc:
        raise _fail(exc) from exc
    finally:
        session.rollback()
        session.close()
    counts = written.manifest["counts"]
    click.echo(f"Archived exam {exam_code} to {written.path}")
    click.echo(f"  rows: {sum(counts.values())} in {len([c for c in counts.values() if c])} tables")
    click.echo(f"  file SHA-256 {written.sha256}")
    click.echo(f"  signed by key {written.fingerprint}")


@archive_group.command("verify")
@click.argument("archive_file", type=EXISTING_FILE)
@PUBLIC_KEY_OPTION
@with_appcontext
def archive_verify(archive_file: Path, public_key: Path | None) -> None:
    """Check ARCHIVE_FILE's signature and every file in it. Exit status 1 if anything is wrong."""
    try:
        check = archiving.verify_archive(archive_file, _trusted_key(public_key))
    except OpsError as exc:
        raise _fail(exc) from exc
    if not check.ok:
        for problem in check.problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(f"{archive_file} is NOT a good archive")
    exam = check.manifest["exam"]
    click.echo(f"OK: archive of exam {exam['code']} made {check.manifest['created_at']}")
    click.echo(f"  {len(check.manifest['files'])} files checked, signed by the trusted key")


@archive_group.command("restore")
@click.argument("archive_file", type=EXISTING_FILE)
@PUBLIC_KEY_OPTION
@with_appcontext
def archive_restore(archive_file: Path, public_key: Path | None) -> None:
    """Load a verified ARCHIVE_FILE into this database (a fresh one, migrated to the same
    revision) and re-check every attempt's chain and score."""
    session = database().session_factory()
    try:
        check = archiving.verified(archive_file, _trusted_key(public_key))
        restored = archiving.restore_archive(session, check)
        session.commit()
        report = verify_exam(session, session.get(Exam, restored.exam_id))
    except (OpsError, SQLAlchemyError) as exc:
        session.rollback()
        raise _fail(exc) from exc
    finally:
        session.close()
    click.echo(
        f"Restored exam {check.manifest['exam']['code']}: {sum(restored.inserted.values())} rows"
    )
    state = "all match" if report.ok else f"{len(report.mismatches)} MISMATCHES"
    click.echo(
        f"  re-checked {len(report.attempts)} attempts, {report.events_checked} events: {state}"
    )
    if not report.ok:
        raise click.ClickException("the restored exam does not verify")


@archive_group.command("public-key")
@click.option("--key", type=EXISTING_FILE, help="Private key (PEM). Default: this server's.")
@with_appcontext
def archive_public_key(key: Path | None) -> None:
    """Print the public key archives are signed with, and its fingerprint for the minutes."""
    try:
        private = _private_key(key)
    except OpsError as exc:
        raise _fail(exc) from exc
    click.echo(signing.public_pem(private.public_key()).decode().strip())
    click.echo(f"fingerprint (SHA-256): {signing.fingerprint(private.public_key())}")


# --- wipe -------------------------------------------------------------------------------------


@click.command("wipe")
@click.argument("exam_code")
@click.option(
    "--archive",
    "archive_file",
    type=EXISTING_FILE,
    help="The exam's archive; it must verify and hold the exam's data as it is now.",
)
@PUBLIC_KEY_OPTION
@click.option(
    "--bank/--keep-bank",
    default=None,
    help="Also delete the bank content of the exam's subjects."
    " Default: yes on an exam server (EXAM_SERVER_ROLE=exam), no otherwise.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def wipe_command(
    exam_code: str,
    archive_file: Path | None,
    public_key: Path | None,
    bank: bool | None,
    yes: bool,
) -> None:
    """Delete every piece of EXAM_CODE from this server, once its archive is verified."""
    if archive_file is None:
        raise click.ClickException(
            "refused: give the exam's verified archive with --archive FILE"
            " (make it with `examctl archive EXAM -o FILE`)"
        )
    if bank is None:
        bank = current_app.config["SERVER_ROLE"] == "exam"
    session = database().session_factory()
    try:
        check = archiving.verified(archive_file, _trusted_key(public_key))
        exam = exam_by_code(session, exam_code)
        if not yes:
            click.confirm(
                f"Delete exam {exam_code} and all its data from this server"
                + (" (with its bank content)" if bank else "")
                + "?",
                abort=True,
            )
        report = wipe_exam(
            session,
            exam,
            check,
            now=utcnow(),
            bank=bank,
            archive_sha256=backups.file_digest(archive_file),
        )
        session.commit()
    except (OpsError, SQLAlchemyError) as exc:
        session.rollback()
        raise _fail(exc) from exc
    finally:
        session.close()
    compact(database().engine)
    click.echo(f"Wiped exam {exam_code}: {sum(report.deleted.values())} rows deleted")
    for name, count in sorted({**report.deleted, **report.bank_deleted}.items()):
        if count:
            click.echo(f"  {name}: {count}")
    click.echo("Restart the exam server so no worker keeps anything of the exam in memory.")


COMMANDS: list = [backup_command, restore_command, archive_group, wipe_command]
