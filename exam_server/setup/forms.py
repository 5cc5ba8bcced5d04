"""Generate and store every candidate's forms before the room starts."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from exam_server.models import Candidate, Exam, ExamPart, Form, FormItem, Item, ItemVersion
from exam_server.setup.form_builder import BlueprintCell, PoolItem, build_form

FORM_KINDS = ("main", "spare")


def approved_pool(session: Session, subject_id: int, allowed_types: list[str]) -> dict:
    """Return the latest version of every approved item, grouped by (topic, difficulty)."""
    latest = (
        select(ItemVersion.item_id, func.max(ItemVersion.version_no).label("version_no"))
        .group_by(ItemVersion.item_id)
        .subquery()
    )
    rows = session.execute(
        select(Item.topic_id, Item.difficulty, ItemVersion)
        .join(latest, latest.c.item_id == Item.id)
        .join(
            ItemVersion,
            (ItemVersion.item_id == Item.id) & (ItemVersion.version_no == latest.c.version_no),
        )
        .where(Item.subject_id == subject_id, Item.status == "approved")
    ).all()
    pool: dict[tuple[int, int], list[PoolItem]] = defaultdict(list)
    for topic_id, difficulty, version in rows:
        if allowed_types and version.item_type not in allowed_types:
            continue
        options = version.content.get("options", [])
        pool[(topic_id, difficulty)].append(
            PoolItem(
                version.id,
                tuple(o["id"] for o in options),
                frozenset(o["id"] for o in options if o.get("pinned")),
            )
        )
    return pool


def blueprint_cells(part: ExamPart) -> list[BlueprintCell]:
    return [
        BlueprintCell(int(c["topic_id"]), int(c["difficulty"]), int(c["count"]), float(c["points"]))
        for c in part.blueprint
    ]


def generate_forms(session: Session, exam: Exam, now: dt.datetime, *, replace: bool = False) -> int:
    """Store a main and a spare form per candidate per part; return how many were made.

    Existing forms are kept unless `replace` is set (only while the exam is a draft).
    """
    if replace and exam.status != "draft":
        raise ValueError("forms of a published exam are frozen")
    candidates = session.scalars(select(Candidate).where(Candidate.exam_id == exam.id)).all()
    made = 0
    for part in exam.parts:
        pool = approved_pool(session, part.subject_id, part.allowed_types)
        cells = blueprint_cells(part)
        existing = set(
            tuple(row)
            for row in session.execute(
                select(Form.candidate_id, Form.kind).where(Form.part_id == part.id)
            ).all()
        )
        if replace and existing:
            form_ids = select(Form.id).where(Form.part_id == part.id)
            session.execute(delete(FormItem).where(FormItem.form_id.in_(form_ids)))
            session.execute(delete(Form).where(Form.part_id == part.id))
            existing = set()
        for candidate in candidates:
            if part.id in (candidate.exempt_part_ids or []):
                continue
            for kind in FORM_KINDS:
                if (candidate.id, kind) in existing:
                    continue
                seed = secrets.randbits(63)
                drawn = build_form(
                    pool,
                    cells,
                    seed,
                    shuffle_items=part.shuffle_items,
                    shuffle_option_order=part.shuffle_options,
                )
                form = Form(
                    candidate_id=candidate.id,
                    part_id=part.id,
                    kind=kind,
                    seed=seed,
                    generated_at=now,
                )
                session.add(form)
                session.flush()
                session.add_all(
                    FormItem(
                        form_id=form.id,
                        position=index,
                        item_version_id=d.version_id,
                        option_order=list(d.option_order),
                        points=d.points,
                    )
                    for index, d in enumerate(drawn, start=1)
                )
                made += 1
    return made
