"""Exam setup commands (examctl exam / candidates / forms …): thin wrappers over the services."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from exam_server.db import database, utcnow
from exam_server.models import Exam, Subject, User
from exam_server.setup.errors import SetupError


def _session():
    return database().session_factory()


@contextmanager
def _unit_of_work():
    """A session for one command: committed by the command, rolled back and reported on a
    refusal (with each listed problem or row error on its own line), always closed."""
    session = _session()
    try:
        yield session
    except SetupError as exc:
        session.rollback()
        for line in getattr(exc, "problems", None) or getattr(exc, "errors", None) or ():
            click.echo(f"  - {line}", err=True)
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()


def find_exam(session, ref: str) -> Exam:
    """An exam by code, or by number."""
    exam = session.scalar(select(Exam).where(Exam.code == ref.strip().upper()))
    if exam is None and ref.isdigit():
        exam = session.get(Exam, int(ref))
    if exam is None:
        raise click.ClickException(f"No exam with code or id {ref}")
    return exam


def _actor(session, username: str | None) -> int | None:
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No staff account {username}")
    return user.id


def _registry():
    from exam_server.setup.presets import instance_presets_file, load_presets

    return load_presets(instance_presets_file(current_app.instance_path))


def _write(path: str, data: bytes) -> None:
    Path(path).write_bytes(data)
    click.echo(f"Wrote {path} ({len(data)} bytes)")


# --- exams --------------------------------------------------------------------------------------


@click.group("exam")
def exam_group() -> None:
    """Exams: presets, creation, publishing, printed lists and session codes."""


@exam_group.command("presets")
@with_appcontext
def exam_presets() -> None:
    """List the presets an exam can be created from."""
    for name, preset in _registry().items():
        parts = "; ".join(
            f"{p.title} {p.item_count} q/{p.duration_minutes} min" for p in preset.parts
        )
        click.echo(f"{name:<28} {preset.kind:<20} {parts}")


@exam_group.command("create")
@click.option("--preset", "preset_name", required=True, help="Preset name (see: exam presets).")
@click.option("--code", required=True, help="Exam code, e.g. TT2026-V1.")
@click.option("--name", required=True, help="Exam name as printed.")
@click.option(
    "--subject",
    "subjects",
    multiple=True,
    help="Subject code per part, in order (default: the first subject of the part's kind).",
)
@click.option("--by", "username", default=None, help="Staff account recorded as the author.")
@with_appcontext
def exam_create(preset_name: str, code: str, name: str, subjects: tuple, username: str) -> None:
    """Create a draft exam from a preset; its values are copied and stay editable."""
    from exam_server.setup.exams import create_exam

    registry = _registry()
    if preset_name not in registry:
        raise click.ClickException(
            f"No preset {preset_name}; choose one of: {', '.join(sorted(registry))}"
        )
    with _unit_of_work() as session:
        subject_ids = []
        for subject_code in subjects:
            subject = session.scalar(select(Subject).where(Subject.code == subject_code))
            if subject is None:
                raise click.ClickException(f"No subject {subject_code}")
            subject_ids.append(subject.id)
        exam = create_exam(
            session,
            registry[preset_name],
            code=code,
            name=name,
            now=utcnow(),
            actor_id=_actor(session, username),
            subject_ids=subject_ids,
        )
        session.commit()
        click.echo(f"Created exam {exam.code} (id {exam.id}) from {preset_name}:")
        for part in exam.parts:
            click.echo(
                f"  {part.position}. {part.title}: {part.item_count} items,"
                f" {part.duration_minutes} min, {len(part.blueprint)} blueprint cells"
            )


@exam_group.command("publish")
@click.argument("exam_ref")
@click.option("--by", "username", default=None, help="Staff account recorded as publisher.")
@with_appcontext
def exam_publish(exam_ref: str, username: str) -> None:
    """Check EXAM against the bank, store missing forms and freeze it."""
    from exam_server.setup.publishing import publish_exam

    with _unit_of_work() as session:
        exam = find_exam(session, exam_ref)
        made = publish_exam(session, exam, now=utcnow(), actor_id=_actor(session, username))
        session.commit()
    click.echo(f"Published {exam_ref}; stored {made} new forms")


@exam_group.command("room-lists")
@click.argument("exam_ref")
@click.option("-o", "--output", required=True, help="PDF file to write.")
@with_appcontext
def exam_room_lists(exam_ref: str, output: str) -> None:
    """Print the candidate list of every room and shift (PDF)."""
    from exam_server.setup.documents import room_sheets
    from exam_server.setup.pdfs import room_lists_pdf

    session = _session()
    try:
        exam = find_exam(session, exam_ref)
        data = room_lists_pdf(exam.name, room_sheets(session, exam))
    finally:
        session.close()
    _write(output, data)


@exam_group.command("session-codes")
@click.argument("exam_ref")
@click.option("-o", "--output", required=True, help="PDF file for the sealed envelopes.")
@with_appcontext
def exam_session_codes(exam_ref: str, output: str) -> None:
    """Issue a new session code per shift and print the sheets to seal (shown only now)."""
    from exam_server.setup.documents import session_code_sheets
    from exam_server.setup.pdfs import session_code_sheets_pdf
    from exam_server.setup.rooms import issue_session_codes

    with _unit_of_work() as session:
        exam = find_exam(session, exam_ref)
        issued = issue_session_codes(
            session,
            exam,
            rounds=current_app.config["BCRYPT_ROUNDS_CANDIDATE"],
            now=utcnow(),
            actor_id=None,
        )
        data = session_code_sheets_pdf(exam.name, session_code_sheets(session, exam, issued))
        Path(output).write_bytes(data)  # written before commit: a code never printed is never kept
        session.commit()
    click.echo(f"Issued {len(issued)} session codes; sheets in {output}")


# --- candidates ---------------------------------------------------------------------------------


@click.group("candidates")
def candidates_group() -> None:
    """Candidates: import from Excel, access codes and admission slips."""


@candidates_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--exam", "exam_ref", required=True, help="Exam code or id.")
@click.option("--by", "username", default=None, help="Staff account recorded as importer.")
@with_appcontext
def candidates_import(path: str, exam_ref: str, username: str) -> None:
    """Import every candidate of an Excel sheet, or none if any row has an error."""
    from exam_server.setup.candidates import import_candidates

    with _unit_of_work() as session:
        exam = find_exam(session, exam_ref)
        made = import_candidates(
            session,
            exam,
            Path(path).read_bytes(),
            now=utcnow(),
            actor_id=_actor(session, username),
        )
        session.commit()
    click.echo(f"Imported {len(made)} candidates into {exam_ref}")


@candidates_group.command("codes")
@click.argument("exam_ref")
@click.option("-o", "--output", required=True, help="PDF file of admission slips with the codes.")
@click.option("--all", "regenerate_all", is_flag=True, help="Replace every code, not only missing.")
@with_appcontext
def candidates_codes(exam_ref: str, output: str, regenerate_all: bool) -> None:
    """Issue access codes and print admission slips; codes are shown only on these slips."""
    from exam_server.setup.candidates import issue_access_codes
    from exam_server.setup.documents import slips
    from exam_server.setup.pdfs import admission_slips_pdf

    session = _session()
    try:
        exam = find_exam(session, exam_ref)
        issued = issue_access_codes(
            session,
            exam,
            rounds=current_app.config["BCRYPT_ROUNDS_CANDIDATE"],
            now=utcnow(),
            actor_id=None,
            only_missing=not regenerate_all,
        )
        data = admission_slips_pdf(
            exam.name,
            slips(session, [i.candidate for i in issued], {i.candidate.id: i.code for i in issued}),
        )
        Path(output).write_bytes(data)
        session.commit()
    finally:
        session.close()
    click.echo(f"Issued {len(issued)} access codes; admission slips in {output}")


# --- forms ---------------------------------------------------------------------------------------


@click.group("forms")
def forms_group() -> None:
    """Candidates' stored forms."""


