"""Council commands: analyze, audit (verify, bundles) and results."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from exam_server.db import database
from exam_server.models import Exam

LANGUAGES = ("vi", "en")
lang_option = click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the messages (default: the configured default language).",
)


@contextmanager
def language(lang: str | None):
    """Speak `lang`, or the configured default language, for the command's messages."""
    with force_locale(lang or current_app.config.get("DEFAULT_LOCALE", "vi")):
        yield


def load_exam(session, exam_code: str) -> Exam:
    exam = session.scalar(select(Exam).where(Exam.code == exam_code))
    if exam is None:
        raise click.ClickException(_("No exam with the code %(code)s.", code=exam_code))
    return exam


# --- analyze ------------------------------------------------------------------------------


@click.command("analyze")
@click.argument("responses", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--rasch", is_flag=True, help="Add Rasch difficulties (marginal maximum likelihood).")
@lang_option
@with_appcontext
def analyze(responses: str, as_json: bool, rasch: bool, lang: str | None) -> None:
    """Item and test statistics for a response matrix CSV (one row per candidate)."""
    from exam_server.council.messages import analyze_message
    from scoring.analyze import AnalyzeInputError, analyze_csv

    text = Path(responses).read_bytes()
    try:
        report = analyze_csv(text, rasch=rasch)
    except AnalyzeInputError as exc:
        with language(lang):
            click.echo(f"{responses}: {analyze_message(exc.message_id, exc.params)}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    test = report["test"]
    click.echo(
        f"n={test['n']} mean={_fmt(test['mean'])} sd={_fmt(test['sd'])} "
        f"alpha={_fmt(test['cronbach_alpha'])}"
        + (f" rasch_loglik={test['rasch_loglik']:.3f}" if rasch else "")
    )
    header = f"{'item':<20}{'facility':>10}{'disc':>10}{'pbis':>10}"
    click.echo(header + (f"{'rasch_b':>10}" if rasch else ""))
    for item in report["items"]:
        line = (
            f"{item['item']:<20}{_fmt(item['facility']):>10}"
            f"{_fmt(item['discrimination_index']):>10}{_fmt(item['point_biserial']):>10}"
        )
        if rasch:
            line += f"{_fmt(item['rasch_difficulty']):>10}"
        click.echo(line)


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


# --- audit --------------------------------------------------------------------------------


@click.group("audit")
def audit_group() -> None:
    """Tamper evidence: recompute chains and scores, sign and check results bundles."""


@audit_group.command("verify")
@click.argument("exam_code")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@lang_option
@with_appcontext
def audit_verify(exam_code: str, as_json: bool, lang: str | None) -> None:
    """Recompute every hash chain, answer and score of EXAM_CODE; exit 0 only if all match."""
    from exam_server.audit_verify import verify_exam
    from exam_server.council.reports import verify_report_rows

    session = database().session_factory()
    try:
        with language(lang):
            exam = load_exam(session, exam_code)
            report = verify_exam(session, exam)
            rows = verify_report_rows(report)
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "exam": exam.code,
                            "ok": report.ok,
                            "attempts": len(report.attempts),
                            "events": report.events_checked,
                            "mismatches": rows,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                _print_verify(exam, report, rows)
    finally:
        session.close()
    sys.exit(0 if report.ok else 1)


def _print_verify(exam: Exam, report, rows: list[dict]) -> None:
    click.echo(
        _(
            "Exam %(code)s: %(attempts)d attempts and %(events)d events checked.",
            code=exam.code,
            attempts=len(report.attempts),
            events=report.events_checked,
        )
    )
    if report.ok:
        click.echo(
            _("All match: every hash chain, answer and score follows from the stored events.")
        )
        return
    click.echo(_("%(n)d mismatches found:", n=len(rows)))
    for row in rows:
        where = _(
            "candidate %(sbd)s, part %(part)s, attempt %(attempt)s",
            sbd=row["candidate"],
            part=row["part"],
            attempt=row["attempt"],
        )
        if row["event"] is not None:
            where += ", " + _("event %(n)s", n=row["event"])
        click.echo(f"- {where}: {row['message']}")
        click.echo(
            "    "
            + _(
                "expected: %(expected)s; found: %(found)s",
                expected=json.dumps(row["expected"], ensure_ascii=False),
                found=json.dumps(row["found"], ensure_ascii=False),
            )
        )


@audit_group.command("bundle")
@click.argument("exam_code")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Folder to write the bundle into.",
)
@lang_option
@with_appcontext
def audit_bundle(exam_code: str, out_dir: str, lang: str | None) -> None:
    """Write EXAM_CODE's signed results bundle (exports, audit, decisions) as a zip."""
    from exam_server.council.bundling import make_bundle
    from exam_server.council.exports import ExportUnavailable
    from exam_server.db import utcnow

    session = database().session_factory()
    try:
        with language(lang):
            exam = load_exam(session, exam_code)
            try:
                filename, built = make_bundle(
                    session, exam, None, utcnow(), current_app.instance_path
                )
            except ExportUnavailable as exc:
                raise click.ClickException(str(exc)) from exc
            target = Path(out_dir) / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(built.data)
            session.commit()
            click.echo(_("Bundle written: %(path)s", path=str(target)))
            click.echo(_("Signing key fingerprint: %(fp)s", fp=built.key_fingerprint))
    finally:
        session.close()


@audit_group.command("verify-bundle")
@click.argument("path", type=click.Path(exists=True))
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The council's published public key (PEM). Default: this server's signing key.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@lang_option
@with_appcontext
def audit_verify_bundle(path: str, public_key: str | None, as_json: bool, lang: str | None):
    """Check a results bundle's signature and every file's SHA-256; exit 0 only if intact."""
    from exam_server.council.bundle import (
        BundleError,
        load_public_key,
        trusted_public_key,
        verify_bundle,
    )
    from exam_server.council.messages import bundle_problem

    with language(lang):
        try:
            key = (
                load_public_key(Path(public_key).read_bytes())
                if public_key
                else trusted_public_key(current_app.instance_path)
            )
        except (BundleError, ValueError) as exc:
            raise click.ClickException(
                _("The public key cannot be read: %(e)s", e=str(exc))
            ) from exc
        if key is None:
            raise click.ClickException(
                _("No trusted key: give the council's public key with --public-key.")
            )
        try:
            check = verify_bundle(Path(path), key)
        except BundleError as exc:
            raise click.ClickException(_("Not a results bundle: %(e)s", e=str(exc))) from exc
        problems = [
            {"what": code, "file": name, "message": bundle_problem(code, name)}
            for code, name in check.problems
        ]
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "ok": check.ok,
                        "exam": check.manifest.get("exam"),
                        "signature_ok": check.signature_ok,
                        "files": check.checked_files,
                        "problems": problems,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(
                _(
                    "Bundle of exam %(code)s made %(at)s: %(n)d files listed.",
                    code=check.manifest.get("exam", "?"),
                    at=check.manifest.get("created_at", "?"),
                    n=len(check.manifest.get("files", [])),
                )
            )
            if check.ok:
                click.echo(_("Intact: the signature is valid and every file matches its digest."))
            for problem in problems:
                click.echo(f"- {problem['message']}")
    sys.exit(0 if check.ok else 1)


@audit_group.command("public-key")
@with_appcontext
def audit_public_key() -> None:
    """Print the council's public key (PEM) and its fingerprint, creating the key pair once."""
    from exam_server.council.bundle import fingerprint, load_or_create_key, public_pem

    key = load_or_create_key(current_app.instance_path).public_key()
    click.echo(public_pem(key).decode().strip())
    click.echo(f"fingerprint sha256: {fingerprint(key)}")


# --- results ------------------------------------------------------------------------------


@click.group("results")
def results_group() -> None:
    """Compiled results: sanctions, credited questions and other council decisions applied."""


@results_group.command("compile")
@click.argument("exam_code")
@lang_option
@with_appcontext
def results_compile(exam_code: str, lang: str | None) -> None:
    """Compile EXAM_CODE's results from the stored attempts and the confirmed decisions."""
    from exam_server.council.services import CouncilError, compile_results
    from exam_server.db import utcnow

    session = database().session_factory()
    try:
        with language(lang):
            exam = load_exam(session, exam_code)
            try:
                changes = compile_results(session, exam, None, utcnow())
            except CouncilError as exc:
                raise click.ClickException(str(exc.message)) from exc
            session.commit()
            click.echo(_("Results compiled; %(n)d part results changed.", n=len(changes)))
    finally:
        session.close()


COMMANDS: list = [
    analyze,
    audit_group,
    results_group,
]  # registered on examctl by the composition root
