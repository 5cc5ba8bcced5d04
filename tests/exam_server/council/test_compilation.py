"""Compiling results from stored attempts and the council's decisions, approval and freezing."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from exam_server.council import services
from exam_server.council.services import DecisionDraft
from exam_server.models import Attempt, AuditEntry, FormItem
from exam_server.models.council import (
    CandidateResultRecord,
    Decision,
    PartResultRecord,
    PositionQuota,
)
from tests.exam_server.council.factories_council import form_keys, sit
from tests.factories import make_staff


@pytest.fixture
def chair(db, clock):
    return make_staff(db, clock.now, "council_chair")


@pytest.fixture
def sat(db, clock):
    # 6, 3 and 1 right answers of 6 (pass at 50 % correct); a fourth candidate is absent.
    sat = sit(db, clock, [6, 3, 1], absent=1)
    sat.sitting.exam.status = "closed"
    return sat


def part_row(db, candidate):
    return db.scalar(select(PartResultRecord).where(PartResultRecord.candidate_id == candidate.id))


def overall(db, candidate):
    return db.scalar(
        select(CandidateResultRecord.overall).where(
            CandidateResultRecord.candidate_id == candidate.id
        )
    )


def test_compiling_copies_stored_results_and_decides_overall(db, clock, sat, chair):
    services.compile_results(db, sat.sitting.exam, chair, clock.now)
    first, second, third, absent = sat.candidates
    assert [overall(db, c) for c in sat.candidates] == ["passed", "passed", "failed", "absent"]
    row = part_row(db, second)
    attempt = sat.attempts[second.id]
    assert (row.status, row.correct_count, row.score_100, row.passed) == ("sat", 3, 50.0, True)
    assert row.stored_score_100 == attempt.score_100 and row.attempt_id == attempt.id
    assert part_row(db, absent).status == "absent" and part_row(db, absent).score_100 is None


def test_an_exempt_part_is_shown_as_exempt(db, clock, sat, chair):
    absent = sat.candidates[3]
    absent.exempt_part_ids = [sat.sitting.part.id]
    db.flush()
    services.compile_results(db, sat.sitting.exam, chair, clock.now)
    assert part_row(db, absent).status == "exempt" and overall(db, absent) == "exempt"


def test_a_reprimand_deducts_a_quarter_and_reports_before_and_after(db, clock, sat, chair):
    exam = sat.sitting.exam
    services.compile_results(db, exam, chair, clock.now)
    second = sat.candidates[1]
    decision, changes = services.record_decision(
        db,
        exam,
        DecisionDraft(
            "sanction",
            "Trao đổi bài",
            second.id,
            sat.sitting.part.id,
            value={"sanction": "reprimand"},
        ),
        chair,
        clock.now,
    )
    row = part_row(db, second)
    assert row.adjusted_correct == 2.25 and row.score_100 == 37.5 and not row.passed
    assert row.sanction == "reprimand" and row.decision_ids == [decision.id]
    assert overall(db, second) == "failed"
    assert decision.effect == [
        {
            "candidate_id": second.id,
            "part_id": sat.sitting.part.id,
            "before": {"correct": 3, "adjusted_correct": 3.0, "score_100": 50.0, "passed": True},
            "after": {"correct": 3, "adjusted_correct": 2.25, "score_100": 37.5, "passed": False},
        }
    ]
    # The result stored at finalisation is kept as it was.
    assert db.get(Attempt, sat.attempts[second.id].id).score_100 == 50.0
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.action == "council_decision"))


def test_suspension_voids_and_unsigned_scores_zero(db, clock, sat, chair):
    exam = sat.sitting.exam
    first, second, *_ = sat.candidates
    services.record_decision(
        db,
        exam,
        DecisionDraft("sanction", "Mang tài liệu", first.id, value={"sanction": "suspension"}),
        chair,
        clock.now,
    )
    services.record_decision(
        db,
        exam,
        DecisionDraft("unsigned", "Không ký danh sách", second.id, sat.sitting.part.id),
        chair,
        clock.now,
    )
    assert part_row(db, first).status == "voided" and overall(db, first) == "voided"
    row = part_row(db, second)
    assert (row.status, row.score_100, row.passed, row.sanction) == (
        "sat",
        0.0,
        False,
        "unsigned_result_list",
    )


def wrong_item(db, sat, candidate):
    """The item version of the last question the candidate got wrong, and its form item."""
    attempt = sat.attempts[candidate.id]
    form_item, version = form_keys(db, attempt)[6]
    return form_item, version


def test_a_faulty_item_is_credited_to_everyone_who_had_it(db, clock, sat, chair):
    exam = sat.sitting.exam
    services.compile_results(db, exam, chair, clock.now)
    third = sat.candidates[2]
    form_item, version = wrong_item(db, sat, third)
    holders = set(
        db.scalars(
            select(Attempt.candidate_id)
            .join(FormItem, FormItem.form_id == Attempt.form_id)
            .where(FormItem.item_version_id == version.id)
        )
    )
    decision, changes = services.record_decision(
        db,
        exam,
        DecisionDraft("faulty_item", "Câu hỏi sai đáp án", item_version_id=version.id),
        chair,
        clock.now,
    )
    row = part_row(db, third)
    assert row.correct_count == 2 and row.score_100 == 33.33
    assert row.decision_ids == [decision.id]
    for candidate in sat.candidates:  # only those who had the item trace the decision
        traced = part_row(db, candidate).decision_ids == [decision.id]
        assert traced == (candidate.id in holders)
    assert row.stored_correct_count == 1  # the stored result stays for the before/after view
    # Exactly those who had it and got it wrong changed; the first candidate had all right.
    changed = {c.key[0] for c in changes}
    assert third.id in changed and changed <= holders and sat.candidates[0].id not in changed
    assert {r["candidate_id"] for r in decision.effect} == changed


def test_a_second_option_accepted(db, clock, sat, chair):
    exam = sat.sitting.exam
    third = sat.candidates[2]
    form_item, version = wrong_item(db, sat, third)
    chosen = db.scalar(select(Attempt).where(Attempt.id == sat.attempts[third.id].id))
    from exam_server.models import Answer

    response = db.scalar(
        select(Answer.response).where(Answer.attempt_id == chosen.id, Answer.position == 6)
    )
    option_id = form_item.option_order[response[0]]
    services.record_decision(
        db,
        exam,
        DecisionDraft(
            "accept_option",
            "Hai phương án đúng",
            item_version_id=version.id,
            value={"option_id": option_id},
        ),
        chair,
        clock.now,
    )
    assert part_row(db, third).correct_count == 2


def test_a_revoked_decision_restores_the_results(db, clock, sat, chair):
    exam = sat.sitting.exam
    second = sat.candidates[1]
    decision, _ = services.record_decision(
        db,
        exam,
        DecisionDraft("sanction", "x", second.id, value={"sanction": "warning"}),
        chair,
        clock.now,
    )
    assert not part_row(db, second).passed
    changes = services.revoke_decision(db, decision, "Nhầm thí sinh", chair, clock.now)
    assert part_row(db, second).passed and part_row(db, second).sanction is None
    assert len(changes) == 1 and decision.revoked_at is not None
    with pytest.raises(services.CouncilError):
        services.revoke_decision(db, decision, "again", chair, clock.now)


def test_a_room_decision_waits_for_the_chair(db, clock, sat, chair):
    exam = sat.sitting.exam
    second = sat.candidates[1]
    proctor = make_staff(db, clock.now, "head_proctor")
    pending = Decision(
        exam_id=exam.id,
        kind="sanction",
        candidate_id=second.id,
        part_id=sat.sitting.part.id,
        value={"sanction": "warning"},
        reason="Biên bản phòng thi",
        record_ref="proctor_incident:1",
        source="proctor",
        decided_by_id=proctor.id,
        decided_at=clock.now,
    )
    db.add(pending)
    db.flush()
    services.compile_results(db, exam, chair, clock.now)
    assert part_row(db, second).passed  # not yet confirmed
    services.confirm_decision(db, pending, chair, clock.now)
    assert part_row(db, second).adjusted_correct == 1.5 and not part_row(db, second).passed


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (DecisionDraft("sanction", "", 1, value={"sanction": "warning"}), "reason"),
        (DecisionDraft("sanction", "x", None, value={"sanction": "warning"}), "candidate"),
        (DecisionDraft("sanction", "x", 1, value={"sanction": "detention"}), "sanction"),
        (
            DecisionDraft("sanction", "x", 1, value={"sanction": "suspension", "deduction": 0.3}),
            "deducts",
        ),
        (DecisionDraft("interview", "x", 1, value={"score": 120}), "number"),
        (DecisionDraft("unsigned", "x", 1), "part"),
        (DecisionDraft("faulty_item", "x", item_version_id=999999), "question"),
        (DecisionDraft("haircut", "x"), "Unknown"),
    ],
)
def test_invalid_decisions_are_refused_with_a_reason(app, db, clock, sat, chair, draft, message):
    candidate_id = sat.candidates[0].id if draft.candidate_id == 1 else draft.candidate_id
    draft = DecisionDraft(
        draft.kind, draft.reason, candidate_id, draft.part_id, draft.item_version_id, draft.value
    )
    with app.test_request_context(), pytest.raises(services.CouncilError) as refused:
        services.record_decision(db, sat.sitting.exam, draft, chair, clock.now)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask_babel import force_locale

        with force_locale("en"):
            assert message in str(refused.value.message)


def test_approval_freezes_and_later_changes_need_a_decision(db, clock, sat, chair):
    exam = sat.sitting.exam
    approval = services.approve_results(db, exam, chair, clock.now, note="Họp hội đồng")
    assert exam.status == "results_approved" and len(approval.snapshot) == 4
    assert services.changed_since_approval(db, exam) is False
    with pytest.raises(services.ResultsFrozen):
        services.compile_results(db, exam, chair, clock.now)
    second = sat.candidates[1]
    decision, changes = services.record_decision(
        db,
        exam,
        DecisionDraft("sanction", "Phát hiện sau", second.id, value={"sanction": "warning"}),
        chair,
        clock.now,
    )
    assert decision.after_approval and len(changes) == 1
    assert services.changed_since_approval(db, exam) is True
    again = services.approve_results(db, exam, chair, clock.now)
    assert again.results_sha256 != approval.results_sha256
    assert services.changed_since_approval(db, exam) is False


def test_approval_needs_collected_papers_and_a_clean_audit(db, clock, chair):
    sat = sit(db, clock, [2, 4], code="OPEN1")
    exam = sat.sitting.exam
    exam.status = "closed"
    db.execute(
        update(Attempt)
        .where(Attempt.id == sat.attempts[sat.candidates[0].id].id)
        .values(score_100=99.0)
    )
    db.expire_all()
    with pytest.raises(services.CouncilError) as refused:
        services.approve_results(db, exam, chair, clock.now)
    assert "mismatches" in str(refused.value.message) or "sai lệch" in str(refused.value.message)
    assert exam.status == "closed"

    pending = sit(db, clock, [2], submit=False, code="OPEN2")
    pending.sitting.exam.status = "in_progress"
    with pytest.raises(services.CouncilError):
        services.approve_results(db, pending.sitting.exam, chair, clock.now)


def test_round_two_combines_interview_priority_and_ranks_per_position(db, clock, chair):
    sat = sit(db, clock, [6, 5, 5, 3], code="R2")
    exam = sat.sitting.exam
    exam.kind = "recruitment_round2"
    exam.status = "closed"
    a, b, c, d = sat.candidates
    for candidate in sat.candidates:
        candidate.position_applied = "Chuyên viên"
    db.add(PositionQuota(exam_id=exam.id, position="Chuyên viên", places=2))
    db.flush()
    # written: a 100, b 83.33, c 83.33, d 50
    for candidate, score in ((a, 40), (b, 60), (c, 70), (d, 90)):
        services.record_decision(
            db,
            exam,
            DecisionDraft("interview", "Phỏng vấn", candidate.id, value={"score": score}),
            chair,
            clock.now,
        )
    services.record_decision(
        db,
        exam,
        DecisionDraft("priority", "Con thương binh", b.id, value={"points": 5}),
        chair,
        clock.now,
    )
    rows = {
        r.candidate_id: r
        for r in db.scalars(
            select(CandidateResultRecord).where(CandidateResultRecord.exam_id == exam.id)
        )
    }
    assert not rows[a.id].eligible  # interview 40 < 50
    assert rows[b.id].combined == 76.33 and rows[b.id].total == 81.33  # 58.331 + 18 (+5)
    assert rows[c.id].total == 79.33  # 58.331 + 21
    assert rows[d.id].total == 62.0  # 35 + 27
    assert (rows[b.id].rank, rows[c.id].rank, rows[d.id].rank) == (1, 2, 3)
    assert rows[b.id].selected and rows[c.id].selected and not rows[d.id].selected
    assert rows[a.id].rank is None