@forms_group.command("generate")
@click.argument("exam_code")
@click.option("--replace", is_flag=True, help="Regenerate every form (draft exams only).")
@with_appcontext
def forms_generate(exam_code: str, replace: bool) -> None:
    """Generate and store the missing forms of EXAM_CODE."""
    from exam_server.setup.forms import generate_forms

    with _unit_of_work() as session:
        exam = find_exam(session, exam_code)
        made = generate_forms(session, exam, utcnow(), replace=replace)
        session.commit()
    click.echo(f"Stored {made} forms")


@forms_group.command("report")
@click.argument("exam_code")
@click.option("-o", "--output", default=None, help="Also write the report with plots as a PDF.")
@with_appcontext
def forms_report(exam_code: str, output: str | None) -> None:
    """Form equivalence of EXAM_CODE: expected score per form, coverage, exposure."""
    from exam_server.setup.report import equivalence_pdf, exam_equivalence, summary_lines

    session = _session()
    try:
        exam = find_exam(session, exam_code)
        reports = exam_equivalence(session, exam, charts=bool(output))
        for report in reports:
            click.echo(f"Part {report.position}: {report.title}")
            for line in summary_lines(report):
                click.echo(f"  {line}")
            for cell in report.coverage:
                click.echo(
                    f"  {cell.topic} / {cell.difficulty}: {cell.per_form} per form,"
                    f" {cell.used} of {cell.pool} approved items used"
                )
        data = equivalence_pdf(exam, reports) if output else None
    finally:
        session.close()
    if output:
        _write(output, data)


