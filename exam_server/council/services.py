"""Council services: record, confirm and revoke decisions; compile, approve and freeze results.

Every function takes the session, the actor and `now`, writes an audit row, and leaves the
commit to the caller.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.audit_verify import verify_exam
from exam_server.council.compile import compile_and_store, key_change_of, snapshot
from exam_server.models import Attempt, Candidate, Exam, ExamPart, Form, FormItem, ItemVersion, User
from exam_server.models.council import (
    DECISION_KINDS,
    Decision,
    PositionQuota,
    ResultApproval,
)
from exam_server.results import item_key
from exam_server.text import nfc
from scoring import ResultChange, amend_key
from scoring.adjustments import DEDUCTIONS, VOIDING

APPROVABLE_STATUSES = ("in_progress", "closed")
SANCTION_NAMES = (*DEDUCTIONS, *sorted(VOIDING))
CANDIDATE_KINDS = ("sanction", "unsigned", "interview", "priority", "extension")
ITEM_KINDS = ("faulty_item", "accept_option", "accept_text")


class CouncilError(ValueError):
    """A council action refused, with a message for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class ResultsFrozen(CouncilError):
    """The results are approved: only a recorded decision may change them."""


@dataclass(frozen=True)
class DecisionDraft:
    """What the chair decides; ids are checked against the exam."""

    kind: str
    reason: str
    candidate_id: int | None = None
    part_id: int | None = None
    item_version_id: int | None = None
    value: dict | None = None
    record_ref: str | None = None


# --- validation --------------------------------------------------------------------------


def clean_draft(session: Session, exam: Exam, draft: DecisionDraft) -> dict[str, Any]:
    """Check a decision against the exam and return the column values to store."""
    if draft.kind not in DECISION_KINDS:
        raise CouncilError(_l("Unknown kind of decision."))
    reason = nfc(draft.reason or "").strip()
    if not reason:
        raise CouncilError(_l("Give the reason for the decision, as minuted."))
    value = dict(draft.value or {})
    candidate = session.get(Candidate, draft.candidate_id) if draft.candidate_id else None
    if draft.candidate_id and (candidate is None or candidate.exam_id != exam.id):
        raise CouncilError(_l("This candidate is not registered for this exam."))
    part = session.get(ExamPart, draft.part_id) if draft.part_id else None
    if draft.part_id and (part is None or part.exam_id != exam.id):
        raise CouncilError(_l("This part does not belong to this exam."))
    if draft.kind in CANDIDATE_KINDS and candidate is None:
        raise CouncilError(_l("Choose the candidate the decision concerns."))
    if draft.kind == "unsigned" and part is None:
        raise CouncilError(_l("Choose the part whose result list was not signed."))
    if draft.kind == "sanction":
        value = clean_sanction(value)
    elif draft.kind == "interview":
        value = {"score": clean_number(value.get("score"), 0.0, 100.0)}
    elif draft.kind == "priority":
        value = {"points": clean_number(value.get("points"), 0.0, 100.0)}
    elif draft.kind == "extension":
        value = {"minutes": clean_number(value.get("minutes"), 0.0, 600.0)}
    version = None
    if draft.kind in ITEM_KINDS:
        version = session.get(ItemVersion, draft.item_version_id) if draft.item_version_id else None
        if version is None or not item_in_exam(session, exam, version.id):
            raise CouncilError(_l("This question was not on any form of this exam."))
        value = clean_key_change(draft.kind, value, version)
    return {
        "kind": draft.kind,
        "reason": reason,
        "candidate_id": candidate.id if candidate else None,
        "part_id": part.id if part else None,
        "item_version_id": version.id if version else None,
        "value": value,
        "record_ref": nfc(draft.record_ref).strip()[:100] if draft.record_ref else None,
    }


def clean_sanction(value: dict) -> dict:
    name = value.get("sanction")
    if name not in SANCTION_NAMES:
        raise CouncilError(
            _l("Choose the sanction: reprimand, warning, suspension or cancellation.")
        )
    cleaned: dict[str, Any] = {"sanction": name}
    if value.get("deduction") not in (None, ""):
        if name not in DEDUCTIONS:
            raise CouncilError(_l("Only a reprimand or a warning deducts a share."))
        cleaned["deduction"] = clean_number(value["deduction"], 0.0, 1.0)
    return cleaned


