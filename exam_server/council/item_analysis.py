"""Item statistics of one part from each candidate's first attempt (DOMAIN.md definitions).

Forms are drawn at random from the bank, so candidates do not all see the same items. As
Moodle does for random questions, the test-level figures (alpha, KR-20…) come from the
matrix of *slots* — the k-th item a form drew from one blueprint cell (topic × difficulty) —
which every candidate has, and each item is judged among the candidates who had it, against
their total. When every form holds the same items, slots and items coincide.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from dataclasses import dataclass, field

import nh3
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Answer, Attempt, Exam, ExamPart, FormItem, Item, ItemVersion, User
from exam_server.results import item_key, scoring_response
from scoring import (
    DistractorReport,
    ExamStats,
    FlagRules,
    ItemScorer,
    distractor_analysis,
    item_flags,
    item_statistics,
    variant_statistics,
)
from scoring.variant_stats import VariantStats

ONE_CHOICE = ("single_choice", "true_false")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class ItemRow:
    version: ItemVersion
    item: Item
    stats: VariantStats
    distractors: DistractorReport | None
    option_letters: dict[str, str]  # option id -> letter in the bank's order
    flags: tuple[str, ...]

    @property
    def excerpt(self) -> str:
        text = html.unescape(nh3.clean(self.version.stem, tags=set())).strip()
        return text if len(text) <= 90 else text[:87] + "…"


@dataclass
class PartAnalysis:
    part: ExamPart
    candidates: int
    exam_stats: ExamStats | None
    slot_count: int
    same_items: bool
    items: list[ItemRow] = field(default_factory=list)


@dataclass
class Scored:
    """One first attempt, scored item by item."""

    total: float = 0.0
    by_version: dict[int, float] = field(default_factory=dict)
    choices: dict[int, str | None] = field(default_factory=dict)
    slots: dict[tuple, float] = field(default_factory=dict)


def first_attempts(session: Session, part: ExamPart) -> list[Attempt]:
    """Each candidate's first finalised attempt at the part."""
    first: dict[int, Attempt] = {}
    for attempt in session.scalars(
        select(Attempt)
        .where(Attempt.part_id == part.id, Attempt.state == "finalised")
        .order_by(Attempt.attempt_no, Attempt.id)
    ):
        first.setdefault(attempt.candidate_id, attempt)
    return sorted(first.values(), key=lambda a: a.id)


def analyse_part(
    session: Session, exam: Exam, part: ExamPart, rules: FlagRules | None = None
) -> PartAnalysis:
    """Compute test statistics over slots and item statistics per item version."""
    rules = rules or FlagRules()
    attempts = first_attempts(session, part)
    form_ids = sorted({a.form_id for a in attempts})
    forms: dict[int, list[tuple[FormItem, ItemVersion, Item]]] = defaultdict(list)
    if form_ids:
        for form_item, version, item in session.execute(
            select(FormItem, ItemVersion, Item)
            .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
            .join(Item, Item.id == ItemVersion.item_id)
            .where(FormItem.form_id.in_(form_ids))
            .order_by(FormItem.form_id, FormItem.position)
        ):
            forms[form_item.form_id].append((form_item, version, item))
    responses: dict[int, dict[int, object]] = defaultdict(dict)
    if attempts:
        for answer in session.scalars(
            select(Answer).where(Answer.attempt_id.in_([a.id for a in attempts]))
        ):
            responses[answer.attempt_id][answer.position] = answer.response

    versions: dict[int, tuple[ItemVersion, Item]] = {}
    maxima: dict[int, float] = {}
    slot_max: dict[tuple, float] = {}
    scored: list[Scored] = []
    scorers: dict[tuple[int, float], ItemScorer] = {}
    for attempt in attempts:
        entry = Scored()
        cell_seen: dict[tuple, int] = defaultdict(int)
        rows = sorted(
            forms[attempt.form_id], key=lambda r: (r[2].topic_id, r[2].difficulty, r[1].id)
        )
        for form_item, version, item in rows:
            stored = responses[attempt.id].get(form_item.position)
            scorer = scorers.get((version.id, form_item.points))
            if scorer is None:
                scorer = scorers[(version.id, form_item.points)] = ItemScorer(
                    item_key(version, form_item.points), exam.multi_response_policy
                )
            result = scorer(scoring_response(version, form_item.option_order, stored))
            entry.by_version[version.id] = result.earned
            entry.total += result.earned
            versions[version.id] = (version, item)
            maxima[version.id] = max(maxima.get(version.id, 0.0), result.maximum)
            if version.item_type in ONE_CHOICE:
                chosen = [
                    form_item.option_order[i]
                    for i in (stored or [])
                    if i < len(form_item.option_order)
                ]
                entry.choices[version.id] = chosen[0] if len(chosen) == 1 else None
            cell = (item.topic_id, item.difficulty)
            slot = (*cell, cell_seen[cell])
            cell_seen[cell] += 1
            entry.slots[slot] = result.earned
            slot_max[slot] = max(slot_max.get(slot, 0.0), result.maximum)
        scored.append(entry)

    same_items = len({frozenset(s.by_version) for s in scored}) == 1
    slot_keys = sorted(slot_max)
    exam_stats = None
    uniform = all(set(s.slots) == set(slot_keys) for s in scored)
    if len(scored) >= 2 and slot_keys and uniform:
        matrix = np.array([[s.slots[k] for k in slot_keys] for s in scored])
        maxima_vector = [slot_max[k] if slot_max[k] > 0 else 1.0 for k in slot_keys]
        exam_stats = item_statistics(matrix, maxima_vector).exam

    analysis = PartAnalysis(part, len(scored), exam_stats, len(slot_keys), same_items)
    for version_id in sorted(
        versions, key=lambda v: (versions[v][1].topic_id, versions[v][1].difficulty, v)
    ):
        version, item = versions[version_id]
        holders = [s for s in scored if version_id in s.by_version]
        stats = variant_statistics(
            f"{item.id}",
            [s.by_version[version_id] for s in holders],
            [s.total for s in holders],
            maxima[version_id] or 1.0,
        )
        options = version.content.get("options", [])
        letters = {o["id"]: LETTERS[i] for i, o in enumerate(options) if i < len(LETTERS)}
        distractors = None
        if version.item_type in ONE_CHOICE and len(holders) >= 2:
            distractors = distractor_analysis(
                [s.choices.get(version_id) for s in holders],
                [s.total for s in holders],
                [o["id"] for o in options if float(o.get("fraction", 0)) > 0],
                [o["id"] for o in options],
            )
        flags = item_flags(
            stats.facility,
            stats.discrimination_index,
            stats.n,
            distractors.strong_distractors if distractors else (),
            rules,
        )
        analysis.items.append(ItemRow(version, item, stats, distractors, letters, flags))
    return analysis


def write_facility(
    session: Session,
    exam: Exam,
    part: ExamPart,
    analysis: PartAnalysis,
    actor: User,
    now: dt.datetime,
) -> int:
    """Write each item's facility (weighted over its versions by candidates) to the bank."""
    weighted: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for row in analysis.items:
        if row.stats.facility is not None and row.stats.n:
            weighted[row.item.id].append((row.stats.facility, row.stats.n))
    for item_id, pairs in weighted.items():
        total = sum(n for _f, n in pairs)
        item = session.get(Item, item_id)
        item.facility = sum(f * n for f, n in pairs) / total
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action="council_facility_written",
        target_type="exam_part",
        target_id=part.id,
        details={"exam": exam.id, "items": len(weighted)},
    )
    return len(weighted)
