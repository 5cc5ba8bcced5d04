"""Saves sharing a transaction (group commit): each terminal still gets exactly its own result."""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext

import pytest
from sqlalchemy import select

from exam_server.audit_verify import verify_attempt
from exam_server.delivery import autosave, services
from exam_server.delivery.changes import clean_change
from exam_server.delivery.combiner import Combiner, Job
from exam_server.delivery.errors import BadChange
from exam_server.models import Answer, Attempt
from tests.factories import make_sitting

GRACE = 15


def started_pair(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running", candidates=2)
    attempts = []
    for number, (candidate, _code) in enumerate(sitting.candidates):
        services.claim_terminal(db, candidate, f"T{number}", clock.now)
        attempts.append((candidate, services.start_next_part(db, candidate, clock.now)))
    db.commit()  # as the requests that opened the papers did
    return attempts


def request(clock, candidate, attempt, terminal, changes):
    return autosave.SaveRequest(
        attempt.id,
        candidate.id,
        terminal,
        [services.Change(*c) for c in changes],
        clock.now,
        GRACE,
        clean_change,
    )


def held(db, attempt):
    db.expire_all()
    return {
        a.position: (a.response, a.flagged)
        for a in db.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }


def test_one_batch_serves_several_terminals_each_with_its_own_outcome(db, clock):
    (first, a1), (second, a2) = started_pair(db, clock)
    outcomes = autosave.save_batch(
        db,
        [
            request(clock, first, a1, "T0", [(1, "answer", 1, [1])]),
            request(clock, second, a2, "T1", [(1, "answer", 1, [2]), (2, "flag", 1, True)]),
            # the same terminal again in the same batch (a resend and a new change)
            request(clock, first, a1, "T0", [(1, "answer", 1, [1]), (2, "answer", 2, [0])]),
            # an invalid change (option 9 of four): refused, and nothing of it written
            request(clock, second, a2, "T1", [(3, "answer", 2, [3]), (4, "answer", 3, [9])]),
            # a terminal that is not the candidate's any more
            request(clock, first, a1, "T-old", [(3, "answer", 3, [1])]),
            # someone else's attempt
            request(clock, second, a1, "T1", [(9, "answer", 3, [1])]),
        ],
    )
    db.commit()
    assert [getattr(o, "outcome", type(o)) for o in outcomes] == [
        autosave.Outcome.ACKED,
        autosave.Outcome.ACKED,
        autosave.Outcome.ACKED,
        BadChange,
        autosave.Outcome.REPLACED,
        autosave.Outcome.NOT_FOUND,
    ]
    assert [o.acked_seq for o in outcomes[:3]] == [1, 2, 2]
    assert held(db, a1) == {1: ([1], False), 2: ([0], False)}
    assert held(db, a2) == {1: ([2], True)}
    for attempt in (a1, a2):
        db.refresh(attempt)
        assert verify_attempt(db, attempt) == []  # chains and answers agree, batch or not
    assert (a1.last_seq, a1.event_count) == (2, 3)
    assert (a2.last_seq, a2.event_count) == (2, 3)


def test_concurrent_saves_are_answered_after_the_batch_that_holds_them(db, clock):
    (first, a1), (second, a2) = started_pair(db, clock)
    combiner = Combiner()
    batches = []
    entered = threading.Event()
    release = threading.Event()

    def slow_batch(jobs):
        # The first batch holds the lead until the other saves have queued behind it.
        batches.append([job.payload.attempt_id for job in jobs])
        if len(batches) == 1:
            entered.set()
            release.wait(5)
        outcomes = autosave.save_batch(db, [job.payload for job in jobs])
        db.commit()
        for job, outcome in zip(jobs, outcomes, strict=True):
            job.finish(result=outcome)

    def save(candidate, attempt, terminal, seq, value):
        job = Job(request(clock, candidate, attempt, terminal, [(seq, "answer", 1, [value])]))
        return combiner.run(job, slow_batch)

    leader = threading.Thread(target=save, args=(first, a1, "T0", 1, 0))
    leader.start()
    assert entered.wait(5)
    results = {}
    followers = [
        threading.Thread(
            target=lambda n=n, c=c, a=a, t=t: results.__setitem__(n, save(c, a, t, 2 + n, n % 4))
        )
        for n, (c, a, t) in enumerate([(second, a2, "T1"), (first, a1, "T0"), (second, a2, "T1")])
    ]
    for thread in followers:
        thread.start()
    deadline = time.monotonic() + 5
    while len(combiner._queue) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(job.finished for job in combiner._queue)  # nobody answered before commit
    release.set()
    for thread in [leader, *followers]:
        thread.join(5)
    assert batches == [[a1.id], [a2.id, a1.id, a2.id]]  # the three waited and went together
    assert all(r.finished and r.result.outcome == "acked" for r in results.values())
    assert held(db, a1) == {1: ([1], False)}
    assert held(db, a2) == {1: ([2], False)}


def test_a_failed_batch_releases_every_waiting_terminal():
    combiner = Combiner()

    def failing(jobs):
        raise RuntimeError("the database went away")

    job = combiner.run(Job("save"), failing)
    assert job.finished and isinstance(job.error, RuntimeError)
    again = combiner.run(Job("next"), lambda jobs: [j.finish(result="ok") for j in jobs])
    assert again.result == "ok"  # the lead was given back


def test_a_save_whose_batch_failed_is_retried_on_its_own(db, clock, monkeypatch):
    (first, a1), _second = started_pair(db, clock)
    calls = []
    real = autosave.save_batch

    def flaky(session, requests):
        calls.append(len(requests))
        if len(calls) == 1:
            raise RuntimeError("serialization failure")
        return real(session, requests)

    monkeypatch.setattr(autosave, "save_batch", flaky)
    result = autosave.save(
        lambda: db, request(clock, first, a1, "T0", [(1, "answer", 1, [3])]), Combiner()
    )
    assert result.outcome == "acked" and calls == [1, 1]
    assert held(db, a1) == {1: ([3], False)}
    assert db.get(Attempt, a1.id).last_seq == 1


@pytest.mark.parametrize("autocommit", [False, True], ids=["locked read", "unlocked read"])
def test_a_save_whose_attempt_moved_after_the_read_writes_nothing_and_is_saved_again(
    db, clock, monkeypatch, autocommit
):
    """Another server saves for the same attempt between this batch's read and its write.

    The batch's write must not land on the moved head (two events with one ordinal, a
    broken chain, an answer overwritten by an older one): it writes nothing for that
    attempt, and the save is done again alone, after the other.
    """
    (first, a1), _second = started_pair(db, clock)
    real_read = autosave.read_attempt_states
    reads = []

    def read_then_another_server_saves(connection, ids, lock=True):
        rows = real_read(connection, ids, lock)
        reads.append(ids)
        if len(reads) == 1:
            other = request(clock, first, a1, "T0", [(1, "answer", 1, [0]), (2, "answer", 2, [1])])
            assert autosave.save_batch(db, [other])[0].outcome == "acked"
        return rows  # as read before the other save

    monkeypatch.setattr(autosave, "read_attempt_states", read_then_another_server_saves)
    # The unlocked read is the autocommit path's; here its connection is the test's own.
    connect = (lambda: nullcontext(db.connection())) if autocommit else None
    late = request(clock, first, a1, "T0", [(3, "answer", 1, [3])])
    result = autosave.save(lambda: db, late, Combiner(), connect)
    db.commit()

    assert result.outcome == "acked" and result.acked_seq == 3
    assert held(db, a1) == {1: ([3], False), 2: ([1], False)}
    attempt = db.get(Attempt, a1.id)
    assert (attempt.last_seq, attempt.event_count) == (3, 4)  # start + three answers
    assert verify_attempt(db, attempt) == []  # one chain, no ordinal twice
