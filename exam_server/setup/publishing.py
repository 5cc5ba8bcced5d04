"""Publishing: check an exam against the bank and its rules, then freeze it.

Every refusal names the part (and, for the bank, the topic and difficulty) and the shortfall,
so the administrator knows what to add or change.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server.models import Candidate, Exam, ExamPart, Form, FormItem, ItemVersion
from exam_server.setup.errors import SetupError
from exam_server.setup.exams import (
    ITEM_TYPES,
    _audit,
    blueprint_item_total,
    blueprint_points_total,
    ensure_draft,
)
from exam_server.setup.forms import approved_type_counts, generate_forms, topic_names


@dataclass(frozen=True)
class Problem:
    """One reason not to publish; `message` is translated, the rest is for tests and tools."""

    code: str
    part: int | None
    message: Any
    topic_id: int | None = None
    difficulty: int | None = None
    shortfall: int | None = None

    def __str__(self) -> str:
        return str(self.message)


class PublishRefused(SetupError):
    def __init__(self, problems: list[Problem]):
        super().__init__(
            _l("The exam cannot be published: %(count)d problems.", count=len(problems))
        )
        self.problems = problems


def check_exam(session: Session, exam: Exam) -> list[Problem]:
    """Return everything that stops the exam from being published (empty: ready)."""
    problems: list[Problem] = []
    if not exam.parts:
        problems.append(Problem("no_parts", None, _l("The exam has no part.")))
    for part in exam.parts:
        problems.extend(check_part(session, part))
    problems.extend(_check_exemptions(session, exam))
    return problems


def check_part(session: Session, part: ExamPart) -> list[Problem]:
    problems: list[Problem] = []
    n = part.position

    def add(code: str, message: Any, **extra: Any) -> None:
        problems.append(Problem(code, n, message, **extra))

    limits = part.limits or {}
    permitted = limits.get("allowed_types") or list(ITEM_TYPES)
    for item_type in part.allowed_types:
        if item_type not in permitted:
            add(
                "type_not_permitted",
                _l(
                    "Part %(n)d (%(title)s): item type “%(type)s” is not allowed by the"
                    " exam's rules.",
                    n=n,
                    title=part.title,
                    type=item_type,
                ),
            )
    low, high = limits.get("item_count", (None, None))
    if low is not None and not low <= part.item_count <= high:
        add(
            "item_count_range",
            _l(
                "Part %(n)d (%(title)s): %(count)d items; the rules ask for %(low)d to %(high)d.",
                n=n,
                title=part.title,
                count=part.item_count,
                low=low,
                high=high,
            ),
        )
    low, high = limits.get("duration_minutes", (None, None))
    if low is not None and not low <= part.duration_minutes <= high:
        add(
            "duration_range",
            _l(
                "Part %(n)d (%(title)s): %(minutes)d minutes; the rules ask for %(low)d to"
                " %(high)d.",
                n=n,
                title=part.title,
                minutes=part.duration_minutes,
                low=low,
                high=high,
            ),
        )
    if not part.blueprint:
        add(
            "empty_blueprint", _l("Part %(n)d (%(title)s) has no blueprint.", n=n, title=part.title)
        )
        return problems
    total = blueprint_item_total(part)
    if total != part.item_count:
        add(
            "blueprint_total",
            _l(
                "Part %(n)d (%(title)s): the blueprint draws %(total)d items but the part has"
                " %(count)d.",
                n=n,
                title=part.title,
                total=total,
                count=part.item_count,
            ),
        )
    points_total = limits.get("points_total")
    if points_total is not None and abs(blueprint_points_total(part) - points_total) > 0.005:
        add(
            "points_total",
            _l(
                "Part %(n)d (%(title)s): the points per difficulty group add up to %(sum)s, the"
                " rules ask for %(total)s.",
                n=n,
                title=part.title,
                sum=f"{blueprint_points_total(part):g}",
                total=f"{points_total:g}",
            ),
        )
    problems.extend(_check_supply(session, part))
    return problems


def _check_supply(session: Session, part: ExamPart) -> list[Problem]:
    """Each blueprint cell must be fillable, and hold `bank_multiplier` × its count."""
    problems = []
    counts = approved_type_counts(session, part.subject_id)
    names = topic_names(session, [int(c["topic_id"]) for c in part.blueprint])
    allowed = set(part.allowed_types)
    for cell in part.blueprint:
        topic_id, difficulty, needed = (
            int(cell["topic_id"]),
            int(cell["difficulty"]),
            int(cell["count"]),
        )
        if needed <= 0:
            continue
        by_type: Counter = counts.get((topic_id, difficulty), Counter())
        usable = sum(n for t, n in by_type.items() if t in allowed)
        other = {t: n for t, n in by_type.items() if t not in allowed}
        other_note = (
            _l(
                " The bank also holds %(count)d approved items of types this part does not allow"
                " (%(types)s).",
                count=sum(other.values()),
                types=", ".join(sorted(other)),
            )
            if other
            else ""
        )
        common = {
            "n": part.position,
            "title": part.title,
            "topic": names.get(topic_id, str(topic_id)),
            "difficulty": difficulty,
        }
        if usable < needed:
            problems.append(
                Problem(
                    "unfillable",
                    part.position,
                    _Joined(
                        _l(
                            "Part %(n)d (%(title)s), topic “%(topic)s”, difficulty %(difficulty)d:"
                            " the blueprint needs %(needed)d approved items, the bank has"
                            " %(usable)d (short by %(short)d).",
                            needed=needed,
                            usable=usable,
                            short=needed - usable,
                            **common,
                        ),
                        other_note,
                    ),
                    topic_id,
                    difficulty,
                    needed - usable,
                )
            )
            continue
        minimum = int(-(-needed * part.bank_multiplier // 1))  # ceiling
        if usable < minimum:
            problems.append(
                Problem(
                    "bank_too_small",
                    part.position,
                    _Joined(
                        _l(
                            "Part %(n)d (%(title)s), topic “%(topic)s”, difficulty %(difficulty)d:"
                            " the bank must hold %(multiplier)s × %(needed)d = %(minimum)d approved"
                            " items, it has %(usable)d (short by %(short)d).",
                            multiplier=f"{part.bank_multiplier:g}",
                            needed=needed,
                            minimum=minimum,
                            usable=usable,
                            short=minimum - usable,
                            **common,
                        ),
                        other_note,
                    ),
                    topic_id,
                    difficulty,
                    minimum - usable,
                )
            )
    return problems


class _Joined:
    """Two translated fragments shown as one message, translated when shown."""

    def __init__(self, first: Any, second: Any):
        self.first, self.second = first, second

    def __str__(self) -> str:
        return f"{self.first}{self.second}"

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


def _check_exemptions(session: Session, exam: Exam) -> list[Problem]:
    exemptible = {p.id for p in exam.parts if p.exemptible}
    problems = []
    for sbd, exempt in session.execute(
        select(Candidate.registration_number, Candidate.exempt_part_ids).where(
            Candidate.exam_id == exam.id
        )
    ):
        wrong = [pid for pid in exempt or [] if pid not in exemptible]
        if wrong:
            problems.append(
                Problem(
                    "exemption",
                    None,
                    _l(
                        "Candidate %(sbd)s is exempted from a part that allows no exemption.",
                        sbd=sbd,
                    ),
                )
            )
    return problems


def forms_with_wrong_types(session: Session, part: ExamPart) -> int:
    """Count stored forms of the part holding an item of a type the part does not allow."""
    return session.scalar(
        select(func.count(func.distinct(Form.id)))
        .join(FormItem, FormItem.form_id == Form.id)
        .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
        .where(Form.part_id == part.id, ItemVersion.item_type.not_in(part.allowed_types))
    )


def publish_exam(session: Session, exam: Exam, *, now: dt.datetime, actor_id: int | None) -> int:
    """Check, store any missing forms, and freeze the exam; return how many forms were made."""
    ensure_draft(exam)
    problems = check_exam(session, exam)
    for part in exam.parts:
        if part.blueprint and forms_with_wrong_types(session, part):
            problems.append(
                Problem(
                    "form_types",
                    part.position,
                    _l(
                        "Part %(n)d (%(title)s): stored forms hold items of types the part no"
                        " longer allows; regenerate the forms.",
                        n=part.position,
                        title=part.title,
                    ),
                )
            )
    if problems:
        raise PublishRefused(problems)
    made = generate_forms(session, exam, now)
    exam.status = "published"
    exam.published_at = now
    _audit(session, actor_id, now, "exam_published", exam, forms_made=made)
    return made