def clean_number(raw: Any, lower: float, upper: float) -> float:
    try:
        number = float(str(raw).replace(",", "."))
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not lower <= number <= upper:
        raise CouncilError(
            _l(
                "Enter a number from %(lower)s to %(upper)s.",
                lower=f"{lower:g}",
                upper=f"{upper:g}",
            )
        )
    return number


def clean_key_change(kind: str, value: dict, version: ItemVersion) -> dict:
    if kind == "faulty_item":
        cleaned: dict[str, Any] = {}
    elif kind == "accept_option":
        cleaned = {"option_id": str(value.get("option_id") or "")}
    else:
        try:
            blank = int(value.get("blank", 0))
        except (TypeError, ValueError):
            blank = -1
        cleaned = {"blank": blank, "text": nfc(str(value.get("text") or "")).strip()}
    probe = Decision(kind=kind, value=cleaned)
    try:
        amend_key(item_key(version, 1.0), [key_change_of(probe)])
    except ValueError:
        raise CouncilError(_l("This change does not fit the question's type or options.")) from None
    return cleaned


def item_in_exam(session: Session, exam: Exam, version_id: int) -> bool:
    return (
        session.scalar(
            select(FormItem.id)
            .join(Form, Form.id == FormItem.form_id)
            .join(ExamPart, ExamPart.id == Form.part_id)
            .where(ExamPart.exam_id == exam.id, FormItem.item_version_id == version_id)
            .limit(1)
        )
        is not None
    )


# --- decisions ---------------------------------------------------------------------------


def record_decision(
    session: Session, exam: Exam, draft: DecisionDraft, actor: User, now: dt.datetime
) -> tuple[Decision, list[ResultChange]]:
    """Record a council decision (confirmed at once), recompile, and keep its effect."""
    values = clean_draft(session, exam, draft)
    decision = Decision(
        exam_id=exam.id,
        source="council",
        decided_by_id=actor.id,
        decided_at=now,
        confirmed_by_id=actor.id,
        confirmed_at=now,
        after_approval=exam.status == "results_approved",
        **values,
    )
    session.add(decision)
    session.flush()
    changes = take_effect(session, exam, decision, now)
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="council_decision",
        target_type="candidate" if decision.candidate_id else "exam",
        target_id=decision.candidate_id or exam.id,
        details={
            "decision": decision.id,
            "kind": decision.kind,
            "value": decision.value,
            "changed": len(changes),
        },
    )
    return decision, changes


def confirm_decision(
    session: Session, decision: Decision, actor: User, now: dt.datetime
) -> list[ResultChange]:
    """Confirm a decision recorded in a room (e.g. a sanction minuted by the proctors)."""
    if decision.confirmed_at is not None or decision.revoked_at is not None:
        raise CouncilError(_l("This decision is already confirmed or revoked."))
    exam = session.get(Exam, decision.exam_id)
    clean_draft(
        session,
        exam,
        DecisionDraft(
            decision.kind,
            decision.reason,
            decision.candidate_id,
            decision.part_id,
            decision.item_version_id,
            decision.value,
        ),
    )
    decision.confirmed_by_id = actor.id
    decision.confirmed_at = now
    decision.after_approval = exam.status == "results_approved"
    changes = take_effect(session, exam, decision, now)
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="council_decision_confirmed",
        target_type="candidate" if decision.candidate_id else "exam",
        target_id=decision.candidate_id or exam.id,
        details={"decision": decision.id, "changed": len(changes)},
    )
    return changes


def revoke_decision(
    session: Session, decision: Decision, reason: str, actor: User, now: dt.datetime
) -> list[ResultChange]:
    """Revoke a decision (kept, marked revoked) and recompile."""
    if decision.revoked_at is not None:
        raise CouncilError(_l("This decision is already revoked."))
    reason = nfc(reason or "").strip()
    if not reason:
        raise CouncilError(_l("Give the reason for revoking the decision."))
    exam = session.get(Exam, decision.exam_id)
    decision.revoked_by_id = actor.id
    decision.revoked_at = now
    decision.revoke_reason = reason
    changes = compile_and_store(session, exam, now)
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="council_decision_revoked",
        target_type="candidate" if decision.candidate_id else "exam",
        target_id=decision.candidate_id or exam.id,
        details={"decision": decision.id, "reason": reason, "changes": effect_rows(changes)},
    )
    return changes


