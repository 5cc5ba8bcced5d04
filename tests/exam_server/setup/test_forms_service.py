"""Stored forms: exact, reproducible from their seed, fair, exposure-limited, neighbour-safe."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from exam_server.models import Form, FormItem, Item, ItemVersion, Room, RoomSession, Shift
from exam_server.setup import exams as exam_service
from exam_server.setup.errors import SetupError
from exam_server.setup.forms import check_form, generate_forms, plan_part
from exam_server.setup.seating import adjacent_seats, too_alike
from tests.exam_server.setup.factories_setup import add_candidates, make_bank, make_exam


def it_exam(db, clock, per_cell=12, facility=None, **part_values):
    make_bank(
        db, clock.now, code="ENG", kind="foreign_language", per_cell=per_cell, facility=facility
    )
    make_bank(db, clock.now, code="IT", kind="it", per_cell=per_cell, facility=facility)
    exam = make_exam(db, clock.now)
    for part in exam.parts:
        if part_values:
            exam_service.update_part(db, part, part_values, now=clock.now, actor_id=None)
    return exam


def seat_everyone(db, clock, exam, candidates, seats_per_row=5, code="P1"):
    room = Room(
        code=code, name=f"Phòng {code}", capacity=len(candidates), seats_per_row=seats_per_row
    )
    shift = Shift(exam_id=exam.id, name="Ca 1", starts_at=clock.now)
    db.add_all([room, shift])
    db.flush()
    room_session = RoomSession(shift_id=shift.id, room_id=room.id)
    db.add(room_session)
    db.flush()
    for seat, candidate in enumerate(candidates, start=1):
        candidate.room_session_id = room_session.id
        candidate.seat = seat
    db.flush()
    return room_session


def stored(db, part_id):
    """(candidate, kind) → (item version ids in order, pool index)."""
    forms = {}
    for form in db.scalars(select(Form).where(Form.part_id == part_id)):
        ids = list(
            db.scalars(
                select(FormItem.item_version_id)
                .where(FormItem.form_id == form.id)
                .order_by(FormItem.position)
            )
        )
        forms[(form.candidate_id, form.kind)] = (ids, form.pool_index)
    return forms


def cell_of_versions(db):
    return {
        vid: (topic, difficulty)
        for vid, topic, difficulty in db.execute(
            select(ItemVersion.id, Item.topic_id, Item.difficulty).join(Item)
        )
    }


def test_every_stored_form_meets_the_blueprint_and_rebuilds_from_its_seed(db, clock):
    exam = it_exam(db, clock)
    add_candidates(db, exam, 6, now=clock.now)
    assert generate_forms(db, exam, clock.now) == 6 * 2 * 2
    cells = cell_of_versions(db)
    for part in exam.parts:
        wanted = Counter({(c["topic_id"], c["difficulty"]): c["count"] for c in part.blueprint})
        plan = plan_part(db, part)
        for form in db.scalars(select(Form).where(Form.part_id == part.id)):
            ids = [fi.item_version_id for fi in form.items]
            assert len(ids) == len(set(ids)) == part.item_count
            assert Counter(cells[i] for i in ids) == wanted
            assert check_form(db, form, plan).matches
            assert not check_form(db, form, plan).pool_changed


def test_a_tampered_form_no_longer_matches_its_seed(db, clock):
    exam = it_exam(db, clock)
    add_candidates(db, exam, 1, now=clock.now)
    generate_forms(db, exam, clock.now)
    form = db.scalars(select(Form)).first()
    first, second = form.items[0], form.items[1]
    first.option_order = list(reversed(first.option_order))
    db.flush()
    assert not check_form(db, form).matches
    assert second.item_version_id  # untouched rows stay as they were


def test_generation_is_reproducible_from_the_seed_source(db, clock):
    exam = it_exam(db, clock)
    add_candidates(db, exam, 3, now=clock.now)
    source = random.Random(99)
    generate_forms(db, exam, clock.now, seed_source=lambda: source.getrandbits(63))
    first = {k: v for part in exam.parts for k, v in stored(db, part.id).items()}
    source = random.Random(99)
    generate_forms(db, exam, clock.now, replace=True, seed_source=lambda: source.getrandbits(63))
    again = {k: v for part in exam.parts for k, v in stored(db, part.id).items()}
    assert again == first


def test_adjacent_seats_never_get_too_alike_forms(db, clock):
    # Without item shuffling, only the draw itself can keep neighbours apart.
    exam = it_exam(db, clock, per_cell=12, shuffle_items=False)
    candidates = add_candidates(db, exam, 15, now=clock.now)
    seat_everyone(db, clock, exam, candidates, seats_per_row=5)
    generate_forms(db, exam, clock.now)
    by_seat = {c.seat: c.id for c in candidates}
    checked = 0
    for part in exam.parts:
        forms = stored(db, part.id)
        for seat, cid in by_seat.items():
            mine, _ = forms[(cid, "main")]
            spare, _ = forms[(cid, "spare")]
            assert not too_alike(mine, spare, part.neighbour_overlap_max)
            for near in adjacent_seats(seat, 5):
                if near in by_seat:
                    theirs, _ = forms[(by_seat[near], "main")]
                    assert not too_alike(mine, theirs, part.neighbour_overlap_max)
                    checked += 1
    assert checked > 50


def test_a_bank_that_only_allows_one_form_cannot_keep_neighbours_apart(db, clock):
    # Each cell is drawn whole (4 of 4) and not shuffled: every form shows nearly one order.
    exam = it_exam(db, clock, per_cell=4, shuffle_items=False)
    candidates = add_candidates(db, exam, 4, now=clock.now)
    seat_everyone(db, clock, exam, candidates, seats_per_row=2)
    with pytest.raises(SetupError, match="neighbouring seats"):
        generate_forms(db, exam, clock.now)


def test_pool_mode_hands_out_k_parallel_forms_and_keeps_neighbours_apart(db, clock):
    exam = it_exam(db, clock, form_mode="pool", pool_size=10)
    candidates = add_candidates(db, exam, 20, now=clock.now)
    seat_everyone(db, clock, exam, candidates, seats_per_row=4)
    generate_forms(db, exam, clock.now)
    by_seat = {c.seat: c.id for c in candidates}
    for part in exam.parts:
        forms = stored(db, part.id)
        contents = defaultdict(set)
        for ids, index in forms.values():
            contents[index].add(tuple(ids))
        assert set(contents) <= set(range(10)) and len(contents) >= 4
        assert all(len(versions) == 1 for versions in contents.values())  # same index, same form
        for seat, cid in by_seat.items():
            _, mine = forms[(cid, "main")]
            _, spare = forms[(cid, "spare")]
            assert mine != spare
            for near in adjacent_seats(seat, 4):
                if near in by_seat:
                    assert forms[(by_seat[near], "main")][1] != mine


def test_a_pool_too_small_for_the_seating_is_refused(db, clock):
    exam = it_exam(db, clock, form_mode="pool", pool_size=2)
    candidates = add_candidates(db, exam, 9, now=clock.now)
    seat_everyone(db, clock, exam, candidates, seats_per_row=3)
    with pytest.raises(SetupError, match="neighbouring seats"):
        generate_forms(db, exam, clock.now)


def test_exposure_stays_below_the_limit(db, clock):
    exam = it_exam(db, clock, per_cell=12, max_exposure=0.4)
    add_candidates(db, exam, 15, now=clock.now)
    generate_forms(db, exam, clock.now)
    for part in exam.parts:
        forms = stored(db, part.id)
        usage = Counter(v for ids, _ in forms.values() for v in set(ids))
        assert max(usage.values()) <= 0.4 * len(forms)


def test_an_exposure_limit_the_bank_cannot_keep_is_named(db, clock):
    exam = it_exam(db, clock, per_cell=12, max_exposure=0.2)  # cells draw 4 of 12 = 33 %
    add_candidates(db, exam, 5, now=clock.now)
    with pytest.raises(SetupError) as refused:
        generate_forms(db, exam, clock.now)
    assert "20%" in str(refused.value) and "difficulty" in str(refused.value)


def test_every_form_is_within_the_tolerance_of_the_target_when_facility_is_known(db, clock):
    spread = random.Random(5)
    exam = it_exam(
        db,
        clock,
        per_cell=12,
        facility=lambda t, d, n: spread.uniform(0.15, 0.95),
        fairness_tolerance=0.02,
    )
    add_candidates(db, exam, 12, now=clock.now)
    generate_forms(db, exam, clock.now)
    facility = dict(db.execute(select(ItemVersion.id, Item.facility).join(Item)).all())
    for part in exam.parts:
        plan = plan_part(db, part)
        assert plan.fairness is not None
        maximum = sum(c["count"] * c["points"] for c in part.blueprint)
        for form in db.scalars(select(Form).where(Form.part_id == part.id)):
            expected = sum(fi.points * facility[fi.item_version_id] for fi in form.items)
            assert abs(expected - plan.fairness.target) <= 0.02 * maximum + 1e-9


def test_published_forms_cannot_be_replaced_but_missing_ones_are_added(db, clock):
    from exam_server.setup.errors import ExamFrozen
    from exam_server.setup.publishing import publish_exam

    exam = it_exam(db, clock)
    add_candidates(db, exam, 2, now=clock.now)
    publish_exam(db, exam, now=clock.now, actor_id=None)
    with pytest.raises(ExamFrozen):
        generate_forms(db, exam, clock.now, replace=True)
    add_candidates(db, exam, 1, now=clock.now, start=10)
    assert generate_forms(db, exam, clock.now) == 4


def test_exempt_candidates_get_no_form_for_the_part(db, clock):
    exam = it_exam(db, clock)
    first, second = add_candidates(db, exam, 2, now=clock.now)
    first.exempt_part_ids = [exam.parts[1].id]
    db.flush()
    generate_forms(db, exam, clock.now)
    assert (first.id, "main") not in stored(db, exam.parts[1].id)
    assert (second.id, "main") in stored(db, exam.parts[1].id)
