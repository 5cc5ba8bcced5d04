"""Room records that change results reach the council as decisions awaiting the chair."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_server.models.council import Decision
from proctor_console import candidate_actions as actions
from proctor_console import services
from proctor_console.decisions import DecisionInput
from proctor_console.errors import ConsoleRefused
from proctor_console.result_list import record_signatures
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import open_attempt


def test_sanctions_and_extensions_become_unconfirmed_council_decisions(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running", candidates=2)
    head = make_staff(db, clock.now, "head_proctor")
    (first, _), (second, _) = sitting.candidates
    attempt = open_attempt(db, first, clock.now)
    warning = actions.impose_sanction(
        db,
        first,
        kind="warning",
        reason="Trao đổi bài",
        witnesses="GT2",
        incident_id=None,
        actor=head,
        now=clock.now,
    )
    extension = actions.grant_extension(
        db,
        first,
        attempt_id=attempt.id,
        minutes=4,
        reason="Máy chậm",
        decision=DecisionInput("05/QĐ", "Chủ tịch"),
        actor=head,
        now=clock.now,
    )
    actions.impose_sanction(
        db,
        second,
        kind="cancellation",
        reason="Thi hộ",
        witnesses="GT1, GT2",
        incident_id=None,
        actor=head,
        now=clock.now,
    )
    rows = {
        d.record_ref: d
        for d in db.scalars(select(Decision).where(Decision.exam_id == sitting.exam.id))
    }
    sanction = rows[f"proctor_sanction:{warning.id}"]
    assert (sanction.kind, sanction.candidate_id, sanction.part_id) == (
        "sanction",
        first.id,
        sitting.part.id,  # a warning weighs on the part it happened in
    )
    assert sanction.value == {"sanction": "warning"} and sanction.source == "proctor"
    assert sanction.confirmed_at is None and not sanction.active  # the chair confirms it
    timed = rows[f"proctor_extension:{extension.id}"]
    assert (timed.kind, timed.value, timed.part_id) == (
        "extension",
        {"minutes": 4},
        attempt.part_id,
    )
    cancelled = next(d for d in rows.values() if d.candidate_id == second.id)
    assert cancelled.value == {"sanction": "cancellation"} and cancelled.part_id is None


def test_an_unsigned_result_list_becomes_a_decision_and_a_correction_withdraws_it(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running", candidates=2)
    head = make_staff(db, clock.now, "head_proctor")
    (first, _), (second, _) = sitting.candidates
    open_attempt(db, first, clock.now)
    open_attempt(db, second, clock.now, terminal="T2")
    services.change_room_state(db, sitting.room, "close", head, clock.now)
    record_signatures(
        db, sitting.room, unsigned_ids={second.id}, note="Bỏ về", actor=head, now=clock.now
    )
    record_signatures(  # recording again does not duplicate
        db, sitting.room, unsigned_ids={second.id}, note="Bỏ về", actor=head, now=clock.now
    )
    decisions = list(db.scalars(select(Decision).where(Decision.kind == "unsigned")))
    assert [(d.candidate_id, d.part_id, d.reason) for d in decisions] == [
        (second.id, sitting.part.id, "Bỏ về")
    ]
    record_signatures(db, sitting.room, unsigned_ids=set(), note="", actor=head, now=clock.now)
    assert decisions[0].revoked_at == clock.now and decisions[0].revoked_by_id == head.id
    record_signatures(
        db, sitting.room, unsigned_ids={second.id}, note="", actor=head, now=clock.now
    )
    live = db.scalar(
        select(Decision).where(Decision.kind == "unsigned", Decision.revoked_at.is_(None))
    )
    live.confirmed_at, live.confirmed_by_id = clock.now, head.id  # the chair confirmed it
    with pytest.raises(ConsoleRefused):
        record_signatures(db, sitting.room, unsigned_ids=set(), note="", actor=head, now=clock.now)
