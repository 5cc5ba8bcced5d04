"""Exam setup commands (examctl exam / candidates / forms / package …)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from exam_server.db import database, utcnow
from exam_server.models import Exam


@click.group("forms")
def forms_group() -> None:
    """Candidates' stored forms."""


@forms_group.command("generate")
@click.argument("exam_code")
@click.option("--replace", is_flag=True, help="Regenerate every form (draft exams only).")
@with_appcontext
def forms_generate(exam_code: str, replace: bool) -> None:
    """Generate and store the missing forms of EXAM_CODE."""
    from exam_server.setup.form_builder import BlueprintShortfall
    from exam_server.setup.forms import generate_forms

    session = database().session_factory()
    try:
        exam = session.scalar(select(Exam).where(Exam.code == exam_code))
        if exam is None:
            raise click.ClickException(f"No exam with code {exam_code}")
        made = generate_forms(session, exam, utcnow(), replace=replace)
        session.commit()
    except (BlueprintShortfall, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Stored {made} forms")


COMMANDS: list = [forms_group]  # registered on examctl by the composition root
