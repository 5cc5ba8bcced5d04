"""Make an exam's signed results bundle and keep a record of it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.audit_verify import verify_exam
from exam_server.council import exports
from exam_server.council.bundle import Built, build_bundle, load_or_create_key
from exam_server.council.reports import verify_report_rows
from exam_server.council.services import latest_approval
from exam_server.models import Candidate, Exam, ExamPart, User
from exam_server.models.council import Decision, ResultsBundle


def decision_rows(session: Session, exam: Exam) -> list[dict]:
    """Every decision of the exam, revoked ones included, for the archive."""
    sbd = dict(
        session.execute(
            select(Candidate.id, Candidate.registration_number).where(Candidate.exam_id == exam.id)
        ).all()
    )
    parts = dict(
        session.execute(
            select(ExamPart.id, ExamPart.position).where(ExamPart.exam_id == exam.id)
        ).all()
    )
    rows = []
    for d in session.scalars(
        select(Decision).where(Decision.exam_id == exam.id).order_by(Decision.id)
    ):
        rows.append(
            {
                "id": d.id,
                "kind": d.kind,
                "candidate": sbd.get(d.candidate_id),
                "part": parts.get(d.part_id),
                "item_version": d.item_version_id,
                "value": d.value,
                "reason": d.reason,
                "record_ref": d.record_ref,
                "source": d.source,
                "decided_at": iso(d.decided_at),
                "confirmed_at": iso(d.confirmed_at),
                "after_approval": d.after_approval,
                "revoked_at": iso(d.revoked_at),
                "revoke_reason": d.revoke_reason,
                "effect": d.effect,
            }
        )
    return rows


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def make_bundle(
    session: Session,
    exam: Exam,
    actor: User | None,
    now: dt.datetime,
    instance_path: str | Path,
) -> tuple[str, Built]:
    """Build the bundle (exports, audit report, decisions, approval), sign it, record it.

    Must run inside an app context with a locale: the exports are in the user's language.
    """
    approval = latest_approval(session, exam)
    data = exports.gather(session, exam, now, approval=approval)
    report = verify_exam(session, exam)
    files = {
        "results.xlsx": exports.to_xlsx(data),
        "results.csv": exports.to_csv(data),
        "results.pdf": exports.to_pdf(data),
        "audit.json": dumps(
            {
                "ok": report.ok,
                "attempts": len(report.attempts),
                "events": report.events_checked,
                "mismatches": verify_report_rows(report),
            }
        ),
        "decisions.json": dumps(decision_rows(session, exam)),
    }
    if approval is not None:
        files["approval.json"] = dumps(
            {
                "approved_at": iso(approval.approved_at),
                "approved_by": approval.approved_by_id,
                "results_sha256": approval.results_sha256,
                "note": approval.note,
                "results": approval.snapshot,
            }
        )
    key = load_or_create_key(instance_path)
    built = build_bundle(
        files,
        {"exam": exam.code, "exam_name": exam.name, "exam_status": exam.status},
        key,
        iso(now),
    )
    filename = f"bundle-{exam.code}-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.zip"
    session.add(
        ResultsBundle(
            exam_id=exam.id,
            created_by_id=actor.id if actor else None,
            created_at=now,
            filename=filename,
            manifest_sha256=built.manifest_sha256,
            key_fingerprint=built.key_fingerprint,
            signature=built.signature,
        )
    )
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor else "system",
        actor_id=actor.id if actor else None,
        action="council_bundle",
        target_type="exam",
        target_id=exam.id,
        details={"file": filename, "manifest_sha256": built.manifest_sha256},
    )
    return filename, built


def dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()
