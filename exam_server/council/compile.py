"""Compile an exam's results from stored attempts and the council's decisions.

The adapter between rows and scoring.compilation: it picks each candidate's attempt per part,
re-scores the attempts a key change touches (from the stored answers and forms), applies
the confirmed sanctions, and stores the outcome in the council tables. The attempt rows keep
the results written at finalisation; they are never changed here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server.models import (
    Answer,
    Attempt,
    Candidate,
    Exam,
    ExamPart,
    FormItem,
    ItemVersion,
)
from exam_server.models.council import (
    CandidateResultRecord,
    Decision,
    PartResultRecord,
    PositionQuota,
)
from exam_server.results import item_key, scoring_response
from scoring import (
    CandidateOutcome,
    Contender,
    ItemScorer,
    KeyChange,
    PartResult,
    PartSitting,
    PassRule,
    ResultChange,
    RoundTwoRules,
    Sanction,
    amend_key,
    combine,
    compile_candidate,
    rank_position,
    result_changes,
    score_part,
)

ROUND_TWO_KINDS = ("recruitment_round2",)
KEY_CHANGE_KINDS = ("faulty_item", "accept_option", "accept_text")
SANCTION_KINDS = ("sanction", "unsigned")


@dataclass
class Compiled:
    """An exam's compiled results, before they are stored."""

    outcomes: dict[int, CandidateOutcome] = field(default_factory=dict)  # by candidate id
    attempts: dict[tuple[int, int], Attempt] = field(default_factory=dict)  # (cand, part)
    # Part results as stored at finalisation and as re-scored after key changes.
    stored: dict[tuple[int, int], PartResult] = field(default_factory=dict)
    rescored: dict[tuple[int, int], PartResult] = field(default_factory=dict)
    decision_ids: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    round_two: dict[int, dict] = field(default_factory=dict)  # by candidate id


# --- decisions -> scoring inputs -----------------------------------------------------------


def active_decisions(session: Session, exam_id: int) -> list[Decision]:
    """Return the confirmed, unrevoked decisions of an exam in the order they were made."""
    return list(
        session.scalars(
            select(Decision)
            .where(
                Decision.exam_id == exam_id,
                Decision.confirmed_at.is_not(None),
                Decision.revoked_at.is_(None),
            )
            .order_by(Decision.decided_at, Decision.id)
        )
    )


def key_change_of(decision: Decision) -> KeyChange:
    """Return the key change a faulty_item / accept_option / accept_text decision makes."""
    value = decision.value or {}
    if decision.kind == "faulty_item":
        return KeyChange("credit_all")
    if decision.kind == "accept_option":
        return KeyChange("accept_option", option_id=value.get("option_id"))
    return KeyChange("accept_text", blank=int(value.get("blank", 0)), text=value.get("text"))


def sanction_of(decision: Decision) -> Sanction:
    if decision.kind == "unsigned":
        return Sanction("unsigned_result_list", source=decision.id)
    value = decision.value or {}
    deduction = value.get("deduction")
    return Sanction(
        value.get("sanction", ""),
        float(deduction) if deduction is not None else None,
        source=decision.id,
    )


# --- loading ---------------------------------------------------------------------------------


def chosen_attempts(session: Session, exam: Exam) -> dict[tuple[int, int], Attempt]:
    """Return the attempt that counts per (candidate, part): the latest one not voided.

    A retake after a computer incident is a new attempt with a higher number and the old one
    is marked voided, so the latest unvoided attempt is the one the rules count.
    """
    chosen: dict[tuple[int, int], Attempt] = {}
    rows = session.scalars(
        select(Attempt)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.exam_id == exam.id, Attempt.state != "voided")
        .order_by(Attempt.attempt_no)
    )
    for attempt in rows:
        chosen[(attempt.candidate_id, attempt.part_id)] = attempt
    return chosen


def stored_result(attempt: Attempt, part: ExamPart, item_count: int) -> PartResult:
    """Rebuild the part result stored on a finalised attempt."""
    return PartResult(
        item_count=item_count,
        answered_count=attempt.answered_count or 0,
        correct_count=attempt.correct_count or 0,
        earned=attempt.earned_points or 0.0,
        maximum=attempt.max_points or 0.0,
        share_correct=attempt.share_correct or 0.0,
        score_100=attempt.score_100 or 0.0,
        passed=bool(attempt.passed),
        basis=part.pass_basis,
        threshold=part.pass_threshold,
    )