# --- sealed packages ----------------------------------------------------------------------------


@click.group("package")
def package_group() -> None:
    """Sealed exam packages: keys, export from the office, import on the exam server."""


def _keys_dir() -> Path:
    return Path(current_app.instance_path) / "keys"


@package_group.command("keygen")
@click.option("--out-dir", default=None, help="Folder for the key files (default: instance/keys).")
@with_appcontext
def package_keygen(out_dir: str | None) -> None:
    """Create the office signing key and the council key pair (PEM files, private ones 600)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from exam_server.setup.package import fingerprint, private_pem, public_pem

    folder = Path(out_dir) if out_dir else _keys_dir()
    folder.mkdir(parents=True, exist_ok=True)
    signing, council = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    files = {
        "signing.pem": private_pem(signing),
        "signing.pub.pem": public_pem(signing.public_key()),
        "council.pem": private_pem(council),
        "council.pub.pem": public_pem(council.public_key()),
    }
    for name in files:
        path = folder / name
        if path.exists():
            raise click.ClickException(f"{path} exists; keys are never overwritten")
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        if not name.endswith(".pub.pem"):
            path.chmod(0o600)
    click.echo(f"Keys in {folder}")
    click.echo(f"  signing key {fingerprint(signing.public_key())}")
    click.echo(f"  council key {fingerprint(council.public_key())}")
    click.echo("Keep signing.pem at the office and council.pem with the council only.")


@package_group.command("export")
@click.argument("exam_ref")
@click.option("-o", "--output", required=True, help="Package file to write.")
@click.option("--sign-key", default=None, help="Office signing key (default: instance/keys).")
@click.option("--council-key", default=None, help="Council public key (default: instance/keys).")
@with_appcontext
def package_export(
    exam_ref: str, output: str, sign_key: str | None, council_key: str | None
) -> None:
    """Seal a published exam into one encrypted, signed package file."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    from exam_server.setup.package import export_exam, load_private, load_public

    signing = load_private(
        Path(sign_key or _keys_dir() / "signing.pem").read_bytes(), Ed25519PrivateKey
    )
    council = load_public(
        Path(council_key or _keys_dir() / "council.pub.pem").read_bytes(), X25519PublicKey
    )
    with _unit_of_work() as session:
        exam = find_exam(session, exam_ref)
        data = export_exam(
            session, exam, signing_key=signing, council_key=council, now=utcnow(), actor_id=None
        )
        Path(output).write_bytes(data)
        session.commit()
    click.echo(f"Sealed {exam_ref} into {output} (SHA-256 {hashlib.sha256(data).hexdigest()})")


@package_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--council-key", default=None, help="Council private key (default: instance/keys).")
@click.option(
    "--signer",
    "signers",
    multiple=True,
    help="Trusted signing public key(s) (default: instance/keys/signing.pub.pem).",
)
@click.option("--by", "imported_by", required=True, help="Who loads the package (for the record).")
@click.option("--record", default=None, help="Also write the data-import record as a PDF to sign.")
@with_appcontext
def package_import(
    path: str, council_key: str | None, signers: tuple, imported_by: str, record: str | None
) -> None:
    """Check and open a sealed package, load its exam, and write the data-import record."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from exam_server.setup.documents import when
    from exam_server.setup.package import import_package, load_private, load_public
    from exam_server.setup.pdfs import ImportRecordSheet, data_import_pdf

    council = load_private(
        Path(council_key or _keys_dir() / "council.pem").read_bytes(), X25519PrivateKey
    )
    trusted = [
        load_public(Path(p).read_bytes(), Ed25519PublicKey)
        for p in (signers or [str(_keys_dir() / "signing.pub.pem")])
    ]
    with _unit_of_work() as session:
        made = import_package(
            session,
            Path(path).read_bytes(),
            council_key=council,
            trusted_signers=trusted,
            imported_by=imported_by,
            now=utcnow(),
        )
        exam = session.get(Exam, made.exam_id)
        sheet = ImportRecordSheet(
            exam=f"{exam.name} ({exam.code})",
            imported_at=when(made.imported_at),
            imported_by=made.imported_by,
            package_sha256=made.package_sha256,
            signer=made.signer_fingerprint,
            counts=made.counts,
        )
        if record:
            Path(record).write_bytes(data_import_pdf(sheet))
        session.commit()
    click.echo(f"Loaded exam {sheet.exam}")
    click.echo(f"  at {sheet.imported_at} by {sheet.imported_by}")
    click.echo(f"  package SHA-256 {sheet.package_sha256}")
    click.echo(f"  signed by key {sheet.signer}")
    click.echo("  " + ", ".join(f"{k}: {v}" for k, v in sheet.counts.items()))


COMMANDS: list = [
    exam_group,
    candidates_group,
    forms_group,
    package_group,
]  # registered by the composition root
