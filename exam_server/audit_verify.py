"""Recompute every attempt's hash chain, answers and score from the raw events and stored forms.

What an auditor asks: were the events altered, removed or reordered after they were written;
do the current answers follow from the events; does the stored score follow from the answers
and the stored form. Every difference is reported as a Mismatch with the attempt, the event
ordinal when one event is at fault, a stable code saying what differs, and the expected and
found values (expected = recomputed, found = stored). Nothing is written.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.chain import GENESIS, canonical_event, link
from exam_server.models import (
    Answer,
    AnswerEvent,
    Attempt,
    Candidate,
    Exam,
    ExamPart,
    Form,
    FormItem,
    ItemVersion,
)
from exam_server.results import score_form

# Stored floats went through the database; a difference below this is not a tampering.
FLOAT_TOLERANCE = 1e-9
# How many attempts are loaded (with their events and answers) per round trip.
BATCH = 200
ANSWER_KINDS = ("answer", "flag")
KNOWN_KINDS = ("start", "answer", "flag", "submit", "finalise", "void")
# The proctor console voids an attempt (a retake, a suspension) after collecting it, or bars a
# part never started with a lone "void" event; nothing may follow a void.
RESULT_FIELDS = (
    ("correct_count", "correct_count"),
    ("answered_count", "answered_count"),
    ("earned_points", "earned"),
    ("max_points", "maximum"),
    ("score_100", "score_100"),
    ("share_correct", "share_correct"),
    ("passed", "passed"),
)

EVENT_COLUMNS = (
    AnswerEvent.attempt_id,
    AnswerEvent.ordinal,
    AnswerEvent.kind,
    AnswerEvent.client_seq,
    AnswerEvent.position,
    AnswerEvent.payload,
    AnswerEvent.at,
    AnswerEvent.prev_hash,
    AnswerEvent.hash,
)
ANSWER_COLUMNS = (
    Answer.attempt_id,
    Answer.position,
    Answer.response,
    Answer.flagged,
    Answer.seq,
)

# Mismatch codes (stable: the CLI and the pages translate them).
CODES = (
    "ordinal",  # an ordinal is not the next one (an event is missing or duplicated)
    "prev_hash",  # an event does not point at the previous event's hash
    "hash",  # an event's hash does not cover its content (the content was altered)
    "last_hash",  # the attempt's final hash is not its last event's hash
    "event_count",  # the attempt's event count is not the number of events
    "last_seq",  # the attempt's last sequence number is not the last change's
    "unknown_kind",  # an event of a kind the chain never writes
    "after_final",  # an event after the finalise event
    "start_form",  # the start event names another form or seed than the attempt's
    "no_start",  # the chain does not begin with a start event
    "no_finalise",  # a finalised attempt without a finalise event
    "finalise_payload",  # the score written into the finalise event differs from the stored one
    "position",  # an answer or event for a position the form does not have
    "answer",  # a stored answer differs from the replayed events
    "flag",  # a stored flag differs from the replayed events
    "answer_seq",  # a stored answer's sequence number differs from the replayed events
    "orphan_answer",  # a stored (empty) answer row that no event wrote
    "form_missing",  # the attempt's stored form is gone
    "result",  # a stored result differs from the re-scored one (`field` says which)
    "not_scored",  # a finalised attempt without stored results
)


@dataclass(frozen=True)
class Mismatch:
    """One difference between what was stored and what the events and form imply."""

    attempt_id: int
    code: str
    expected: Any
    found: Any
    ordinal: int | None = None
    position: int | None = None
    field: str | None = None  # for "result": which stored figure


@dataclass(frozen=True)
class AttemptInfo:
    attempt_id: int
    candidate_id: int
    registration_number: str
    part_id: int
    part_position: int
    attempt_no: int
    state: str
    events: int


@dataclass
class VerifyReport:
    """The outcome for one exam: what was checked and every mismatch found."""

    exam_code: str
    attempts: list[AttemptInfo] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def events_checked(self) -> int:
        return sum(info.events for info in self.attempts)

    def for_attempt(self, attempt_id: int) -> list[Mismatch]:
        return [m for m in self.mismatches if m.attempt_id == attempt_id]


@dataclass
class Replayed:
    """The answers the events imply, per position."""

    responses: dict[int, Any] = field(default_factory=dict)
    flags: dict[int, bool] = field(default_factory=dict)
    seqs: dict[int, int] = field(default_factory=dict)
    last_seq: int = 0


# --- the chain --------------------------------------------------------------------------


def check_chain(attempt: Attempt, events: Sequence[AnswerEvent]) -> list[Mismatch]:
    """Check ordinals, links and hashes of an attempt's events (sorted by ordinal)."""
    found: list[Mismatch] = []
    previous_hash = GENESIS
    previous_ordinal = 0
    for event in events:
        # One report per gap or repeat: the count restarts from the ordinal found.
        if event.ordinal != previous_ordinal + 1:
            found.append(
                Mismatch(attempt.id, "ordinal", previous_ordinal + 1, event.ordinal, event.ordinal)
            )
        previous_ordinal = event.ordinal
        if event.prev_hash != previous_hash:
            found.append(
                Mismatch(attempt.id, "prev_hash", previous_hash, event.prev_hash, event.ordinal)
            )
        canonical = canonical_event(
            event.attempt_id,
            event.ordinal,
            event.kind,
            event.client_seq,
            event.position,
            event.payload,
            event.at,
        )
        recomputed = link(event.prev_hash, canonical)
        if recomputed != event.hash:
            found.append(Mismatch(attempt.id, "hash", recomputed, event.hash, event.ordinal))
        if event.kind not in KNOWN_KINDS:
            found.append(Mismatch(attempt.id, "unknown_kind", None, event.kind, event.ordinal))
        previous_hash = event.hash
    if attempt.last_hash != previous_hash:
        found.append(Mismatch(attempt.id, "last_hash", previous_hash, attempt.last_hash))
    if attempt.event_count != len(events):
        found.append(Mismatch(attempt.id, "event_count", len(events), attempt.event_count))
    return found