def take_effect(
    session: Session, exam: Exam, decision: Decision, now: dt.datetime
) -> list[ResultChange]:
    changes = compile_and_store(session, exam, now)
    decision.effect = effect_rows(changes)
    return changes


def effect_rows(changes: list[ResultChange]) -> list[dict]:
    """Return a before/after report as JSON-able rows (kept on the decision)."""
    rows = []
    for change in changes:
        candidate_id, part_id = change.key
        rows.append(
            {
                "candidate_id": candidate_id,
                "part_id": part_id,
                "before": figures(change.before),
                "after": figures(change.after),
            }
        )
    return rows


def figures(result) -> dict | None:
    if result is None:
        return None
    return {
        "correct": result.correct_count,
        "adjusted_correct": result.adjusted_correct,
        "score_100": result.score_100,
        "passed": result.passed,
    }


# --- compiling and approving -----------------------------------------------------------------


def compile_results(
    session: Session, exam: Exam, actor: User | None, now: dt.datetime
) -> list[ResultChange]:
    """Recompile an exam's results; refused once approved (a decision is needed then)."""
    if exam.status == "results_approved":
        raise ResultsFrozen(
            _l("The results are approved; only a recorded decision can change them.")
        )
    changes = compile_and_store(session, exam, now)
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor else "system",
        actor_id=actor.id if actor else None,
        action="council_compile",
        target_type="exam",
        target_id=exam.id,
        details={"changed": len(changes)},
    )
    return changes


def approve_results(
    session: Session, exam: Exam, actor: User, now: dt.datetime, note: str = ""
) -> ResultApproval:
    """Approve the compiled results: every paper collected and the audit clean, then freeze."""
    if exam.status not in (*APPROVABLE_STATUSES, "results_approved"):
        raise CouncilError(_l("Results can be approved only after the exam has been held."))
    open_attempt = session.scalar(
        select(Attempt.id)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.exam_id == exam.id, Attempt.state == "in_progress")
        .limit(1)
    )
    if open_attempt is not None:
        raise CouncilError(_l("Some papers are not collected yet; close every room first."))
    report = verify_exam(session, exam)
    if not report.ok:
        raise CouncilError(
            _l(
                "The audit found %(n)d mismatches; results cannot be approved until they are "
                "resolved.",
                n=len(report.mismatches),
            )
        )
    if exam.status != "results_approved":
        compile_and_store(session, exam, now)
    rows, digest = snapshot(session, exam)
    approval = ResultApproval(
        exam_id=exam.id,
        approved_by_id=actor.id,
        approved_at=now,
        results_sha256=digest,
        snapshot=rows,
        note=nfc(note or "").strip() or None,
    )
    session.add(approval)
    exam.status = "results_approved"
    session.flush()
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="council_results_approved",
        target_type="exam",
        target_id=exam.id,
        details={"approval": approval.id, "sha256": digest, "candidates": len(rows)},
    )
    return approval


def set_places(
    session: Session, exam: Exam, position: str, places: int, actor: User, now: dt.datetime
) -> list[ResultChange]:
    """Set how many places a position has (round-2 ranking), then recompile."""
    if exam.status == "results_approved":
        raise ResultsFrozen(
            _l("The results are approved; only a recorded decision can change them.")
        )
    position = nfc(position or "").strip()
    if not position or places < 0:
        raise CouncilError(_l("Give the position and a number of places of 0 or more."))
    quota = session.scalar(
        select(PositionQuota).where(
            PositionQuota.exam_id == exam.id, PositionQuota.position == position
        )
    )
    if quota is None:
        quota = PositionQuota(exam_id=exam.id, position=position, places=places)
        session.add(quota)
    quota.places = places
    session.flush()
    changes = compile_and_store(session, exam, now)
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="council_places_set",
        target_type="exam",
        target_id=exam.id,
        details={"position": position, "places": places},
    )
    return changes


def latest_approval(session: Session, exam: Exam) -> ResultApproval | None:
    return session.scalar(
        select(ResultApproval)
        .where(ResultApproval.exam_id == exam.id)
        .order_by(ResultApproval.approved_at.desc(), ResultApproval.id.desc())
        .limit(1)
    )


def changed_since_approval(session: Session, exam: Exam) -> bool | None:
    """Return whether the compiled results differ from the last approval (None: none yet)."""
    approval = latest_approval(session, exam)
    if approval is None:
        return None
    return snapshot(session, exam)[1] != approval.results_sha256
