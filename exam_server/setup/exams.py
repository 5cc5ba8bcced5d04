"""Exams and parts: create from a preset, edit, suggest blueprints, move through the lifecycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Exam, ExamPart, Subject, Topic
from exam_server.models.exams import CLOCK_MODES, EXAM_KINDS, FORM_MODES, RESULT_MOMENTS
from exam_server.setup.errors import ExamFrozen, NotFound, SetupError
from exam_server.setup.forms import approved_type_counts, delete_part_forms
from exam_server.setup.presets import DifficultyGroup, ExamPreset, PartPreset
from exam_server.text import nfc
from scoring import RULES

ITEM_TYPES = tuple(RULES)  # the scoring registry's keys are the item types the platform knows

# The lifecycle: each status and the one that may follow it.
NEXT_STATUS = {
    "draft": "published",
    "published": "in_progress",
    "in_progress": "closed",
    "closed": "results_approved",
    "results_approved": "archived",
}


def ensure_draft(exam: Exam) -> None:
    """Refuse any change to parts, blueprints or forms once the exam is published."""
    if exam.status != "draft":
        raise ExamFrozen(
            _l("The exam is published: its parts, blueprints and forms can no longer change.")
        )


def _audit(session: Session, actor_id: int | None, now: dt.datetime, action: str, exam: Exam, **d):
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor_id else "system",
        actor_id=actor_id,
        action=action,
        target_type="exam",
        target_id=exam.id,
        details=d,
    )


# --- creating ----------------------------------------------------------------------------------


def subject_for(session: Session, kind: str) -> Subject | None:
    """The first subject of a kind (the usual bank has one per kind)."""
    return session.scalar(select(Subject).where(Subject.kind == kind).order_by(Subject.id).limit(1))


def create_exam(
    session: Session,
    preset: ExamPreset,
    *,
    code: str,
    name: str,
    now: dt.datetime,
    actor_id: int | None,
    subject_ids: Sequence[int | None] = (),
) -> Exam:
    """Create a draft exam with the preset's values copied onto it and its parts."""
    code = nfc(code.strip()).upper()
    if not code or not name.strip():
        raise SetupError(_l("An exam needs a code and a name."))
    if session.scalar(select(Exam.id).where(Exam.code == code)):
        raise SetupError(_l("An exam with code %(code)s already exists.", code=code))
    exam = Exam(
        code=code,
        name=nfc(name.strip()),
        kind=preset.kind,
        status="draft",
        clock_mode=preset.clock_mode,
        results_shown=preset.results_shown,
        late_entry_minutes=preset.late_entry_for(sum(p.duration_minutes for p in preset.parts)),
        preset=preset.name,
        created_at=now,
    )
    session.add(exam)
    session.flush()
    for position, part_preset in enumerate(preset.parts, start=1):
        chosen = subject_ids[position - 1] if position - 1 < len(subject_ids) else None
        subject = (
            session.get(Subject, chosen)
            if chosen
            else subject_for(session, part_preset.subject_kind)
        )
        if subject is None:
            raise NotFound(
                _l(
                    "Part %(n)d (%(title)s) needs a subject of kind “%(kind)s” in the question"
                    " bank; create it first or choose a subject.",
                    n=position,
                    title=part_preset.title,
                    kind=part_preset.subject_kind,
                )
            )
        session.add(_part_from_preset(session, exam, position, subject, part_preset))
    session.flush()
    session.expire(exam, ["parts"])
    _audit(session, actor_id, now, "exam_created", exam, preset=preset.name, code=exam.code)
    return exam