def check_lifecycle(attempt: Attempt, events: Sequence[AnswerEvent]) -> list[Mismatch]:
    """Check the start and finalise events against the attempt."""
    found: list[Mismatch] = []
    if not events or events[0].kind != "start":
        found.append(
            Mismatch(attempt.id, "no_start", "start", events[0].kind if events else None, 1)
        )
    else:
        payload = events[0].payload or {}
        if payload.get("form") != attempt.form_id:
            found.append(
                Mismatch(attempt.id, "start_form", attempt.form_id, payload.get("form"), 1)
            )
    final = [e for e in events if e.kind == "finalise"]
    if final:
        last_ordinal = final[0].ordinal
        for event in events:
            closing_void = event.kind == "void" and event.ordinal == last_ordinal + 1
            if event.ordinal > last_ordinal and not (closing_void and event is events[-1]):
                found.append(Mismatch(attempt.id, "after_final", None, event.kind, event.ordinal))
    elif attempt.state == "finalised":
        found.append(Mismatch(attempt.id, "no_finalise", "finalise", None))
    return found


def never_started(attempt: Attempt, events: Sequence[AnswerEvent]) -> bool:
    """A voided attempt whose only event is the void that barred it."""
    return (
        attempt.state == "voided"
        and len(events) == 1
        and events[0].kind == "void"
        and bool((events[0].payload or {}).get("not_started"))
    )


def check_start_seed(attempt: Attempt, events: Sequence[AnswerEvent], form: Form) -> list:
    if not events or events[0].kind != "start":
        return []
    seed = (events[0].payload or {}).get("seed")
    if seed is not None and str(seed) != str(form.seed):
        return [Mismatch(attempt.id, "start_form", str(form.seed), str(seed), 1, field="seed")]
    return []


# --- answers ----------------------------------------------------------------------------


def replay(events: Iterable[AnswerEvent]) -> Replayed:
    """Rebuild the current answers from the answer and flag events, in ordinal order."""
    state = Replayed()
    for event in events:
        if event.kind not in ANSWER_KINDS or event.position is None:
            continue
        if event.kind == "answer":
            state.responses[event.position] = event.payload
        else:
            state.flags[event.position] = bool(event.payload)
        if event.client_seq is not None:
            state.seqs[event.position] = event.client_seq
            state.last_seq = max(state.last_seq, event.client_seq)
    return state