def form_lengths(session: Session, form_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        session.execute(
            select(FormItem.form_id, func.count(FormItem.id))
            .where(FormItem.form_id.in_(list(form_ids)))
            .group_by(FormItem.form_id)
        ).all()
    )


def rescore_attempts(
    session: Session,
    exam: Exam,
    attempts: Iterable[Attempt],
    parts: dict[int, ExamPart],
    changes: dict[int, list[KeyChange]],
) -> tuple[dict[int, PartResult], dict[int, set[int]]]:
    """Re-score the attempts whose form holds an item with a key change.

    Return the new results by attempt id, and the changed item versions each attempt held.
    """
    attempts = list(attempts)
    if not changes or not attempts:
        return {}, {}
    by_form: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_form[attempt.form_id].append(attempt)
    touched = set(
        session.scalars(
            select(FormItem.form_id).where(
                FormItem.form_id.in_(list(by_form)),
                FormItem.item_version_id.in_(list(changes)),
            )
        )
    )
    if not touched:
        return {}, {}
    items: dict[int, list[tuple[FormItem, ItemVersion]]] = defaultdict(list)
    for form_item, version in session.execute(
        select(FormItem, ItemVersion)
        .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
        .where(FormItem.form_id.in_(touched))
        .order_by(FormItem.form_id, FormItem.position)
    ):
        items[form_item.form_id].append((form_item, version))
    affected = [a for form_id in touched for a in by_form[form_id]]
    responses: dict[int, dict[int, object]] = defaultdict(dict)
    for answer in session.scalars(
        select(Answer).where(Answer.attempt_id.in_([a.id for a in affected]))
    ):
        responses[answer.attempt_id][answer.position] = answer.response
    rescored = {}
    held: dict[int, set[int]] = {}
    # One scorer per (version, points): keys are built once and each distinct response to an
    # item is scored once, however many attempts share it.
    scorers: dict[tuple[int, float], ItemScorer] = {}
    for attempt in affected:
        part = parts[attempt.part_id]
        scores = []
        for form_item, version in items[attempt.form_id]:
            scorer = scorers.get((version.id, form_item.points))
            if scorer is None:
                key = amend_key(item_key(version, form_item.points), changes.get(version.id, ()))
                scorer = scorers[(version.id, form_item.points)] = ItemScorer(
                    key, exam.multi_response_policy
                )
            stored = responses[attempt.id].get(form_item.position)
            scores.append(scorer(scoring_response(version, form_item.option_order, stored)))
            if version.id in changes:
                held.setdefault(attempt.id, set()).add(version.id)
        rescored[attempt.id] = score_part(scores, PassRule(part.pass_basis, part.pass_threshold))
    return rescored, held


# --- compiling ---------------------------------------------------------------------------------


def compute(session: Session, exam: Exam, decisions: list[Decision] | None = None) -> Compiled:
    """Compile every candidate's results from the stored attempts and the active decisions."""
    if decisions is None:
        decisions = active_decisions(session, exam.id)
    parts = {part.id: part for part in exam.parts}
    candidates = session.scalars(
        select(Candidate).where(Candidate.exam_id == exam.id).order_by(Candidate.id)
    ).all()
    attempts = chosen_attempts(session, exam)

    key_changes: dict[int, list[KeyChange]] = defaultdict(list)
    sanctions: dict[tuple[int, int | None], list[Sanction]] = defaultdict(list)
    applied: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    interviews: dict[int, float] = {}
    priorities: dict[int, float] = {}
    for decision in decisions:
        if decision.kind in KEY_CHANGE_KINDS and decision.item_version_id is not None:
            key_changes[decision.item_version_id].append(key_change_of(decision))
        elif decision.kind in SANCTION_KINDS and decision.candidate_id is not None:
            target = (decision.candidate_id, decision.part_id)
            sanctions[target].append(sanction_of(decision))
            applied[target].append(decision.id)
        elif decision.kind == "interview" and decision.candidate_id is not None:
            interviews[decision.candidate_id] = float(decision.value["score"])
        elif decision.kind == "priority" and decision.candidate_id is not None:
            priorities[decision.candidate_id] = float(decision.value["points"])

    finalised = [a for a in attempts.values() if a.state == "finalised"]
    lengths = form_lengths(session, {a.form_id for a in finalised})
    rescored_by_attempt, held = rescore_attempts(session, exam, finalised, parts, dict(key_changes))
    key_decisions = [(d.id, d.item_version_id) for d in decisions if d.kind in KEY_CHANGE_KINDS]

    compiled = Compiled()
    for candidate in candidates:
        exempt = set(candidate.exempt_part_ids or [])
        sittings = []
        for part in exam.parts:
            key = (candidate.id, part.id)
            part_sanctions = tuple(sanctions[key] + sanctions[(candidate.id, None)])
            compiled.decision_ids[key] = sorted(applied[key] + applied[(candidate.id, None)])
            attempt = attempts.get(key)
            if part.id in exempt:
                sittings.append(PartSitting(part.id, "exempt"))
                continue
            if attempt is None:
                sittings.append(PartSitting(part.id, "absent", sanctions=part_sanctions))
                continue
            compiled.attempts[key] = attempt
            if attempt.state != "finalised" or attempt.correct_count is None:
                sittings.append(PartSitting(part.id, "in_progress", sanctions=part_sanctions))
                continue
            stored = stored_result(attempt, part, lengths.get(attempt.form_id, part.item_count))
            compiled.stored[key] = stored
            result = rescored_by_attempt.get(attempt.id, stored)
            if attempt.id in held:
                compiled.decision_ids[key] = sorted(
                    set(compiled.decision_ids[key])
                    | {d for d, version in key_decisions if version in held[attempt.id]}
                )
            compiled.rescored[key] = result
            sittings.append(PartSitting(part.id, "sat", result, part_sanctions))
        compiled.outcomes[candidate.id] = compile_candidate(sittings)

    if exam.kind in ROUND_TWO_KINDS and exam.parts:
        compiled.round_two = round_two(
            session, exam, candidates, compiled.outcomes, interviews, priorities
        )
    return compiled


