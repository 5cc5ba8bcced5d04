"""Delivery services against the database: start, save, replay, deadline, pause, terminals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from exam_server.audit_verify import verify_attempt
from exam_server.chain import GENESIS, canonical_event, link
from exam_server.clock import seconds_left
from exam_server.delivery import services
from exam_server.delivery.errors import (
    AttemptClosed,
    BadChange,
    EntryClosed,
    EntryNotOpen,
    LoginFailed,
    RoomNotStarted,
    RoomPaused,
    SessionCodeRequired,
    TerminalInUse,
    TerminalReplaced,
    TooManyTries,
    WrongSessionCode,
)
from exam_server.lifecycle import clock_state
from exam_server.models import Answer, AnswerEvent, Attempt, CandidateEntry, FormItem, ItemVersion
from exam_server.passwords import hash_secret
from exam_server.throttle import ThrottlePolicy
from tests.factories import make_sitting

GRACE = 15


def started(db, clock, **kwargs):
    sitting = make_sitting(db, clock.now, room_state="running", **kwargs)
    candidate, _code = sitting.candidates[0]
    services.claim_terminal(db, candidate, "T1", clock.now)
    attempt = services.start_next_part(db, candidate, clock.now)
    return sitting, candidate, attempt


def save(db, clock, attempt, candidate, changes, terminal="T1"):
    return services.save_changes(
        db,
        attempt_id=attempt.id,
        candidate_id=candidate.id,
        terminal=terminal,
        changes=[services.Change(*c) for c in changes],
        now=clock.now,
        grace_seconds=GRACE,
    )


def key_index(db, attempt, position):
    """The display index of the keyed option at `position` (tests may know the key)."""
    form_item, version = db.execute(
        select(FormItem, ItemVersion)
        .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
        .where(FormItem.form_id == attempt.form_id, FormItem.position == position)
    ).one()
    correct = next(o["id"] for o in version.content["options"] if o["fraction"] == 1.0)
    return form_item.option_order.index(correct)


POLICY = ThrottlePolicy(
    free_failures=3, window=dt.timedelta(minutes=15), max_delay=dt.timedelta(minutes=5)
)


def login(db, clock, sbd, code):
    return services.authenticate_candidate(db, sbd, code, clock.now, POLICY)


def test_login_checks_the_access_code(db, clock):
    sitting = make_sitting(db, clock.now)
    candidate, code = sitting.candidates[0]
    assert login(db, clock, candidate.registration_number.lower(), code.lower()) == candidate
    with pytest.raises(LoginFailed):
        login(db, clock, candidate.registration_number, "WRONG123")
    with pytest.raises(LoginFailed):
        login(db, clock, "NOBODY", code)


def test_repeated_wrong_codes_slow_down_that_account_only(db, clock):
    sitting = make_sitting(db, clock.now)
    (target, code), (neighbour, neighbour_code) = sitting.candidates
    for _ in range(3):
        with pytest.raises(LoginFailed):
            login(db, clock, target.registration_number, "WRONG123")
    with pytest.raises(LoginFailed):
        login(db, clock, target.registration_number, "WRONG123")  # the 4th failure sets a delay
    with pytest.raises(TooManyTries):
        login(db, clock, target.registration_number, code)  # even the right code waits
    assert login(db, clock, neighbour.registration_number, neighbour_code) == neighbour
    clock.advance(seconds=3)
    assert login(db, clock, target.registration_number, code) == target
    # success forgets the failures: the next typo is free again
    with pytest.raises(LoginFailed):
        login(db, clock, target.registration_number, "WRONG123")
    assert login(db, clock, target.registration_number, code) == target


def test_scheduled_sign_in_opens_before_the_shift_and_closes_after_late_entry(db, clock):
    sitting = make_sitting(db, clock.now, clock_mode="scheduled", duration_minutes=60)
    sitting.exam.late_entry_minutes = 10
    candidate, _ = sitting.candidates[0]
    start = sitting.room.shift.starts_at
    with pytest.raises(EntryNotOpen):
        services.check_entry_window(db, candidate, start - dt.timedelta(minutes=61), 60)
    services.check_entry_window(db, candidate, start - dt.timedelta(minutes=59), 60)
    services.check_entry_window(db, candidate, start + dt.timedelta(minutes=10), 60)
    with pytest.raises(EntryClosed):
        services.check_entry_window(db, candidate, start + dt.timedelta(minutes=11), 60)
    db.add(
        CandidateEntry(
            candidate_id=candidate.id,
            shift_id=sitting.room.shift_id,
            late_entry_allowed_at=start,
            late_entry_reason="chair decision 3",
        )
    )
    db.flush()
    services.check_entry_window(db, candidate, start + dt.timedelta(minutes=20), 60)


def test_the_session_code_opens_the_paper_and_starts_the_room(db, clock):
    sitting = make_sitting(db, clock.now, clock_mode="scheduled", room_state="waiting")
    sitting.room.shift.session_code_hash = hash_secret("MCT2026A", 4)
    candidate, _ = sitting.candidates[0]
    with pytest.raises(SessionCodeRequired):
        services.start_next_part(db, candidate, clock.now)
    with pytest.raises(WrongSessionCode):
        services.enter_session_code(db, candidate, "WRONG", clock.now, POLICY)
    services.enter_session_code(db, candidate, "mct2026a", clock.now, POLICY)
    assert sitting.room.state == "running"
    attempt = services.start_next_part(db, candidate, clock.now)
    assert attempt.state == "in_progress"


def test_a_part_cannot_start_before_the_room(db, clock):
    sitting = make_sitting(db, clock.now, room_state="waiting")
    with pytest.raises(RoomNotStarted):
        services.start_next_part(db, sitting.candidates[0][0], clock.now)


def test_start_uses_the_stored_form_and_is_idempotent(db, clock):
    sitting, candidate, attempt = started(db, clock)
    again = services.start_next_part(db, candidate, clock.now)
    assert again.id == attempt.id
    assert (
        db.scalar(select(AnswerEvent.kind).where(AnswerEvent.attempt_id == attempt.id)) == "start"
    )
    assert attempt.deadline_base_at == clock.now + dt.timedelta(minutes=30)


def test_save_appends_events_and_updates_the_current_answer(db, clock):
    _sitting, candidate, attempt = started(db, clock)
    ack = save(
        db,
        clock,
        attempt,
        candidate,
        [(1, "answer", 1, [2]), (2, "answer", 1, [0]), (3, "flag", 2, True)],
    )
    assert ack.acked_seq == 3
    answers = {
        a.position: a for a in db.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }
    assert answers[1].response == [0]
    assert answers[2].flagged is True and answers[2].response is None
    kinds = db.scalars(
        select(AnswerEvent.kind)
        .where(AnswerEvent.attempt_id == attempt.id)
        .order_by(AnswerEvent.ordinal)
    ).all()
    assert kinds == ["start", "answer", "answer", "flag"]


def test_a_flag_keeps_the_answer_and_an_answer_keeps_the_flag(db, clock):
    _sitting, candidate, attempt = started(db, clock)
    save(db, clock, attempt, candidate, [(1, "answer", 1, [2]), (2, "flag", 2, True)])
    # One batch, as a terminal replays it after a network cut: both kinds at one position,
    # a flag alone on an answered question, an answer alone on a flagged one, a cleared answer.
    save(
        db,
        clock,
        attempt,
        candidate,
        [
            (3, "flag", 1, True),
            (4, "answer", 2, [1]),
            (5, "answer", 3, [0]),
            (6, "flag", 3, True),
            (7, "answer", 3, [3]),
            (8, "answer", 4, [1]),
            (9, "answer", 4, None),
        ],
    )
    db.expire_all()
    answers = {
        a.position: (a.response, a.flagged, a.seq)
        for a in db.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }
    assert answers == {
        1: ([2], True, 3),
        2: ([1], True, 4),
        3: ([3], True, 7),
        4: (None, False, 9),
    }
    db.refresh(attempt)
    assert attempt.event_count == 10 and attempt.last_seq == 9
    assert verify_attempt(db, attempt) == []  # the chain and the replayed answers agree


def test_replayed_and_older_sequence_numbers_change_nothing(db, clock):
    _sitting, candidate, attempt = started(db, clock)
    save(db, clock, attempt, candidate, [(1, "answer", 1, [1]), (2, "answer", 1, [3])])
    ack = save(db, clock, attempt, candidate, [(1, "answer", 1, [2]), (2, "answer", 1, [3])])
    assert ack.acked_seq == 2
    assert db.scalar(select(Answer.response).where(Answer.attempt_id == attempt.id)) == [3]
    assert (
        db.scalar(
            select(AnswerEvent.ordinal)
            .where(AnswerEvent.attempt_id == attempt.id)
            .order_by(AnswerEvent.ordinal.desc())
            .limit(1)
        )
        == 3
    )


def test_a_batch_arriving_out_of_order_is_applied_in_sequence_order(db, clock):
    _sitting, candidate, attempt = started(db, clock)
    save(db, clock, attempt, candidate, [(2, "answer", 1, [3]), (1, "answer", 1, [1])])
    assert db.scalar(select(Answer.response).where(Answer.attempt_id == attempt.id)) == [3]


@pytest.mark.parametrize(
    "change",
    [
        (1, "answer", 99, [0]),  # no such question
        (1, "answer", 1, [7]),  # no such option
        (1, "answer", 1, [0, 1]),  # two options in a single-choice item
        (1, "answer", 1, "A"),
        (1, "flag", 1, "yes"),
        (1, "erase", 1, None),
    ],
)
def test_malformed_changes_are_refused_whole(db, clock, change):
    _sitting, candidate, attempt = started(db, clock)
    with pytest.raises(BadChange):
        save(db, clock, attempt, candidate, [change])
    assert attempt.last_seq == 0


def test_the_event_chain_links_every_event(db, clock):
    _sitting, candidate, attempt = started(db, clock)
    save(db, clock, attempt, candidate, [(1, "answer", 1, [1]), (2, "answer", 2, [0])])
    events = db.scalars(
        select(AnswerEvent)
        .where(AnswerEvent.attempt_id == attempt.id)
        .order_by(AnswerEvent.ordinal)
    ).all()
    previous = GENESIS
    for event in events:
        canonical = canonical_event(
            attempt.id,
            event.ordinal,
            event.kind,
            event.client_seq,
            event.position,
            event.payload,
            event.at,
        )
        assert event.prev_hash == previous
        assert event.hash == link(previous, canonical)
        previous = event.hash
    assert attempt.last_hash == previous


def test_submit_scores_from_what_the_server_holds(db, clock):
    sitting, candidate, attempt = started(db, clock)
    count = sitting.part.item_count
    changes = [
        (p, "answer", p, [key_index(db, attempt, p)]) for p in range(1, count)
    ]  # last one left blank
    save(db, clock, attempt, candidate, changes)
    services.submit(
        db, attempt_id=attempt.id, candidate_id=candidate.id, terminal="T1", now=clock.now
    )
    assert attempt.state == "finalised" and attempt.finalised_by == "candidate"
    assert attempt.correct_count == count - 1
    assert attempt.answered_count == count - 1
    assert attempt.passed is True
    assert attempt.share_correct == pytest.approx((count - 1) / count)


def test_saves_after_the_deadline_and_grace_are_refused_and_the_paper_is_collected(db, clock):
    _sitting, candidate, attempt = started(db, clock, duration_minutes=10)
    save(db, clock, attempt, candidate, [(1, "answer", 1, [key_index(db, attempt, 1)])])
    clock.advance(minutes=10, seconds=GRACE - 1)
    save(db, clock, attempt, candidate, [(2, "answer", 2, [0])])  # inside the grace: kept
    clock.advance(seconds=2)
    with pytest.raises(AttemptClosed):
        save(db, clock, attempt, candidate, [(3, "answer", 3, [0])])
    assert attempt.state == "finalised" and attempt.finalised_by == "deadline"
    assert attempt.answered_count == 2
    assert (
        db.scalar(select(Answer.id).where(Answer.attempt_id == attempt.id, Answer.position == 3))
        is None
    )


def test_a_pause_stops_the_clock_and_refuses_saves(db, clock):
    sitting, candidate, attempt = started(db, clock, duration_minutes=10)
    room = sitting.room
    clock.advance(minutes=2)
    room.state, room.paused_at = "paused", clock.now
    with pytest.raises(RoomPaused):
        save(db, clock, attempt, candidate, [(1, "answer", 1, [0])])
    clock.advance(minutes=30)  # a long power cut
    assert seconds_left(clock_state(attempt, room), clock.now) == 8 * 60
    room.paused_seconds, room.paused_at, room.state = 30 * 60, None, "running"
    ack = save(db, clock, attempt, candidate, [(1, "answer", 1, [0])])
    assert ack.seconds_left == 8 * 60


def test_a_second_terminal_needs_approval_and_the_old_one_is_then_refused(db, clock):
    _sitting, candidate, attempt = started(db, clock)
    with pytest.raises(TerminalInUse):
        services.claim_terminal(db, candidate, "T2", clock.now)
    candidate.terminal_move_approved = True
    services.claim_terminal(db, candidate, "T2", clock.now)
    with pytest.raises(TerminalReplaced):
        save(db, clock, attempt, candidate, [(1, "answer", 1, [0])], terminal="T1")
    assert (
        save(db, clock, attempt, candidate, [(1, "answer", 1, [0])], terminal="T2").acked_seq == 1
    )


def test_scheduled_clock_counts_to_the_programmed_end_whenever_the_candidate_starts(db, clock):
    sitting = make_sitting(
        db, clock.now, room_state="running", clock_mode="scheduled", duration_minutes=60
    )
    late, _ = sitting.candidates[0]
    clock.advance(minutes=8)
    attempt = services.start_next_part(db, late, clock.now)
    assert seconds_left(clock_state(attempt, sitting.room), clock.now) == 52 * 60


def test_all_attempts_of_a_candidate_are_listed_by_part(db, clock):
    sitting, candidate, attempt = started(db, clock)
    assert services.attempts_by_part(db, candidate.id) == {sitting.part.id: attempt}
    assert db.scalar(select(Attempt.id).where(Attempt.candidate_id == candidate.id)) == attempt.id


def test_a_suspended_candidate_cannot_open_another_part(db, clock):
    from exam_server.delivery.errors import CandidateSuspended
    from exam_server.models.proctor import Sanction
    from tests.factories import make_staff

    sitting = make_sitting(db, clock.now, room_state="running")
    candidate, _ = sitting.candidates[0]
    proctor = make_staff(db, clock.now, "head_proctor")
    db.add(
        Sanction(
            room_session_id=sitting.room.id,
            candidate_id=candidate.id,
            kind="suspension",
            reason="phone",
            witnesses="both proctors",
            recorded_by_id=proctor.id,
            recorded_at=clock.now,
        )
    )
    db.flush()
    with pytest.raises(CandidateSuspended):
        services.start_next_part(db, candidate, clock.now)
