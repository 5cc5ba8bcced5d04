"""`examctl audit verify`: tampering directly in the database is caught, a clean sitting passes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import delete, select, update

from exam_server.audit_verify import verify_exam
from exam_server.cli import main
from exam_server.models import Answer, AnswerEvent, Attempt
from tests.exam_server.council.factories_council import sit


def run_cli(app, *args):
    return CliRunner().invoke(
        main, list(args), obj=ScriptInfo(create_app=lambda: app), catch_exceptions=False
    )


def codes(report):
    return sorted({m.code for m in report.mismatches})


@pytest.fixture
def sat(db, clock):
    # Three candidates with 6, 3 and 1 right answers; one more never starts.
    return sit(db, clock, [6, 3, 1], absent=1)


def first_attempt(sat):
    return sat.attempts[sat.candidates[0].id]


def test_an_untouched_sitting_verifies_clean(app, db, sat):
    report = verify_exam(db, sat.sitting.exam)
    assert report.ok, report.mismatches
    assert len(report.attempts) == 3
    # start + 6 answers + 6 changes… per attempt: every event was read
    assert report.events_checked == sum(a.event_count for a in sat.attempts.values())
    result = run_cli(app, "audit", "verify", "EXAM1")
    assert result.exit_code == 0, result.output
    assert "3 bài thi" in result.output and "khớp" in result.output


def test_an_altered_event_payload_is_caught_at_its_ordinal(app, db, sat):
    attempt = first_attempt(sat)
    target = db.scalar(
        select(AnswerEvent)
        .where(AnswerEvent.attempt_id == attempt.id, AnswerEvent.kind == "answer")
        .order_by(AnswerEvent.ordinal.desc())
    )
    forged = [(target.payload[0] + 1) % 4]
    db.execute(update(AnswerEvent).where(AnswerEvent.id == target.id).values(payload=forged))
    db.expire_all()
    report = verify_exam(db, sat.sitting.exam)
    hashes = [m for m in report.mismatches if m.code == "hash"]
    assert [(m.attempt_id, m.ordinal) for m in hashes] == [(attempt.id, target.ordinal)]
    # The last answer to that question now replays differently from the stored answer.
    answers = [m for m in report.mismatches if m.code == "answer"]
    assert answers and answers[0].position == target.position
    assert answers[0].expected == forged

    result = run_cli(app, "audit", "verify", "EXAM1", "--json")
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out["ok"] is False
    row = next(r for r in out["mismatches"] if r["what"] == "hash")
    assert row["attempt"] == attempt.id and row["event"] == target.ordinal
    assert row["candidate"] == sat.candidates[0].registration_number
    assert row["found"] == target.hash and row["expected"] != target.hash


def test_an_altered_stored_answer_is_caught(app, db, sat):
    attempt = sat.attempts[sat.candidates[1].id]
    stored = db.scalar(select(Answer).where(Answer.attempt_id == attempt.id, Answer.position == 2))
    before = stored.response
    db.execute(update(Answer).where(Answer.id == stored.id).values(response=[(before[0] + 1) % 4]))
    db.expire_all()
    report = verify_exam(db, sat.sitting.exam)
    assert codes(report) == ["answer"]
    (mismatch,) = report.mismatches
    assert (mismatch.attempt_id, mismatch.position, mismatch.expected) == (attempt.id, 2, before)
    text = run_cli(app, "audit", "verify", "EXAM1", "--lang", "en")
    assert text.exit_code == 1
    assert "Question 2: the stored answer differs from the answer events." in text.output


def test_an_altered_stored_score_is_caught(app, db, sat):
    attempt = sat.attempts[sat.candidates[2].id]
    db.execute(update(Attempt).where(Attempt.id == attempt.id).values(score_100=80.0, passed=True))
    db.expire_all()
    report = verify_exam(db, sat.sitting.exam)
    found = {(m.code, m.field): (m.expected, m.found) for m in report.mismatches}
    assert found[("result", "score_100")] == (16.67, 80.0)
    assert found[("result", "passed")] == (False, True)
    assert {m.attempt_id for m in report.mismatches} == {attempt.id}
    text = run_cli(app, "audit", "verify", "EXAM1")
    assert text.exit_code == 1 and "score_100" in text.output


def test_a_deleted_event_is_caught(app, db, sat):
    attempt = first_attempt(sat)
    victim = db.scalar(
        select(AnswerEvent).where(AnswerEvent.attempt_id == attempt.id, AnswerEvent.ordinal == 5)
    )
    db.execute(delete(AnswerEvent).where(AnswerEvent.id == victim.id))
    db.expire_all()
    report = verify_exam(db, sat.sitting.exam)
    found = {m.code: m for m in report.mismatches}
    assert {"ordinal", "prev_hash", "event_count"} <= set(found)
    assert found["ordinal"].expected == 5 and found["ordinal"].found == 6
    assert found["prev_hash"].ordinal == 6 and found["prev_hash"].found == victim.hash
    assert found["event_count"].expected == attempt.event_count - 1
    assert run_cli(app, "audit", "verify", "EXAM1").exit_code == 1


def test_a_reforged_chain_still_disagrees_with_the_recorded_score(app, db, sat):
    """Forge an answer, rebuild every hash and the stored answer: the score gives it away."""
    from exam_server.chain import GENESIS, canonical_event, link

    attempt = sat.attempts[sat.candidates[2].id]  # one right answer: 16.67
    events = db.scalars(
        select(AnswerEvent)
        .where(AnswerEvent.attempt_id == attempt.id)
        .order_by(AnswerEvent.ordinal)
    ).all()
    answers = {
        a.position: a for a in db.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }
    last_answer = {}
    for event in events:
        if event.kind == "answer":
            last_answer[event.position] = event
    # Replace the last answer to question 6 (wrong) by its key: the forger knows the key.
    from tests.exam_server.council.factories_council import form_keys, key_index

    form_item, version = form_keys(db, attempt)[6]
    target = last_answer[6]
    target.payload = [key_index(form_item, version)]
    answers[6].response = target.payload
    previous = GENESIS
    for event in events:
        event.prev_hash = previous
        event.hash = link(
            previous,
            canonical_event(
                event.attempt_id,
                event.ordinal,
                event.kind,
                event.client_seq,
                event.position,
                event.payload,
                event.at,
            ),
        )
        previous = event.hash
    attempt.last_hash = previous
    db.flush()
    report = verify_exam(db, sat.sitting.exam)
    found = {(m.code, m.field) for m in report.mismatches}
    assert ("result", "correct_count") in found and ("finalise_payload", "correct") in found
    assert not any(m.code in ("hash", "prev_hash", "answer") for m in report.mismatches)


def test_an_unknown_exam_is_an_error(app, db):
    result = run_cli(app, "audit", "verify", "NOPE", "--lang", "en")
    assert result.exit_code == 1 and "No exam with the code NOPE" in result.output


def test_an_attempt_in_progress_verifies_its_chain_and_answers(app, db, clock):
    sat = sit(db, clock, [2], submit=False, code="OPEN1")
    attempt = sat.attempts[sat.candidates[0].id]
    assert attempt.state == "in_progress"
    assert verify_exam(db, sat.sitting.exam).ok
    db.execute(
        update(Answer)
        .where(Answer.attempt_id == attempt.id, Answer.position == 1)
        .values(flagged=False)
    )
    db.expire_all()
    report = verify_exam(db, sat.sitting.exam)
    assert [(m.code, m.position, m.expected, m.found) for m in report.mismatches] == [
        ("flag", 1, True, False)
    ]