def round_two(
    session: Session,
    exam: Exam,
    candidates,
    outcomes: dict[int, CandidateOutcome],
    interviews: dict[int, float],
    priorities: dict[int, float],
) -> dict[int, dict]:
    """Combine written and interview scores, add priority points, rank per position.

    The written score is the first part's score on 100 after adjustments. With no interview
    score recorded for anyone the round is computer-only (100 % written); otherwise the
    rules' 70/30 with 50 in each applies.
    """
    rules = RoundTwoRules() if interviews else RoundTwoRules(1.0, 0.0)
    first_part = exam.parts[0].id
    figures: dict[int, dict] = {}
    by_position: dict[str, list[Contender]] = defaultdict(list)
    for candidate in candidates:
        outcome = outcomes[candidate.id]
        written_part = next(p for p in outcome.parts if p.part == first_part)
        if written_part.status != "sat" or written_part.result is None:
            continue
        score = combine(
            written_part.result.score_100,
            interviews.get(candidate.id),
            priorities.get(candidate.id, 0.0),
            rules,
        )
        figures[candidate.id] = {
            "written": score.written,
            "interview": score.interview,
            "priority_points": score.priority,
            "combined": score.combined,
            "total": score.total,
            "eligible": score.eligible and outcome.overall == "passed",
        }
        if figures[candidate.id]["eligible"] and score.total is not None:
            by_position[candidate.position_applied or ""].append(
                Contender(candidate.id, score.total, score.written)
            )
    quotas = {
        quota.position: quota.places
        for quota in session.scalars(select(PositionQuota).where(PositionQuota.exam_id == exam.id))
    }
    for position, contenders in by_position.items():
        places = quotas.get(position)
        for ranked in rank_position(contenders, places if places is not None else 0):
            figures[ranked.key].update(
                rank=ranked.rank,
                selected=ranked.selected if places is not None else None,
                tie_for_head=ranked.tie_for_head if places is not None else None,
            )
    return figures


# --- storing -----------------------------------------------------------------------------------


