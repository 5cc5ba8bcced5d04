"""Rooms, shifts, automatic seating, manual moves, room staff and session codes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from exam_server.models import Candidate, Form, RoomSession
from exam_server.passwords import check_secret
from exam_server.setup import rooms
from exam_server.setup.errors import SetupError
from exam_server.setup.forms import generate_forms
from exam_server.setup.publishing import publish_exam
from tests.exam_server.setup.factories_setup import add_candidates, make_bank, make_exam
from tests.factories import make_staff

NAMES = ["Trần Văn Bình", "Lê Thị An", "Phạm Minh Châu", "Đỗ Văn Anh", "Ngô Thị Yến"]


@pytest.fixture
def exam(db, clock):
    make_bank(db, clock.now, code="ENG", kind="foreign_language", per_cell=12)
    make_bank(db, clock.now, code="IT", kind="it", per_cell=12)
    return make_exam(db, clock.now)


def room(db, clock, code="P1", capacity=3, **kwargs):
    return rooms.save_room(
        db,
        code=code,
        name=f"Phòng {code}",
        capacity=capacity,
        seats_per_row=kwargs.pop("seats_per_row", 3),
        now=clock.now,
        actor_id=None,
        **kwargs,
    )


def shift(db, clock, exam, name="Ca 1", hours=0):
    return rooms.save_shift(
        db,
        exam,
        name=name,
        starts_at=clock.now + dt.timedelta(hours=hours),
        now=clock.now,
        actor_id=None,
    )


def test_rooms_keep_terminals_and_refuse_bad_values(db, clock):
    made = room(db, clock, capacity=2, spare_terminals=1, terminal_ips=["10.0.0.11", "10.0.0.12 "])
    assert made.terminal_ips == ["10.0.0.11", "10.0.0.12"]
    assert rooms.terminal_ip(made, 2) == "10.0.0.12" and rooms.terminal_ip(made, 3) is None
    with pytest.raises(SetupError, match="IP"):
        room(db, clock, code="P2", terminal_ips=["10.0.0.300"])
    with pytest.raises(SetupError):
        room(db, clock, code="P3", capacity=1, terminal_ips=["10.0.0.1", "10.0.0.2", "10.0.0.3"])
    with pytest.raises(SetupError, match="P1"):
        room(db, clock, code="p1")


def test_seating_reports_candidates_left_without_a_seat(db, clock, exam):
    add_candidates(db, exam, 5, now=clock.now, names=NAMES)
    with pytest.raises(SetupError, match="1 candidates"):
        rooms.auto_assign(
            db,
            exam,
            shifts=[shift(db, clock, exam)],
            rooms=[room(db, clock, capacity=4)],
            now=clock.now,
            actor_id=None,
        )


def test_seats_follow_name_order_shift_then_room(db, clock, exam):
    add_candidates(db, exam, 5, now=clock.now, names=NAMES)
    first, second = shift(db, clock, exam), shift(db, clock, exam, "Ca 2", hours=3)
    a, b = room(db, clock, "A", capacity=2), room(db, clock, "B", capacity=1)
    rooms.auto_assign(db, exam, shifts=[second, first], rooms=[a, b], now=clock.now, actor_id=None)
    where = {}
    for c in db.scalars(select(Candidate).where(Candidate.exam_id == exam.id)):
        rs = db.get(RoomSession, c.room_session_id)
        where[c.full_name] = (rs.shift.name, rs.room.code, c.seat)
    assert where == {
        "Lê Thị An": ("Ca 1", "A", 1),
        "Đỗ Văn Anh": ("Ca 1", "A", 2),
        "Trần Văn Bình": ("Ca 1", "B", 1),
        "Phạm Minh Châu": ("Ca 2", "A", 1),
        "Ngô Thị Yến": ("Ca 2", "A", 2),
    }


def test_a_manual_move_checks_the_seat_and_redraws_draft_forms(db, clock, exam):
    people = add_candidates(db, exam, 3, now=clock.now, names=NAMES[:3])
    s = shift(db, clock, exam)
    r = room(db, clock, capacity=4)
    rooms.auto_assign(db, exam, shifts=[s], rooms=[r], now=clock.now, actor_id=None)
    generate_forms(db, exam, clock.now)
    moving = people[0]
    room_session = db.get(RoomSession, moving.room_session_id)
    taken = next(p for p in people if p is not moving)
    with pytest.raises(SetupError, match=taken.registration_number):
        rooms.move_candidate(db, moving, room_session, taken.seat, now=clock.now, actor_id=None)
    with pytest.raises(SetupError, match="1 to 4"):
        rooms.move_candidate(db, moving, room_session, 9, now=clock.now, actor_id=None)
    rooms.move_candidate(db, moving, room_session, 4, now=clock.now, actor_id=None)
    assert moving.seat == 4
    assert db.scalar(select(func.count(Form.id)).where(Form.candidate_id == moving.id)) == 0
    assert generate_forms(db, exam, clock.now) == 4  # drawn again against the new neighbours


def test_after_publishing_a_move_next_to_an_alike_form_is_refused(db, clock, exam):
    people = add_candidates(db, exam, 2, now=clock.now)
    s = shift(db, clock, exam)
    r = room(db, clock, capacity=9, seats_per_row=3)
    rooms.auto_assign(db, exam, shifts=[s], rooms=[r], now=clock.now, actor_id=None)
    publish_exam(db, exam, now=clock.now, actor_id=None)
    first, second = people
    # Give the second candidate a copy of the first one's main form, then seat them apart.
    rs = db.get(RoomSession, first.room_session_id)
    rooms.move_candidate(db, second, rs, 9, now=clock.now, actor_id=None)
    part = exam.parts[0]
    theirs = db.scalar(
        select(Form).where(
            Form.candidate_id == first.id, Form.part_id == part.id, Form.kind == "main"
        )
    )
    mine = db.scalar(
        select(Form).where(
            Form.candidate_id == second.id, Form.part_id == part.id, Form.kind == "main"
        )
    )
    for a, b in zip(mine.items, theirs.items, strict=True):
        a.item_version_id = b.item_version_id
    db.flush()
    with pytest.raises(SetupError, match=first.registration_number):
        rooms.move_candidate(db, second, rs, 2, now=clock.now, actor_id=None)
    rooms.move_candidate(db, second, rs, 8, now=clock.now, actor_id=None)  # not adjacent: fine


def test_room_staff_duties_follow_account_roles_and_gaps_are_listed(db, clock, exam):
    s = shift(db, clock, exam)
    r = room(db, clock)
    rs = rooms.room_sessions_of(db, exam.id)
    assert rs == []
    from exam_server.setup.candidates import room_session_for

    room_session = room_session_for(db, s, r)
    head = make_staff(db, clock.now, "head_proctor", "gt1")
    proctor = make_staff(db, clock.now, "proctor", "gt2")
    tech = make_staff(db, clock.now, "technician", "ktv")
    examiner = make_staff(db, clock.now, "examiner", "bdt")
    assert len(rooms.staffing_gaps(db, exam)) == 3
    with pytest.raises(SetupError):
        rooms.assign_staff(db, room_session, examiner, "proctor", now=clock.now, actor_id=None)
    rooms.assign_staff(db, room_session, head, "head_proctor", now=clock.now, actor_id=None)
    with pytest.raises(SetupError):
        rooms.assign_staff(db, room_session, proctor, "head_proctor", now=clock.now, actor_id=None)
    rooms.assign_staff(db, room_session, proctor, "proctor", now=clock.now, actor_id=None)
    (gap,) = rooms.staffing_gaps(db, exam)
    assert r.name in str(gap) and s.name in str(gap)
    rooms.assign_staff(db, room_session, tech, "technician", now=clock.now, actor_id=None)
    assert rooms.staffing_gaps(db, exam) == []
    other = room_session_for(db, s, room(db, clock, "P2"))
    with pytest.raises(SetupError):  # one room per shift
        rooms.assign_staff(db, other, tech, "technician", now=clock.now, actor_id=None)


def test_session_codes_are_hashed_per_shift_and_replaced(db, clock, exam):
    first, second = shift(db, clock, exam), shift(db, clock, exam, "Ca 2", hours=3)
    issued = rooms.issue_session_codes(db, exam, rounds=4, now=clock.now, actor_id=None)
    assert [i.shift for i in issued] == [first, second]
    assert issued[0].code != issued[1].code
    old = issued[0].code
    assert check_secret(old, first.session_code_hash) and old not in first.session_code_hash
    (again,) = rooms.issue_session_codes(
        db, exam, rounds=4, now=clock.now, actor_id=None, shifts=[first]
    )
    assert not check_secret(old, first.session_code_hash)
    assert check_secret(again.code, first.session_code_hash)