def check_answers(
    attempt: Attempt,
    replayed: Replayed,
    answers: Sequence[Answer],
    positions: set[int] | None,
    events: Sequence[AnswerEvent],
) -> list[Mismatch]:
    """Compare the stored Answer rows with the replayed events."""
    found: list[Mismatch] = []
    stored = {answer.position: answer for answer in answers}
    touched = set(replayed.responses) | set(replayed.flags)
    for position in sorted(touched | set(stored)):
        answer = stored.get(position)
        expected_response = replayed.responses.get(position)
        expected_flag = replayed.flags.get(position, False)
        found_response = answer.response if answer is not None else None
        found_flag = answer.flagged if answer is not None else False
        if not same_response(expected_response, found_response):
            found.append(
                Mismatch(attempt.id, "answer", expected_response, found_response, position=position)
            )
        if expected_flag != found_flag:
            found.append(Mismatch(attempt.id, "flag", expected_flag, found_flag, position=position))
        if (
            answer is not None
            and position in replayed.seqs
            and replayed.seqs[position] != answer.seq
        ):
            found.append(
                Mismatch(
                    attempt.id, "answer_seq", replayed.seqs[position], answer.seq, position=position
                )
            )
        if (
            answer is not None
            and position not in touched
            and answer.response in (None, [])
            and not answer.flagged
        ):
            # An empty row no event wrote (a non-empty one is reported as "answer" above).
            found.append(Mismatch(attempt.id, "orphan_answer", None, position, position=position))
    if positions is not None:
        for position in sorted(touched | set(stored)):
            if position not in positions:
                found.append(Mismatch(attempt.id, "position", None, position, position=position))
        for event in events:
            if event.kind in ANSWER_KINDS and event.position not in positions:
                found.append(
                    Mismatch(
                        attempt.id,
                        "position",
                        None,
                        event.position,
                        event.ordinal,
                        position=event.position,
                    )
                )
    if replayed.last_seq != attempt.last_seq:
        found.append(Mismatch(attempt.id, "last_seq", replayed.last_seq, attempt.last_seq))
    return found


def same_response(expected: Any, found: Any) -> bool:
    """Compare two stored responses; an empty list and no answer are the same answer."""
    if expected in (None, []) and found in (None, []):
        return True
    return expected == found


# --- the score --------------------------------------------------------------------------


def check_score(
    attempt: Attempt,
    part: ExamPart,
    form_items: Sequence[tuple[FormItem, ItemVersion]],
    replayed: Replayed,
    policy: str,
    events: Sequence[AnswerEvent],
) -> list[Mismatch]:
    """Re-score the replayed answers on the stored form and compare with the stored results."""
    if attempt.state == "in_progress":
        return []
    if attempt.correct_count is None:
        if attempt.state == "finalised":
            return [Mismatch(attempt.id, "not_scored", "results", None)]
        return []
    result = score_form(part, form_items, replayed.responses, policy)
    found: list[Mismatch] = []
    for column, name in RESULT_FIELDS:
        expected = getattr(result, name)
        stored = getattr(attempt, column)
        if not same_figure(expected, stored):
            found.append(Mismatch(attempt.id, "result", expected, stored, field=column))
    final = next((e for e in events if e.kind == "finalise"), None)
    if final is not None and isinstance(final.payload, dict):
        for key, expected in (("correct", result.correct_count), ("score_100", result.score_100)):
            if key in final.payload and not same_figure(expected, final.payload[key]):
                found.append(
                    Mismatch(
                        attempt.id,
                        "finalise_payload",
                        expected,
                        final.payload[key],
                        final.ordinal,
                        field=key,
                    )
                )
    return found


def same_figure(expected: Any, found: Any) -> bool:
    if isinstance(expected, bool) or isinstance(found, bool) or expected is None or found is None:
        return expected == found
    return math.isclose(float(expected), float(found), rel_tol=0, abs_tol=FLOAT_TOLERANCE)


# --- one attempt, one exam ------------------------------------------------------------------