def _part_from_preset(
    session: Session, exam: Exam, position: int, subject: Subject, preset: PartPreset
) -> ExamPart:
    return ExamPart(
        exam_id=exam.id,
        position=position,
        subject_id=subject.id,
        title=preset.title,
        item_count=preset.item_count,
        duration_minutes=preset.duration_minutes,
        pass_basis=preset.pass_basis,
        pass_threshold=preset.pass_threshold,
        shuffle_items=preset.shuffle_items,
        shuffle_options=preset.shuffle_options,
        allowed_types=list(preset.allowed_types),
        blueprint=suggest_blueprint(
            session,
            subject.id,
            preset.item_count,
            preset.difficulty_groups,
            list(preset.allowed_types),
        ),
        audio_play_limit=preset.audio_play_limit,
        bank_multiplier=preset.bank_multiplier,
        exemptible=preset.exemptible,
        form_mode=preset.form_mode,
        pool_size=preset.pool_size,
        fairness_tolerance=preset.fairness_tolerance,
        max_exposure=preset.max_exposure,
        neighbour_overlap_max=preset.neighbour_overlap_max,
        limits=dict(preset.limits),
    )


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into whole shares proportional to `weights` (ties to the earlier entry)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    weight_sum = sum(weights)
    if weight_sum <= 0:
        weights = [1.0] * len(weights)
        weight_sum = float(len(weights))
    raw = [total * w / weight_sum for w in weights]
    shares = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def suggest_blueprint(
    session: Session,
    subject_id: int,
    item_count: int,
    groups: Sequence[DifficultyGroup],
    allowed_types: list[str],
) -> list[dict[str, Any]]:
    """Spread the item count over difficulty groups, then over topics by approved supply.

    Topics holding more approved items of a difficulty get more of that difficulty's items;
    the administrator edits the result. A subject without topics gets an empty blueprint.
    """
    topics = list(
        session.scalars(select(Topic.id).where(Topic.subject_id == subject_id).order_by(Topic.id))
    )
    if not topics:
        return []
    supply = approved_type_counts(session, subject_id)
    per_group = largest_remainder(item_count, [g.share for g in groups])
    cells = []
    for group, count in zip(groups, per_group, strict=True):
        available = [
            sum(n for t, n in supply.get((tid, group.difficulty), {}).items() if t in allowed_types)
            for tid in topics
        ]
        for tid, share in zip(topics, largest_remainder(count, available), strict=True):
            if share:
                cells.append(
                    {
                        "topic_id": tid,
                        "difficulty": group.difficulty,
                        "count": share,
                        "points": group.points,
                    }
                )
    return cells


# --- editing ------------------------------------------------------------------------------------


EXAM_FIELDS = ("name", "kind", "clock_mode", "results_shown", "late_entry_minutes")


def update_exam(
    session: Session,
    exam: Exam,
    values: Mapping[str, Any],
    *,
    now: dt.datetime,
    actor_id: int | None,
) -> None:
    """Change the exam's own settings (timing and result display are frozen once published)."""
    ensure_draft(exam)
    changes = {}
    for field in EXAM_FIELDS:
        if field in values and values[field] is not None:
            value = nfc(values[field].strip()) if isinstance(values[field], str) else values[field]
            if getattr(exam, field) != value:
                changes[field] = value
    if changes.get("kind", exam.kind) not in EXAM_KINDS:
        raise SetupError(_l("Unknown exam kind."))
    if changes.get("clock_mode", exam.clock_mode) not in CLOCK_MODES:
        raise SetupError(_l("Unknown clock mode."))
    if changes.get("results_shown", exam.results_shown) not in RESULT_MOMENTS:
        raise SetupError(_l("Unknown moment for showing results."))
    if not 0 <= changes.get("late_entry_minutes", exam.late_entry_minutes) <= 120:
        raise SetupError(_l("Late entry must be between 0 and 120 minutes."))
    for field, value in changes.items():
        setattr(exam, field, value)
    if changes:
        _audit(session, actor_id, now, "exam_updated", exam, fields=sorted(changes))


PART_FIELDS = (
    "title",
    "subject_id",
    "item_count",
    "duration_minutes",
    "pass_basis",
    "pass_threshold",
    "allowed_types",
    "shuffle_items",
    "shuffle_options",
    "audio_play_limit",
    "bank_multiplier",
    "exemptible",
    "form_mode",
    "pool_size",
    "fairness_tolerance",
    "max_exposure",
    "neighbour_overlap_max",
)

# Settings that shape forms: changing one drops the part's stored (draft) forms.
FORM_SHAPING = set(PART_FIELDS) - {"title", "pass_basis", "pass_threshold", "audio_play_limit"}


def update_part(
    session: Session,
    part: ExamPart,
    values: Mapping[str, Any],
    *,
    now: dt.datetime,
    actor_id: int | None,
) -> None:
    """Change a part's settings (not its blueprint: see set_blueprint)."""
    exam = part.exam
    ensure_draft(exam)
    new = {f: values[f] for f in PART_FIELDS if f in values}
    if "title" in new:
        new["title"] = nfc(str(new["title"]).strip())
        if not new["title"]:
            raise SetupError(_l("A part needs a title."))
    if "subject_id" in new and session.get(Subject, new["subject_id"]) is None:
        raise NotFound(_l("No such subject."))
    merged = {f: new.get(f, getattr(part, f)) for f in PART_FIELDS}
    _validate_part(merged)
    changed = {
        field
        for field, value in new.items()
        if getattr(part, field) != (list(value) if field == "allowed_types" else value)
    }
    subject_changed = "subject_id" in changed
    for field in changed:
        value = new[field]
        setattr(part, field, list(value) if field == "allowed_types" else value)
    if subject_changed:
        part.blueprint = []  # topics belong to the old subject
    if changed & FORM_SHAPING:
        delete_part_forms(session, part.id)  # stored forms must follow the new settings
    if changed:
        _audit(
            session, actor_id, now, "part_updated", exam, part=part.position, fields=sorted(changed)
        )


