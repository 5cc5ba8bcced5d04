"""Every staff action is recorded (who, when, what, why) and shown in the candidate's timeline."""

from __future__ import annotations

from proctor_console import candidate_actions as actions
from proctor_console import services
from proctor_console.decisions import DecisionInput
from proctor_console.timeline import candidate_timeline
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import answer, mark_present, open_attempt, sign_in


def test_the_timeline_gathers_staff_room_and_attempt_events(client, db, clock):
    sitting = make_sitting(db, clock.now)
    head = make_staff(db, clock.now, "head_proctor", username="gt1")
    head.full_name = "Đặng Văn Trưởng"
    candidate, _ = sitting.candidates[0]
    other, _ = sitting.candidates[1]
    mark_present(db, sitting.room, candidate, head, clock.now, seat=4)
    services.change_room_state(db, sitting.room, "start", head, clock.now)
    attempt = open_attempt(db, candidate, clock.now)
    clock.advance(minutes=1)
    answer(db, attempt, candidate, [1, 2, 3], clock.now)
    clock.advance(minutes=1)
    services.change_room_state(db, sitting.room, "pause", head, clock.now, reason="Mất điện")
    clock.advance(minutes=2)
    services.change_room_state(db, sitting.room, "resume", head, clock.now, reason="Có điện")
    services.approve_terminal_move(db, candidate, head, clock.now, reason="Hỏng chuột")
    actions.grant_extension(
        db,
        candidate,
        attempt_id=attempt.id,
        minutes=2,
        reason="Bù thời gian đổi máy",
        decision=DecisionInput("03/QĐ", "Chủ tịch"),
        actor=head,
        now=clock.now,
    )
    mark_present(db, sitting.room, other, head, clock.now)  # someone else's action
    entries = candidate_timeline(db, candidate)
    codes = [e.code for e in entries]
    assert codes == [
        "check_in",
        "room_start",
        "start",
        "answer",
        "room_pause",
        "room_resume",
        "terminal_move_approved",
        "chair_decision_recorded",
        "time_extended",
        "extension",
    ]
    answers = entries[codes.index("answer")]
    assert answers.count == 3 and answers.source == "attempt"
    pause = entries[codes.index("room_pause")]
    assert (pause.actor, pause.details["reason"]) == ("Đặng Văn Trưởng", "Mất điện")
    assert entries[codes.index("terminal_move_approved")].details["reason"] == "Hỏng chuột"
    db.commit()
    sign_in(client, "gt1")
    page = client.get(f"/proctor/candidates/{candidate.id}").text
    timeline = page[page.index('id="timeline"') :]
    for text in (
        "Đặng Văn Trưởng",
        "Mất điện",
        "Hỏng chuột",
        "Bù thời gian đổi máy",
        "× 3",
    ):
        assert text in timeline, text
    assert 'data-code="room_pause"' in timeline and "seed" not in timeline
