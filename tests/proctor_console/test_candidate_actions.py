"""Per candidate: retakes on the spare form, extensions on a decision, sanctions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from exam_server.clock import seconds_left
from exam_server.delivery import services as delivery
from exam_server.delivery.errors import AttemptClosed, CandidateSuspended, NothingToStart
from exam_server.lifecycle import clock_state
from exam_server.models import AnswerEvent, Attempt, AuditEntry, Form
from exam_server.models.proctor import (
    ChairDecision,
    RecordDeletionRefused,
    Retake,
    Sanction,
    TimeExtension,
)
from proctor_console import candidate_actions as actions
from proctor_console.decisions import DecisionInput
from proctor_console.errors import ConsoleRefused
from proctor_console.incidents import IncidentData, report_incident
from tests.conftest import csrf_from
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import answer, open_attempt, sign_in

DECISION = DecisionInput("07/QĐ-HĐTD", "Chủ tịch Hội đồng")


def running(db, clock, **kwargs):
    sitting = make_sitting(db, clock.now, room_state="running", **kwargs)
    head = make_staff(db, clock.now, "head_proctor")
    return sitting, head


def events(db, attempt):
    return db.scalars(
        select(AnswerEvent.kind)
        .where(AnswerEvent.attempt_id == attempt.id)
        .order_by(AnswerEvent.ordinal)
    ).all()


def test_a_retake_in_the_same_shift_opens_the_spare_form(db, clock):
    sitting, head = running(db, clock)
    candidate, _ = sitting.candidates[0]
    first = open_attempt(db, candidate, clock.now)
    answer(db, first, candidate, [1, 2], clock.now)
    incident = report_incident(
        db,
        sitting.room,
        IncidentData(clock.now, "technical", (candidate.id,), None, "Máy treo", "Đổi máy", ""),
        head,
        clock.now,
    )
    clock.advance(minutes=12)
    retake = actions.order_retake(
        db,
        candidate,
        attempt_id=first.id,
        mode="same_shift",
        reason="Máy hỏng giữa giờ",
        incident_id=incident.id,
        scheduled_at=None,
        decision=None,
        actor=head,
        now=clock.now,
    )
    assert first.state == "voided" and events(db, first)[-2:] == ["finalise", "void"]
    assert first.answered_count == 2  # what the server held is kept with the old attempt
    new = db.get(Attempt, retake.new_attempt_id)
    spare = db.scalar(
        select(Form).where(
            Form.candidate_id == candidate.id, Form.part_id == first.part_id, Form.kind == "spare"
        )
    )
    assert (new.attempt_no, new.form_id, new.state) == (2, spare.id, "in_progress")
    assert seconds_left(clock_state(new, sitting.room), clock.now) == 30 * 60  # full time again
    # The terminal carries on with the new attempt; the old one refuses answers.
    assert delivery.start_next_part(db, candidate, clock.now).id == new.id
    with pytest.raises(AttemptClosed):
        answer(db, first, candidate, [3], clock.now)
    answer(db, new, candidate, [1], clock.now)
    audit = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.target_type == "attempt", AuditEntry.action.like("retake_%"))
        .order_by(AuditEntry.id)
    ).all()
    assert audit == ["retake_ordered", "retake_opened"]
    # The spare form serves once.
    with pytest.raises(ConsoleRefused):
        actions.order_retake(
            db,
            candidate,
            attempt_id=new.id,
            mode="same_shift",
            reason="again",
            incident_id=None,
            scheduled_at=None,
            decision=None,
            actor=head,
            now=clock.now,
        )
    assert new.state == "in_progress"


def test_a_retake_on_a_later_day_needs_the_chairs_decision(db, clock):
    sitting, head = running(db, clock)
    candidate, _ = sitting.candidates[0]
    first = open_attempt(db, candidate, clock.now)
    later = clock.now + dt.timedelta(days=2)
    with pytest.raises(ConsoleRefused):
        actions.order_retake(
            db,
            candidate,
            attempt_id=first.id,
            mode="later",
            reason="Mất điện kéo dài",
            incident_id=None,
            scheduled_at=later,
            decision=None,
            actor=head,
            now=clock.now,
        )
    assert first.state == "in_progress"
    retake = actions.order_retake(
        db,
        candidate,
        attempt_id=first.id,
        mode="later",
        reason="Mất điện kéo dài",
        incident_id=None,
        scheduled_at=later,
        decision=DECISION,
        actor=head,
        now=clock.now,
    )
    assert first.state == "voided" and retake.new_attempt_id is None
    assert db.get(ChairDecision, retake.decision_id).kind == "retake_later"
    # Until it is opened the candidate has nothing to start.
    with pytest.raises(NothingToStart):
        delivery.start_next_part(db, candidate, clock.now)
    clock.advance(days=2)
    new = actions.open_retake(db, retake, head, clock.now)
    assert new.attempt_no == 2 and retake.opened_at == clock.now
    with pytest.raises(ConsoleRefused):
        actions.open_retake(db, retake, head, clock.now)


def test_a_same_shift_retake_waits_for_a_paused_room(db, clock):
    sitting, head = running(db, clock)
    candidate, _ = sitting.candidates[0]
    first = open_attempt(db, candidate, clock.now)
    sitting.room.state, sitting.room.paused_at = "paused", clock.now
    with pytest.raises(ConsoleRefused):
        actions.order_retake(
            db,
            candidate,
            attempt_id=first.id,
            mode="same_shift",
            reason="x",
            incident_id=None,
            scheduled_at=None,
            decision=None,
            actor=head,
            now=clock.now,
        )
    assert first.state == "in_progress"


def test_a_time_extension_only_with_a_recorded_decision(db, clock):
    sitting, head = running(db, clock)
    candidate, _ = sitting.candidates[0]
    attempt = open_attempt(db, candidate, clock.now)
    before = seconds_left(clock_state(attempt, sitting.room), clock.now)
    with pytest.raises(ConsoleRefused):
        actions.grant_extension(
            db,
            candidate,
            attempt_id=attempt.id,
            minutes=5,
            reason="Máy chậm",
            decision=DecisionInput("", ""),
            actor=head,
            now=clock.now,
        )
    assert attempt.extension_seconds == 0
    extension = actions.grant_extension(
        db,
        candidate,
        attempt_id=attempt.id,
        minutes=5,
        reason="Máy chậm",
        decision=DECISION,
        actor=head,
        now=clock.now,
    )
    assert attempt.extension_seconds == 300 and extension.seconds == 300
    assert seconds_left(clock_state(attempt, sitting.room), clock.now) == before + 300
    assert events(db, attempt)[-1] == "extension"
    assert db.get(ChairDecision, extension.decision_id).reference == "07/QĐ-HĐTD"
    delivery.submit(
        db, attempt_id=attempt.id, candidate_id=candidate.id, terminal="T1", now=clock.now
    )
    with pytest.raises(ConsoleRefused):  # only an attempt in progress gets more time
        actions.grant_extension(
            db,
            candidate,
            attempt_id=attempt.id,
            minutes=5,
            reason="x",
            decision=DECISION,
            actor=head,
            now=clock.now,
        )


def sanction(db, candidate, head, clock, kind, **extra):
    return actions.impose_sanction(
        db,
        candidate,
        kind=kind,
        reason=extra.pop("reason", "Trao đổi bài"),
        witnesses=extra.pop("witnesses", "Giám thị 2; thí sinh ghế 3"),
        incident_id=extra.pop("incident_id", None),
        actor=head,
        now=clock.now,
    )


def test_a_reprimand_is_recorded_and_the_test_goes_on(db, clock):
    sitting, head = running(db, clock)
    candidate, _ = sitting.candidates[0]
    attempt = open_attempt(db, candidate, clock.now)
    record = sanction(db, candidate, head, clock, "reprimand")
    assert (record.kind, record.attempt_id) == ("reprimand", attempt.id)
    assert attempt.state == "in_progress"
    with pytest.raises(ConsoleRefused):
        sanction(db, candidate, head, clock, "warning", witnesses=" ")
    with pytest.raises(ConsoleRefused):
        sanction(db, candidate, head, clock, "warning", reason="")


def with_second_part(db, sitting, clock):
    """Add a second part to a published sitting and store its forms (as setup would)."""
    from exam_server.models import ExamPart
    from exam_server.setup.forms import generate_forms

    second_part = ExamPart(
        exam_id=sitting.exam.id,
        position=2,
        subject_id=sitting.part.subject_id,
        title="Part two",
        item_count=sitting.part.item_count,
        duration_minutes=30,
        allowed_types=sitting.part.allowed_types,
        blueprint=sitting.part.blueprint,
    )
    db.add(second_part)
    db.flush()
    db.expire(sitting.exam, ["parts"])
    sitting.exam.status = "draft"
    generate_forms(db, sitting.exam, clock.now)
    sitting.exam.status = "published"
    return second_part


def test_suspension_stops_the_test_and_bars_the_parts_not_taken(db, clock):
    sitting, head = running(db, clock)
    second_part = with_second_part(db, sitting, clock)
    candidate, _ = sitting.candidates[0]
    attempt = open_attempt(db, candidate, clock.now)
    answer(db, attempt, candidate, [1], clock.now)
    record = sanction(db, candidate, head, clock, "suspension")
    assert attempt.state == "voided" and attempt.finalised_by == "staff"
    assert events(db, attempt)[-1] == "void"
    barred = db.scalar(
        select(Attempt).where(
            Attempt.candidate_id == candidate.id, Attempt.part_id == second_part.id
        )
    )
    assert barred.state == "voided"
    payload = db.scalar(select(AnswerEvent.payload).where(AnswerEvent.attempt_id == barred.id))
    assert payload == {"reason": "suspension", "sanction": record.id, "not_started": True}
    with pytest.raises(CandidateSuspended):  # the terminal says why, not just "finished"
        delivery.start_next_part(db, candidate, clock.now)
    with pytest.raises(AttemptClosed):
        answer(db, attempt, candidate, [2], clock.now)


def test_records_cannot_be_deleted(db, clock):
    sitting, head = running(db, clock)
    candidate, _ = sitting.candidates[0]
    record = sanction(db, candidate, head, clock, "warning")
    db.delete(record)
    with pytest.raises(RecordDeletionRefused):
        db.flush()
    db.rollback()


def test_a_proctor_records_a_warning_but_not_a_suspension(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    make_staff(db, clock.now, "proctor", username="gt2")
    candidate, _ = sitting.candidates[0]
    open_attempt(db, candidate, clock.now)
    sign_in(client, "gt2")
    page = client.get(f"/proctor/candidates/{candidate.id}")
    assert page.status_code == 200
    assert 'value="warning"' in page.text and 'value="suspension"' not in page.text
    token = csrf_from(page.text)
    base = {"csrf_token": token, "sn-reason": "Dùng điện thoại", "sn-witnesses": "GT1, GT2"}
    refused = client.post(
        f"/proctor/candidates/{candidate.id}/sanction", data={**base, "sn-kind": "suspension"}
    )
    assert refused.status_code == 403
    done = client.post(
        f"/proctor/candidates/{candidate.id}/sanction",
        data={**base, "sn-kind": "warning", "sn-incident_id": "0"},
        follow_redirects=True,
    )
    assert "Đã ghi nhận hình thức kỷ luật" in done.text
    assert db.scalar(select(Sanction.kind)) == "warning"
    # Extensions are the head proctor's: the form is not offered, the post is refused.
    assert "extension-form" not in done.text
    refused = client.post(
        f"/proctor/candidates/{candidate.id}/extension",
        data={"csrf_token": token, "ext-minutes": "5"},
    )
    assert refused.status_code == 403


def test_the_head_proctor_extends_time_and_orders_a_retake_in_the_page(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    make_staff(db, clock.now, "head_proctor", username="gt1")
    candidate, _ = sitting.candidates[0]
    attempt = open_attempt(db, candidate, clock.now)
    sign_in(client, "gt1")
    page = client.get(f"/proctor/candidates/{candidate.id}")
    token = csrf_from(page.text)
    refused = client.post(
        f"/proctor/candidates/{candidate.id}/extension",
        data={
            "csrf_token": token,
            "ext-attempt_id": attempt.id,
            "ext-minutes": "5",
            "ext-reason": "Máy chậm",
        },
        follow_redirects=True,
    )
    assert "quyết định của Chủ tịch Hội đồng" in refused.text
    assert db.scalar(select(TimeExtension.id)) is None
    client.post(
        f"/proctor/candidates/{candidate.id}/extension",
        data={
            "csrf_token": token,
            "ext-attempt_id": attempt.id,
            "ext-minutes": "5",
            "ext-reason": "Máy chậm",
            "ext-decision_reference": "09/QĐ",
            "ext-decision_by": "Chủ tịch",
        },
    )
    db.refresh(attempt)
    assert attempt.extension_seconds == 300
    done = client.post(
        f"/proctor/candidates/{candidate.id}/retake",
        data={
            "csrf_token": token,
            "rt-attempt_id": attempt.id,
            "rt-mode": "same_shift",
            "rt-incident_id": "0",
            "rt-reason": "Máy hỏng",
        },
        follow_redirects=True,
    )
    assert "lượt thi lại đã mở trên đề dự phòng" in done.text
    retake = db.scalar(select(Retake))
    assert retake.mode == "same_shift" and retake.new_attempt_id is not None
    timeline = done.text[done.text.index('id="timeline"') :]
    assert "Máy hỏng" in timeline and "Máy chậm" in timeline


def test_an_exam_with_a_suspension_and_a_barred_part_still_verifies(db, clock):
    """The council's audit accepts the proctor's void events, and only where they belong."""
    from exam_server.audit_verify import verify_exam

    sitting, head = running(db, clock)
    with_second_part(db, sitting, clock)
    candidate, _ = sitting.candidates[0]
    attempt = open_attempt(db, candidate, clock.now)
    answer(db, attempt, candidate, [1], clock.now)
    sanction(db, candidate, head, clock, "suspension")
    db.flush()
    report = verify_exam(db, sitting.exam)
    assert report.ok, report