def store(session: Session, exam: Exam, compiled: Compiled, now: dt.datetime) -> None:
    """Write the compiled results into the council tables (insert or update in place)."""
    part_rows = {
        (row.candidate_id, row.part_id): row
        for row in session.scalars(
            select(PartResultRecord).where(PartResultRecord.exam_id == exam.id)
        )
    }
    candidate_rows = {
        row.candidate_id: row
        for row in session.scalars(
            select(CandidateResultRecord).where(CandidateResultRecord.exam_id == exam.id)
        )
    }
    for candidate_id, outcome in compiled.outcomes.items():
        for part in outcome.parts:
            key = (candidate_id, part.part)
            row = part_rows.get(key)
            if row is None:
                row = PartResultRecord(
                    exam_id=exam.id, candidate_id=candidate_id, part_id=part.part
                )
                session.add(row)
            attempt = compiled.attempts.get(key)
            stored = compiled.stored.get(key)
            result = part.result
            row.attempt_id = attempt.id if attempt is not None else None
            row.status = part.status
            row.item_count = result.item_count if result else None
            row.correct_count = result.correct_count if result else None
            row.adjusted_correct = result.adjusted_correct if result else None
            row.earned = result.earned if result else None
            row.maximum = result.maximum if result else None
            row.score_100 = result.score_100 if result else None
            row.share_correct = result.share_correct if result else None
            row.passed = result.passed if result else None
            row.sanction = part.sanction.name if part.sanction else None
            row.voided = part.status == "voided"
            row.stored_score_100 = stored.score_100 if stored else None
            row.stored_correct_count = stored.correct_count if stored else None
            row.stored_passed = stored.passed if stored else None
            row.decision_ids = compiled.decision_ids.get(key, [])
            row.compiled_at = now
        row = candidate_rows.get(candidate_id)
        if row is None:
            row = CandidateResultRecord(exam_id=exam.id, candidate_id=candidate_id)
            session.add(row)
        row.overall = outcome.overall
        figures = compiled.round_two.get(candidate_id, {})
        for name in (
            "written",
            "interview",
            "priority_points",
            "combined",
            "total",
            "eligible",
            "rank",
            "selected",
            "tie_for_head",
        ):
            setattr(row, name, figures.get(name))
        row.compiled_at = now
    session.flush()


def current_results(session: Session, exam: Exam) -> dict[tuple[int, int], PartResult | None]:
    """Return the stored compiled part results keyed by (candidate, part), for comparisons."""
    found: dict[tuple[int, int], PartResult | None] = {}
    for row in session.scalars(select(PartResultRecord).where(PartResultRecord.exam_id == exam.id)):
        found[(row.candidate_id, row.part_id)] = record_result(row)
    return found


def record_result(row: PartResultRecord) -> PartResult | None:
    if row.score_100 is None:
        return None
    return PartResult(
        item_count=row.item_count or 0,
        answered_count=0,
        correct_count=row.correct_count or 0,
        earned=row.earned or 0.0,
        maximum=row.maximum or 0.0,
        share_correct=row.share_correct or 0.0,
        score_100=row.score_100,
        passed=bool(row.passed),
        basis="",
        adjusted_correct=row.adjusted_correct,
        sanction=row.sanction,
        voided=row.voided,
    )


def compiled_results(compiled: Compiled) -> dict[tuple[int, int], PartResult | None]:
    return {
        (candidate_id, part.part): part.result
        for candidate_id, outcome in compiled.outcomes.items()
        for part in outcome.parts
    }


def compile_and_store(session: Session, exam: Exam, now: dt.datetime) -> list[ResultChange]:
    """Recompile, store, and return what changed against the previously compiled results."""
    before = current_results(session, exam)
    store(session, exam, compute(session, exam), now)
    # Compare like with like: both sides read back through the stored columns.
    after = current_results(session, exam)
    return result_changes(before, after)


def snapshot(session: Session, exam: Exam) -> tuple[list[dict], str]:
    """Return the compiled results as JSON-able rows and their SHA-256 (what approval froze)."""
    candidates = {
        c.id: c for c in session.scalars(select(Candidate).where(Candidate.exam_id == exam.id))
    }
    positions = {part.id: part.position for part in exam.parts}
    parts_by: dict[int, list[dict]] = defaultdict(list)
    for row in session.scalars(
        select(PartResultRecord)
        .where(PartResultRecord.exam_id == exam.id)
        .order_by(PartResultRecord.candidate_id, PartResultRecord.part_id)
    ):
        parts_by[row.candidate_id].append(
            {
                "part": positions.get(row.part_id),
                "status": row.status,
                "correct": row.correct_count,
                "adjusted_correct": row.adjusted_correct,
                "score_100": row.score_100,
                "passed": row.passed,
                "sanction": row.sanction,
            }
        )
    rows = []
    for row in session.scalars(
        select(CandidateResultRecord).where(CandidateResultRecord.exam_id == exam.id)
    ):
        candidate = candidates[row.candidate_id]
        rows.append(
            {
                "sbd": candidate.registration_number,
                "name": candidate.full_name,
                "overall": row.overall,
                "total": row.total,
                "parts": sorted(parts_by[row.candidate_id], key=lambda p: p["part"] or 0),
            }
        )
    rows.sort(key=lambda r: r["sbd"])
    digest = hashlib.sha256(
        json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    return rows, digest
