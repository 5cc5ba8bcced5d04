"""examctl: the platform's command line, a Flask CLI group bound to the app factory."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from exam_server import migrate
from exam_server.accounts import AccountError, create_user
from exam_server.app import create_app
from exam_server.config import ConfigError
from exam_server.db import database, utcnow
from exam_server.models import STAFF_ROLES, Exam, User
from exam_server.passwords import hash_secret

INSTANCE_ENV = "EXAM_INSTANCE_PATH"


def local_secret(instance_path: str) -> str:
    """Read the instance folder's secret key, creating it (mode 600) on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.write_text(secrets.token_urlsafe(48))
    path.chmod(0o600)
    return path.read_text().strip()


def cli_app_factory() -> Flask:
    """Build the app for the CLI: local runs get an instance folder and a kept secret."""
    instance_path = os.environ.get(INSTANCE_ENV) or None
    overrides = {}
    if (
        not os.environ.get("EXAM_SECRET_KEY")
        and os.environ.get("EXAM_ENV", "development") != "production"
    ):
        probe = Flask("exam_server", instance_path=instance_path)
        Path(probe.instance_path).mkdir(parents=True, exist_ok=True)
        overrides["SECRET_KEY"] = local_secret(probe.instance_path)
        instance_path = probe.instance_path
    try:
        app = create_app(overrides, instance_path=instance_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return app


@click.group(
    cls=FlaskGroup, create_app=cli_app_factory, add_default_commands=False, add_version_option=False
)
def main() -> None:
    """Manage the exam platform: database, users, demo, forms, and the server."""


def _session():
    return database().session_factory()


# --- database ----------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(database().engine, revision)
    click.echo(f"Database at revision {migrate.current_revision(database().engine)}")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the database's current revision and the code's head."""
    click.echo(
        f"current: {migrate.current_revision(database().engine)}  head: {migrate.head_revision()}"
    )


# --- users --------------------------------------------------------------------------------


@main.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True, help="The staff role.")
@click.option("--full-name", default="", help="Name shown in records (default: the username).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted when omitted.",
)
@with_appcontext
def create_user_command(username: str, role: str, full_name: str, password: str) -> None:
    """Create a staff account with ROLE."""
    session = _session()
    try:
        create_user(
            session,
            username=username,
            full_name=full_name or username,
            role=role,
            password=password,
            rounds=current_app.config["BCRYPT_ROUNDS_STAFF"],
            now=utcnow(),
        )
        session.commit()
    except AccountError as exc:
        raise click.ClickException(str(exc.message)) from exc
    finally:
        session.close()
    click.echo(f"Created {role} {username}")


# --- demo ---------------------------------------------------------------------------------

DEMO_STAFF = (("admin", "Quản trị viên", "admin"), ("giamthi1", "Giám thị 1", "head_proctor"))


@main.command("demo")
@click.option(
    "--candidates",
    default=20,
    show_default=True,
    type=click.IntRange(20, 20000),
    help="More than 20 adds rooms of 40 (for load tests).",
)
@click.option(
    "--logins-file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the logins as JSON (for load-test tools).",
)
@with_appcontext
def demo_command(candidates: int, logins_file: str | None) -> None:
    """Create or refresh the demo: sample bank, pilot exam, one room, 20 candidates."""
    from exam_server.demo.scale import add_candidates
    from exam_server.demo.seed import assign_room_staff, create_demo

    migrate.upgrade(database().engine)
    session = _session()
    now = utcnow()
    staff_logins = []
    try:
        for username, full_name, role in DEMO_STAFF:
            password = "Demo-" + secrets.token_hex(4)
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                create_user(
                    session,
                    username=username,
                    full_name=full_name,
                    role=role,
                    password=password,
                    rounds=current_app.config["BCRYPT_ROUNDS_STAFF"],
                    now=now,
                )
            else:
                user.password_hash = hash_secret(
                    password, current_app.config["BCRYPT_ROUNDS_STAFF"]
                )
                user.active = True
                user.session_epoch += 1
            staff_logins.append((username, role, password))
        rounds = current_app.config["BCRYPT_ROUNDS_CANDIDATE"]
        result = create_demo(session, now, rounds)
        if candidates > len(result.candidates):
            exam = session.get(Exam, result.exam_id)
            result.candidates.extend(add_candidates(session, exam, candidates, now, rounds))
        head = session.scalar(select(User).where(User.username == "giamthi1"))
        assign_room_staff(session, result.exam_id, head.id)
        session.commit()
    finally:
        session.close()
    click.echo("Demo exam ready: DEMO-PILOT (English 20 questions + IT 20 questions, 30 min each)")
    click.echo("\nStaff logins (http://127.0.0.1:8000/staff/login):")
    for username, role, password in staff_logins:
        click.echo(f"  {username:<10} {password:<16} {role}")
    if logins_file:
        logins = {
            "staff": {username: password for username, _role, password in staff_logins},
            "candidates": [[sbd, code] for sbd, _name, code in result.candidates],
        }
        Path(logins_file).write_text(json.dumps(logins, ensure_ascii=False))
    click.echo("\nCandidates (http://127.0.0.1:8000/login) — SBD, access code, name:")
    for registration_number, name, code in result.candidates[:40]:
        click.echo(f"  {registration_number}  {code}  {name}")
    click.echo(
        "\nStart the room as giamthi1 or admin (Rooms → Start the room),"
        " then sign in as a candidate."
    )


# --- attempts ---------------------------------------------------------------------------------


@main.command("finalise-due")
@with_appcontext
def finalise_due() -> None:
    """Finalise every attempt whose time is over (the server collects papers at the deadline)."""
    from exam_server.lifecycle import finalise_due_attempts

    session = _session()
    try:
        count = finalise_due_attempts(session, utcnow(), current_app.config["SAVE_GRACE_SECONDS"])
        session.commit()
    finally:
        session.close()
    click.echo(f"Finalised {count} attempts")


# --- serving ---------------------------------------------------------------------------------


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers", default=None, type=int, help="Default: 2 × cores + 1 (1 on SQLite: one writer)."
)
@click.option(
    "--threads",
    default=16,
    show_default=True,
    type=int,
    help="Threads per worker: saves mostly wait on the database.",
)
def run(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the app with gunicorn."""
    from exam_server.delivery.warmup import warm_up
    from exam_server.serve import serve

    app = cli_app_factory()
    warm_up(app)  # before gunicorn forks its workers: shared by all of them
    serve(app, host=host, port=port, workers=workers, threads=threads)


def _register_feature_commands() -> None:
    # The composition root gathers each package's commands; packages never import the root.
    from exam_server.council.cli import COMMANDS as council_commands
    from exam_server.ops.cli import COMMANDS as ops_commands
    from exam_server.setup.cli import COMMANDS as setup_commands
    from question_bank.cli import COMMANDS as bank_commands

    for command in (*setup_commands, *bank_commands, *council_commands, *ops_commands):
        main.add_command(command)


_register_feature_commands()
