"""The re-check of one attempt: the paper as shown, each answer with its time, the key, the score
per item, staff actions and the chain status."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from exam_server.audit_verify import Mismatch, verify_attempt
from exam_server.chain import receipt_code
from exam_server.lifecycle import form_with_versions
from exam_server.models import (
    Answer,
    AnswerEvent,
    Attempt,
    AuditEntry,
    Candidate,
    Exam,
    ExamPart,
    FormItem,
    ItemVersion,
    User,
)
from exam_server.models.council import Decision, PartResultRecord
from exam_server.results import item_key, scoring_response
from exam_server.text import sanitize_html
from scoring import ItemScore, score_item

LETTERS = string.ascii_uppercase


@dataclass
class OptionShown:
    letter: str
    html: str
    is_key: bool
    chosen: bool


@dataclass
class Change:
    at: Any
    kind: str  # answer | flag
    shown: str  # letters chosen, texts typed, or on/off for a flag
    ordinal: int


@dataclass
class ItemShown:
    position: int
    form_item: FormItem
    version: ItemVersion
    stem_html: str
    options: list[OptionShown]
    typed: list[str]  # fill in the blank: what was typed per blank
    accepted: list[list[str]]  # fill in the blank: the accepted texts per blank
    flagged: bool
    score: ItemScore
    history: list[Change] = field(default_factory=list)


@dataclass
class Recheck:
    attempt: Attempt
    candidate: Candidate
    part: ExamPart
    exam: Exam
    items: list[ItemShown]
    mismatches: list[Mismatch]
    receipt: str
    actions: list[tuple[AuditEntry, User | None]]
    decisions: list[Decision]
    compiled: PartResultRecord | None


def shown_value(version: ItemVersion, option_order: list[str], payload: Any) -> str:
    if payload is None or payload == []:
        return "—"
    if version.item_type == "fill_blank":
        return " | ".join(str(t) for t in payload)
    return ", ".join(
        LETTERS[i] for i in payload if isinstance(i, int) and 0 <= i < len(option_order)
    )


def build(session: Session, attempt: Attempt) -> Recheck:
    """Gather everything the council needs to re-check one attempt."""
    candidate = session.get(Candidate, attempt.candidate_id)
    part = session.get(ExamPart, attempt.part_id)
    exam = session.get(Exam, part.exam_id)
    answers = {
        a.position: a
        for a in session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }
    events = session.scalars(
        select(AnswerEvent)
        .where(AnswerEvent.attempt_id == attempt.id)
        .order_by(AnswerEvent.ordinal)
    ).all()
    history: dict[int, list[AnswerEvent]] = {}
    for event in events:
        if event.kind in ("answer", "flag") and event.position is not None:
            history.setdefault(event.position, []).append(event)

    items = []
    for form_item, version in form_with_versions(session, attempt.form_id):
        answer = answers.get(form_item.position)
        stored = answer.response if answer else None
        by_id = {o["id"]: o for o in version.content.get("options", [])}
        chosen_ids = (
            {form_item.option_order[i] for i in stored or [] if i < len(form_item.option_order)}
            if version.item_type != "fill_blank"
            else set()
        )
        options = [
            OptionShown(
                LETTERS[index],
                sanitize_html(by_id[option_id]["text"]),
                float(by_id[option_id].get("fraction", 0)) > 0,
                option_id in chosen_ids,
            )
            for index, option_id in enumerate(form_item.option_order)
            if option_id in by_id
        ]
        blanks = version.content.get("blanks", [])
        typed = [str(t) for t in stored] if version.item_type == "fill_blank" and stored else []
        score = score_item(
            item_key(version, form_item.points),
            scoring_response(version, form_item.option_order, stored),
            multi_policy=exam.multi_response_policy,
        )
        items.append(
            ItemShown(
                position=form_item.position,
                form_item=form_item,
                version=version,
                stem_html=sanitize_html(version.stem),
                options=options,
                typed=typed,
                accepted=[[a["text"] for a in b.get("answers", [])] for b in blanks],
                flagged=bool(answer and answer.flagged),
                score=score,
                history=[
                    Change(
                        e.at,
                        e.kind,
                        shown_value(version, form_item.option_order, e.payload)
                        if e.kind == "answer"
                        else ("on" if e.payload else "off"),
                        e.ordinal,
                    )
                    for e in history.get(form_item.position, [])
                ],
            )
        )

    targets = [
        (AuditEntry.target_type == "candidate") & (AuditEntry.target_id == candidate.id),
        (AuditEntry.target_type == "attempt") & (AuditEntry.target_id == attempt.id),
    ]
    if candidate.room_session_id is not None:
        targets.append(
            (AuditEntry.target_type == "room_session")
            & (AuditEntry.target_id == candidate.room_session_id)
        )
    actions = session.execute(
        select(AuditEntry, User)
        .outerjoin(User, (User.id == AuditEntry.actor_id) & (AuditEntry.actor_kind == "user"))
        .where(or_(*targets))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    decisions = session.scalars(
        select(Decision)
        .where(Decision.exam_id == exam.id, Decision.candidate_id == candidate.id)
        .order_by(Decision.decided_at, Decision.id)
    ).all()
    compiled = session.scalar(
        select(PartResultRecord).where(
            PartResultRecord.candidate_id == candidate.id, PartResultRecord.part_id == part.id
        )
    )
    return Recheck(
        attempt=attempt,
        candidate=candidate,
        part=part,
        exam=exam,
        items=items,
        mismatches=verify_attempt(session, attempt),
        receipt=receipt_code(attempt.last_hash),
        actions=[tuple(row) for row in actions],
        decisions=list(decisions),
        compiled=compiled,
    )
