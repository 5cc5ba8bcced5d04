"""Question bank commands (examctl bank …): thin wrappers over the bank's services."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from exam_server.db import database, utcnow
from exam_server.models import User
from exam_server.models.bank import SUBJECT_KINDS
from question_bank import messages
from question_bank.errors import BankError
from question_bank.exporting import EXPORT_FORMATS, export_subject
from question_bank.formats import ExportError, ImportErrorRecord
from question_bank.importing import FORMAT_CHOICES, import_file
from question_bank.subjects import assign, create_subject, subject_by_code

MAX_MEDIA_FILES = 10_000


@click.group("bank")
def bank_group() -> None:
    """Question bank: import and export questions, subjects and examiners."""


def _user(session, username: str | None) -> User | None:
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No staff account {username}")
    return user


def _media_files(folder: str | None) -> dict[str, bytes]:
    if not folder:
        return {}
    root = Path(folder)
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            files[path.relative_to(root).as_posix()] = path.read_bytes()
            files.setdefault(path.name, files[path.relative_to(root).as_posix()])
        if len(files) > MAX_MEDIA_FILES:
            raise click.ClickException(f"More than {MAX_MEDIA_FILES} files in {folder}")
    return files


@bank_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--subject", "subject_code", help="Code of the subject the questions go into.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_CHOICES),
    default="auto",
    show_default=True,
    help="File format (auto: from the extension and the content).",
)
@click.option("--dry-run", is_flag=True, help="Check the file and write nothing.")
@click.option("--json", "as_json", is_flag=True, help='Print one JSON object {"items","errors"}.')
@click.option(
    "--media-dir",
    type=click.Path(exists=True, file_okay=False),
    help="Folder with the images and audio files the questions name.",
)
@click.option("--by", "username", help="Staff account recorded as the author.")
@click.option("--lang", type=click.Choice(["vi", "en"]), help="Language of the messages.")
@with_appcontext
def import_command(
    path: str,
    subject_code: str | None,
    fmt: str,
    dry_run: bool,
    as_json: bool,
    media_dir: str | None,
    username: str | None,
    lang: str | None,
) -> None:
    """Import PATH into a subject: all questions as drafts, or nothing if any error.

    Exit status 0 without errors, 1 with errors.
    """
    data = Path(path).read_bytes()
    filename = Path(path).name
    session = database().session_factory()
    with force_locale(lang or current_app.config["DEFAULT_LOCALE"]):
        try:
            actor = _user(session, username)
            subject, subject_error = None, None
            if subject_code:
                try:
                    subject = subject_by_code(session, subject_code)
                except BankError:
                    subject_error = ImportErrorRecord(
                        filename, None, "subject", messages.SUBJECT_UNKNOWN, {"code": subject_code}
                    )
            try:
                report = import_file(
                    session,
                    data=data,
                    filename=filename,
                    fmt=fmt,
                    subject=subject,
                    actor=actor,
                    now=utcnow(),
                    files=_media_files(media_dir),
                    dry_run=dry_run or subject_error is not None,
                )
            except BankError as error:
                raise click.ClickException(str(error.message)) from error
            if subject_error is not None:
                report.errors.insert(0, subject_error)
            if report.ok and not dry_run:
                session.commit()
            else:
                session.rollback()
            _print_report(report, as_json, dry_run, subject_code)
        finally:
            session.close()
    click.get_current_context().exit(0 if report.ok else 1)


def _print_report(report, as_json: bool, dry_run: bool, subject_code: str | None) -> None:
    for warning in report.warnings:
        click.echo(_location(warning) + warning.render(_), err=True)
    if as_json:
        click.echo(json.dumps(report.to_json(_), ensure_ascii=False))
        return
    for error in report.errors:
        click.echo(_location(error) + error.render(_))
    if report.errors:
        click.echo(
            _(
                "%(errors)d errors in %(file)s: nothing was imported.",
                errors=len(report.errors),
                file=report.filename,
            )
        )
    elif dry_run:
        click.echo(
            _(
                "%(count)d questions checked in %(file)s: no errors (nothing written).",
                count=len(report.records),
                file=report.filename,
            )
        )
    else:
        click.echo(
            _(
                "Imported %(count)d questions into %(subject)s as drafts; "
                "they must be reviewed and approved before an exam can use them.",
                count=len(report.item_ids),
                subject=subject_code,
            )
        )


def _location(error: ImportErrorRecord) -> str:
    place = error.file
    if error.line is not None:
        place += f":{error.line}"
    if error.field:
        place += f" [{error.field}]"
    return place + ": "


@bank_group.command("export")
@click.option("--subject", "subject_code", required=True, help="Code of the subject.")
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="File format."
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write."
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["draft", "in_review", "approved", "retired"]),
    help="Only questions with this status (repeatable; default: all).",
)
@click.option("--lang", type=click.Choice(["vi", "en"]), help="Column headers (xlsx, csv).")
@click.option("--by", "username", help="Staff account recorded in the access log.")
@with_appcontext
def export_command(
    subject_code: str,
    fmt: str,
    output: str,
    statuses: tuple[str, ...],
    lang: str | None,
    username: str | None,
) -> None:
    """Export a subject's questions (latest versions) to a file; the export is logged."""
    session = database().session_factory()
    lang = lang or current_app.config["DEFAULT_LOCALE"]
    with force_locale(lang):
        try:
            try:
                subject = subject_by_code(session, subject_code)
                result = export_subject(
                    session,
                    subject,
                    fmt,
                    actor=_user(session, username),
                    now=utcnow(),
                    statuses=statuses,
                    lang=lang,
                )
            except BankError as error:
                raise click.ClickException(str(error.message)) from error
            except ExportError as error:
                for problem in error.errors:
                    click.echo(f"#{problem.line}: {problem.render(_)}", err=True)
                raise click.ClickException(
                    _("Some questions cannot be written in this format; nothing was exported.")
                ) from error
            Path(output).write_bytes(result.data)
            session.commit()
        finally:
            session.close()
        click.echo(
            _(
                "Exported %(count)d questions of %(subject)s to %(file)s.",
                count=result.count,
                subject=subject_code,
                file=output,
            )
        )


@bank_group.command("add-subject")
@click.argument("code")
@click.option("--name", required=True, help="The subject's name.")
@click.option("--kind", type=click.Choice(SUBJECT_KINDS), required=True)
@with_appcontext
def add_subject_command(code: str, name: str, kind: str) -> None:
    """Create a subject with the default difficulty scale (easy, medium, hard)."""
    session = database().session_factory()
    try:
        create_subject(session, code=code, name=name, kind=kind, actor=None, now=utcnow())
        session.commit()
    except BankError as error:
        raise click.ClickException(str(error.message)) from error
    finally:
        session.close()
    click.echo(f"Created subject {code}")


@bank_group.command("assign")
@click.argument("username")
@click.argument("subject_code")
@with_appcontext
def assign_command(username: str, subject_code: str) -> None:
    """Let examiner or reviewer USERNAME work on SUBJECT_CODE's questions."""
    session = database().session_factory()
    try:
        user = _user(session, username)
        assign(session, subject_by_code(session, subject_code), user, actor=None, now=utcnow())
        session.commit()
    except BankError as error:
        raise click.ClickException(str(error.message)) from error
    finally:
        session.close()
    click.echo(f"{username} works on {subject_code}")


COMMANDS: list = [bank_group]  # registered on examctl by the composition root
