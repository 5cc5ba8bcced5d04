"""Publishing refuses, naming part, topic, difficulty and shortfall, what the bank cannot serve."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from exam_server.models import Form, Topic
from exam_server.setup import exams as exam_service
from exam_server.setup.publishing import PublishRefused, check_exam, publish_exam
from tests.exam_server.setup.factories_setup import add_candidates, make_bank, make_exam
from tests.factories import make_item


def pilot(db, clock, eng_per_cell=12, it_per_cell=12):
    make_bank(db, clock.now, code="ENG", kind="foreign_language", per_cell=eng_per_cell)
    make_bank(db, clock.now, code="IT", kind="it", per_cell=it_per_cell)
    return make_exam(db, clock.now)


def test_a_ready_exam_publishes_and_stores_every_form(db, clock):
    exam = pilot(db, clock)
    add_candidates(db, exam, 3, now=clock.now)
    assert check_exam(db, exam) == []
    made = publish_exam(db, exam, now=clock.now, actor_id=None)
    assert made == 3 * 2 * 2  # main + spare per candidate per part
    assert db.scalar(select(func.count(Form.id))) == 12


def test_an_unfillable_cell_is_named_with_its_shortfall(db, clock):
    exam = pilot(db, clock)
    part = exam.parts[1]
    topic = db.get(Topic, part.blueprint[0]["topic_id"])
    cells = [dict(c) for c in part.blueprint]
    cells[0]["count"] = 15  # 12 approved items in that cell
    cells[1]["count"] = max(0, cells[1]["count"] - 11)
    exam_service.set_blueprint(db, part, cells, now=clock.now, actor_id=None)
    problems = check_exam(db, exam)
    unfillable = [p for p in problems if p.code == "unfillable"]
    assert len(unfillable) == 1
    problem = unfillable[0]
    assert (problem.part, problem.topic_id, problem.difficulty, problem.shortfall) == (
        2,
        topic.id,
        cells[0]["difficulty"],
        3,
    )
    text = str(problem)
    assert "Tin học" in text and topic.name in text and "3" in text
    with pytest.raises(PublishRefused) as refused:
        publish_exam(db, exam, now=clock.now, actor_id=None)
    assert exam.status == "draft"
    assert any(p.code == "unfillable" for p in refused.value.problems)


def test_a_bank_below_three_times_the_count_is_refused_and_the_multiplier_is_editable(db, clock):
    exam = pilot(db, clock, it_per_cell=8)  # IT cells draw 4 (difficulty 1, 2) of 8
    problems = [p for p in check_exam(db, exam) if p.code == "bank_too_small"]
    assert {p.part for p in problems} == {2}
    assert all(p.shortfall == 4 and p.difficulty in (1, 2) for p in problems)
    assert "3 × 4 = 12" in str(problems[0])
    exam_service.update_part(
        db, exam.parts[1], {"bank_multiplier": 2}, now=clock.now, actor_id=None
    )
    assert check_exam(db, exam) == []


def test_item_types_the_rules_do_not_allow_are_refused(db, clock):
    make_bank(db, clock.now, code="GK", kind="administrative", per_cell=40)
    exam = make_exam(db, clock.now, "decree170_round1", code="V1")
    part = exam.parts[0]
    exam_service.update_part(
        db,
        part,
        {"allowed_types": ["single_choice", "multiple_response"]},
        now=clock.now,
        actor_id=None,
    )
    problems = check_exam(db, exam)
    assert [p.code for p in problems] == ["type_not_permitted"]
    assert "multiple_response" in str(problems[0])


def test_items_of_a_type_the_part_does_not_take_are_not_counted_and_are_mentioned(db, clock):
    subject = make_bank(db, clock.now, code="GK", kind="administrative", per_cell=40)
    exam = make_exam(db, clock.now, "decree170_round1", code="V1")
    part = exam.parts[0]
    exam_service.update_part(
        db, part, {"allowed_types": ["true_false"]}, now=clock.now, actor_id=None
    )
    topic = db.scalar(select(Topic).where(Topic.subject_id == subject.id))
    make_item(db, clock.now, subject, topic, 1, stem="tf", item_type="true_false")
    problems = [p for p in check_exam(db, exam) if p.code == "unfillable"]
    assert problems
    assert "single_choice" in str(problems[0])


def test_round_two_limits_and_points_on_100_are_checked(db, clock):
    make_bank(db, clock.now, code="CN", kind="specialized", per_cell=45)
    exam = make_exam(db, clock.now, "decree170_round2_computer", code="V2")
    part = exam.parts[0]
    assert check_exam(db, exam) == []
    assert exam_service.blueprint_points_total(part) == 100
    exam_service.update_part(
        db, part, {"item_count": 130, "duration_minutes": 60}, now=clock.now, actor_id=None
    )
    codes = {p.code for p in check_exam(db, exam)}
    assert {"item_count_range", "duration_range", "blueprint_total"} <= codes
    cells = [dict(c, points=1.0) for c in part.blueprint]
    exam_service.update_part(
        db, part, {"item_count": 60, "duration_minutes": 90}, now=clock.now, actor_id=None
    )
    exam_service.set_blueprint(db, part, cells, now=clock.now, actor_id=None)
    problems = check_exam(db, exam)
    assert [p.code for p in problems] == ["points_total"]
    assert "60" in str(problems[0]) and "100" in str(problems[0])


def test_editing_the_blueprint_drops_stored_draft_forms(db, clock):
    exam = pilot(db, clock)
    add_candidates(db, exam, 2, now=clock.now)
    from exam_server.setup.forms import generate_forms

    assert generate_forms(db, exam, clock.now) == 8
    part = exam.parts[0]
    exam_service.set_blueprint(db, part, list(part.blueprint), now=clock.now, actor_id=None)
    assert db.scalar(select(func.count(Form.id)).where(Form.part_id == part.id)) == 0
    assert publish_exam(db, exam, now=clock.now, actor_id=None) == 4


def test_an_exemption_from_a_part_that_allows_none_is_refused(db, clock):
    exam = pilot(db, clock)
    (candidate,) = add_candidates(db, exam, 1, now=clock.now)
    candidate.exempt_part_ids = [exam.parts[0].id]
    assert [p.code for p in check_exam(db, exam)] == ["exemption"]