def verify_attempt_rows(
    attempt: Attempt,
    events: Sequence[AnswerEvent],
    answers: Sequence[Answer],
    form: Form | None,
    form_items: Sequence[tuple[FormItem, ItemVersion]],
    part: ExamPart,
    policy: str,
) -> list[Mismatch]:
    """Check one attempt from its rows (events sorted by ordinal)."""
    found = check_chain(attempt, events)
    if never_started(attempt, events):
        return found  # a part barred by a sanction: no answers, no score to recompute
    found += check_lifecycle(attempt, events)
    if form is None:
        found.append(Mismatch(attempt.id, "form_missing", attempt.form_id, None))
        found += check_answers(attempt, replay(events), answers, None, events)
        return found
    found += check_start_seed(attempt, events, form)
    replayed = replay(events)
    positions = {form_item.position for form_item, _version in form_items}
    found += check_answers(attempt, replayed, answers, positions, events)
    found += check_score(attempt, part, form_items, replayed, policy, events)
    return found


def verify_attempt(session: Session, attempt: Attempt) -> list[Mismatch]:
    """Check one attempt: chain, replayed answers and score."""
    part = session.get(ExamPart, attempt.part_id)
    exam = session.get(Exam, part.exam_id)
    events = session.scalars(
        select(AnswerEvent)
        .where(AnswerEvent.attempt_id == attempt.id)
        .order_by(AnswerEvent.ordinal, AnswerEvent.id)
    ).all()
    answers = session.scalars(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    form = session.get(Form, attempt.form_id)
    form_items = load_form_items(session, [attempt.form_id]).get(attempt.form_id, [])
    return verify_attempt_rows(
        attempt, events, answers, form, form_items, part, exam.multi_response_policy
    )


def load_form_items(
    session: Session, form_ids: Sequence[int]
) -> dict[int, list[tuple[FormItem, ItemVersion]]]:
    by_form: dict[int, list[tuple[FormItem, ItemVersion]]] = defaultdict(list)
    if not form_ids:
        return by_form
    rows = session.execute(
        select(FormItem, ItemVersion)
        .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
        .where(FormItem.form_id.in_(form_ids))
        .order_by(FormItem.form_id, FormItem.position)
    )
    for form_item, version in rows:
        by_form[form_item.form_id].append((form_item, version))
    return by_form


def chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def verify_exam(session: Session, exam: Exam, *, batch: int = BATCH) -> VerifyReport:
    """Check every attempt of an exam, in batches so a large exam stays in bounded memory."""
    report = VerifyReport(exam.code)
    parts = {part.id: part for part in exam.parts}
    rows = session.execute(
        select(Attempt, Candidate.registration_number)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.exam_id == exam.id)
        .order_by(Candidate.registration_number, Attempt.part_id, Attempt.attempt_no)
    ).all()
    for chunk in chunks(rows, batch):
        ids = [attempt.id for attempt, _sbd in chunk]
        # Plain rows, not entities: an exam has hundreds of thousands of events and the
        # identity map would keep every one of them alive until the session closes.
        events_by: dict[int, list] = defaultdict(list)
        for event in session.execute(
            select(*EVENT_COLUMNS)
            .where(AnswerEvent.attempt_id.in_(ids))
            .order_by(AnswerEvent.attempt_id, AnswerEvent.ordinal, AnswerEvent.id)
        ):
            events_by[event.attempt_id].append(event)
        answers_by: dict[int, list] = defaultdict(list)
        for answer in session.execute(select(*ANSWER_COLUMNS).where(Answer.attempt_id.in_(ids))):
            answers_by[answer.attempt_id].append(answer)
        form_ids = sorted({attempt.form_id for attempt, _sbd in chunk})
        forms = {
            form.id: form for form in session.scalars(select(Form).where(Form.id.in_(form_ids)))
        }
        items_by = load_form_items(session, form_ids)
        for attempt, registration_number in chunk:
            part = parts[attempt.part_id]
            events = events_by.get(attempt.id, [])
            report.attempts.append(
                AttemptInfo(
                    attempt.id,
                    attempt.candidate_id,
                    registration_number,
                    part.id,
                    part.position,
                    attempt.attempt_no,
                    attempt.state,
                    len(events),
                )
            )
            report.mismatches += verify_attempt_rows(
                attempt,
                events,
                answers_by.get(attempt.id, []),
                forms.get(attempt.form_id),
                items_by.get(attempt.form_id, []),
                part,
                exam.multi_response_policy,
            )
    return report
