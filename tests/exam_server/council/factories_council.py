"""Sittings taken through the real delivery services, for council and audit tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from exam_server.delivery import services
from exam_server.models import Attempt, Candidate, FormItem, ItemVersion
from tests.factories import Sitting, make_sitting

GRACE = 15


@dataclass
class Sat:
    """A sitting whose candidates answered through the delivery services."""

    sitting: Sitting
    attempts: dict[int, Attempt] = field(default_factory=dict)  # candidate id -> attempt

    @property
    def candidates(self) -> list[Candidate]:
        return [candidate for candidate, _code in self.sitting.candidates]


def form_keys(db, attempt: Attempt) -> dict[int, tuple[FormItem, ItemVersion]]:
    rows = db.execute(
        select(FormItem, ItemVersion)
        .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
        .where(FormItem.form_id == attempt.form_id)
        .order_by(FormItem.position)
    ).all()
    return {form_item.position: (form_item, version) for form_item, version in rows}


def key_index(form_item: FormItem, version: ItemVersion) -> int:
    """The display index of the keyed option (tests may know the key)."""
    correct = next(o["id"] for o in version.content["options"] if o["fraction"] == 1.0)
    return form_item.option_order.index(correct)


def wrong_index(form_item: FormItem, version: ItemVersion) -> int:
    return (key_index(form_item, version) + 1) % len(form_item.option_order)


def answer(db, clock, attempt, candidate, changes, terminal="T1"):
    return services.save_changes(
        db,
        attempt_id=attempt.id,
        candidate_id=candidate.id,
        terminal=terminal,
        changes=[services.Change(*change) for change in changes],
        now=clock.now,
        grace_seconds=GRACE,
    )


def sit(
    db,
    clock,
    correct_by_candidate: list[int],
    *,
    submit: bool = True,
    absent: int = 0,
    code: str = "EXAM1",
    **sitting_options,
) -> Sat:
    """Candidate i answers correct_by_candidate[i] items right (the first ones), the rest wrong.

    Every candidate also changes their mind once and flags one question, so chains carry
    answer changes and flags. `absent` more candidates are registered but never start.
    """
    sitting = make_sitting(
        db,
        clock.now,
        room_state="running",
        candidates=len(correct_by_candidate) + absent,
        code=code,
        **sitting_options,
    )
    sat = Sat(sitting)
    for (candidate, _code), correct in zip(sitting.candidates, correct_by_candidate, strict=False):
        terminal = f"T{candidate.id}"
        services.claim_terminal(db, candidate, terminal, clock.now)
        attempt = services.start_next_part(db, candidate, clock.now)
        keys = form_keys(db, attempt)
        clock.advance(seconds=30)
        seq = 0
        changes = []
        for position, (form_item, version) in sorted(keys.items()):
            seq += 1
            changes.append((seq, "answer", position, [wrong_index(form_item, version)]))
        answer(db, clock, attempt, candidate, changes, terminal)
        clock.advance(seconds=30)
        changes = []
        for position, (form_item, version) in sorted(keys.items())[:correct]:
            seq += 1
            changes.append((seq, "answer", position, [key_index(form_item, version)]))
        seq += 1
        changes.append((seq, "flag", 1, True))
        answer(db, clock, attempt, candidate, changes, terminal)
        if submit:
            clock.advance(seconds=30)
            services.submit(
                db,
                attempt_id=attempt.id,
                candidate_id=candidate.id,
                terminal=terminal,
                now=clock.now,
            )
        sat.attempts[candidate.id] = attempt
    db.flush()
    return sat