def _validate_part(v: Mapping[str, Any]) -> None:
    if not 1 <= int(v["item_count"]) <= 500:
        raise SetupError(_l("A part holds between 1 and 500 items."))
    if not 1 <= int(v["duration_minutes"]) <= 600:
        raise SetupError(_l("A part lasts between 1 and 600 minutes."))
    if v["pass_basis"] == "share_correct":
        if not 0 <= float(v["pass_threshold"]) <= 1:
            raise SetupError(_l("A share-correct pass mark lies between 0 and 1."))
    elif v["pass_basis"] == "points":
        if not 0 <= float(v["pass_threshold"]) <= 100:
            raise SetupError(_l("A points pass mark lies between 0 and 100."))
    else:
        raise SetupError(_l("Unknown pass rule."))
    unknown = [t for t in v["allowed_types"] if t not in ITEM_TYPES]
    if unknown or not v["allowed_types"]:
        raise SetupError(_l("Choose at least one known item type."))
    if v["audio_play_limit"] is not None and not 0 <= int(v["audio_play_limit"]) <= 10:
        raise SetupError(_l("The audio play limit lies between 0 and 10."))
    if not 1 <= float(v["bank_multiplier"]) <= 20:
        raise SetupError(_l("The bank multiplier lies between 1 and 20."))
    if v["form_mode"] not in FORM_MODES:
        raise SetupError(_l("Unknown form mode."))
    if not 2 <= int(v["pool_size"]) <= 1000:
        raise SetupError(_l("A pool holds between 2 and 1000 forms."))
    for field in ("fairness_tolerance", "neighbour_overlap_max"):
        if not 0 <= float(v[field]) <= 1:
            raise SetupError(_l("Tolerances and overlaps are shares between 0 and 1."))
    if not 0 < float(v["max_exposure"]) <= 1:
        raise SetupError(_l("The exposure limit is a share above 0 and at most 1."))


def set_blueprint(
    session: Session,
    part: ExamPart,
    cells: Sequence[Mapping[str, Any]],
    *,
    now: dt.datetime,
    actor_id: int | None,
) -> None:
    """Replace a part's blueprint: topic × difficulty counts with points per item."""
    ensure_draft(part.exam)
    topics = set(session.scalars(select(Topic.id).where(Topic.subject_id == part.subject_id)))
    seen = set()
    clean = []
    for cell in cells:
        topic_id, difficulty = int(cell["topic_id"]), int(cell["difficulty"])
        count, points = int(cell["count"]), float(cell["points"])
        if topic_id not in topics:
            raise SetupError(_l("A blueprint row names a topic of another subject."))
        if (topic_id, difficulty) in seen:
            raise SetupError(_l("A blueprint lists the same topic and difficulty twice."))
        if count < 0 or points < 0 or not 1 <= difficulty <= 5:
            raise SetupError(
                _l("Counts and points cannot be negative; difficulty runs from 1 to 5.")
            )
        seen.add((topic_id, difficulty))
        if count:
            clean.append(
                {"topic_id": topic_id, "difficulty": difficulty, "count": count, "points": points}
            )
    part.blueprint = clean
    delete_part_forms(session, part.id)
    _audit(session, actor_id, now, "blueprint_updated", part.exam, part=part.position)


def blueprint_points_total(part: ExamPart) -> float:
    return sum(int(c["count"]) * float(c["points"]) for c in part.blueprint)


def blueprint_item_total(part: ExamPart) -> int:
    return sum(int(c["count"]) for c in part.blueprint)


# --- lifecycle ----------------------------------------------------------------------------------


def advance_status(
    session: Session, exam: Exam, target: str, *, now: dt.datetime, actor_id: int | None
) -> None:
    """Move the exam one step along its lifecycle (publishing goes through publish_exam)."""
    if target == "published":
        raise SetupError(_l("Publish the exam with its checks."))
    if NEXT_STATUS.get(exam.status) != target:
        raise SetupError(
            _l(
                "The exam cannot go from “%(from)s” to “%(to)s”.",
                **{"from": exam.status, "to": target},
            )
        )
    previous, exam.status = exam.status, target
    _audit(session, actor_id, now, "exam_status", exam, **{"from": previous, "to": target})
