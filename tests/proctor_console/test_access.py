"""Who sees and does what: rooms by assignment, technicians without questions, a read-only
supervision board."""

from __future__ import annotations

import pytest

from proctor_console.queries import rooms_visible_to
from tests.conftest import csrf_from
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import assign, mark_present, open_attempt, sign_in


def three_rooms(db, clock):
    """Room A staffed with our proctor, room B staffed with someone else, room C unstaffed."""
    a = make_sitting(db, clock.now, code="A", room_state="running")
    b = make_sitting(db, clock.now, code="B", room_state="running")
    c = make_sitting(db, clock.now, code="C")
    ours = make_staff(db, clock.now, "proctor", username="gt2")
    other = make_staff(db, clock.now, "head_proctor", username="gt9")
    assign(db, a.room, ours)
    assign(db, b.room, other)
    return a, b, c, ours, other


def test_room_staff_see_only_their_rooms(db, clock):
    a, b, c, ours, other = three_rooms(db, clock)
    seen = {room.id for room in rooms_visible_to(db, ours)}
    # Room C has nobody assigned: room staff see only the rooms they are on duty in.
    assert seen == {a.room.id}
    assert b.room.id in {room.id for room in rooms_visible_to(db, other)}
    assert a.room.id not in {room.id for room in rooms_visible_to(db, other)}
    supervisor = make_staff(db, clock.now, "supervisor")
    assert {room.id for room in rooms_visible_to(db, supervisor)} >= {a.room.id, b.room.id}
    examiner = make_staff(db, clock.now, "examiner")
    assert rooms_visible_to(db, examiner) == []


def test_another_rooms_pages_do_not_open(client, db, clock):
    a, b, _c, _ours, _other = three_rooms(db, clock)
    candidate = b.candidates[0][0]
    sign_in(client, "gt2")
    assert client.get(f"/proctor/rooms/{a.room.id}").status_code == 200
    for path in (
        f"/proctor/rooms/{b.room.id}",
        f"/proctor/rooms/{b.room.id}/grid",
        f"/proctor/rooms/{b.room.id}/checkin",
        f"/proctor/rooms/{b.room.id}/results",
        f"/proctor/rooms/{b.room.id}/record.pdf",
        f"/proctor/candidates/{candidate.id}",
    ):
        assert client.get(path).status_code == 404, path
    listing = client.get(f"/proctor/exams/{b.exam.id}/rooms")
    assert f'id="room-{b.room.id}"' not in listing.text
    token = csrf_from(client.get(f"/proctor/rooms/{a.room.id}").text)
    refused = client.post(
        f"/proctor/rooms/{b.room.id}/action",
        data={"csrf_token": token, "action": "pause", "reason": "x"},
    )
    assert refused.status_code == 404


def test_the_role_in_the_room_decides(client, db, clock):
    """A proctor assigned as head proctor of this shift acts as head proctor here."""
    sitting = make_sitting(db, clock.now, room_state="running")
    user = make_staff(db, clock.now, "proctor", username="gt2")
    assign(db, sitting.room, user, "head_proctor")
    sign_in(client, "gt2")
    page = client.get(f"/proctor/rooms/{sitting.room.id}")
    assert f"room-{sitting.room.id}-close" in page.text


def test_the_supervision_board_reads_everything_and_changes_nothing(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    head = make_staff(db, clock.now, "head_proctor")
    make_staff(db, clock.now, "supervisor", username="gs1")
    candidate, _ = sitting.candidates[0]
    mark_present(db, sitting.room, candidate, head, clock.now)
    open_attempt(db, candidate, clock.now)
    sign_in(client, "gs1")
    room = sitting.room.id
    for path in (
        f"/proctor/exams/{sitting.exam.id}/rooms",
        f"/proctor/rooms/{room}",
        f"/proctor/rooms/{room}/grid",
        f"/proctor/rooms/{room}/checkin",
        f"/proctor/rooms/{room}/incidents",
        f"/proctor/rooms/{room}/results",
        f"/proctor/rooms/{room}/record.pdf",
        f"/proctor/candidates/{candidate.id}",
    ):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/proctor/rooms/{room}")
    assert "room-action" not in page.text
    token = csrf_from(page.text)
    for path, data in (
        (f"/proctor/rooms/{room}/action", {"action": "pause", "reason": "x"}),
        (f"/proctor/rooms/{room}/envelope", {}),
        (f"/proctor/rooms/{room}/checkin/{candidate.id}", {"present": "1"}),
        (f"/proctor/rooms/{room}/incidents", {"description": "x"}),
        (f"/proctor/rooms/{room}/results", {}),
        (f"/proctor/candidates/{candidate.id}/approve-move", {}),
        (f"/proctor/candidates/{candidate.id}/extension", {}),
        (f"/proctor/candidates/{candidate.id}/retake", {}),
        (f"/proctor/candidates/{candidate.id}/sanction", {}),
    ):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path


def test_a_technician_moves_terminals_and_never_sees_questions_or_keys(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    technician = make_staff(db, clock.now, "technician", username="kt1")
    assign(db, sitting.room, technician, role="technician")
    candidate, _ = sitting.candidates[0]
    attempt = open_attempt(db, candidate, clock.now)
    sign_in(client, "kt1")
    pages = [
        client.get(path).get_data(as_text=True)
        for path in (
            f"/proctor/exams/{sitting.exam.id}/rooms",
            f"/proctor/rooms/{sitting.room.id}",
            f"/proctor/rooms/{sitting.room.id}/grid",
            f"/proctor/rooms/{sitting.room.id}/checkin",
            f"/proctor/rooms/{sitting.room.id}/incidents",
            f"/proctor/rooms/{sitting.room.id}/results",
            f"/proctor/candidates/{candidate.id}",
        )
    ]
    everything = "\n".join(pages)
    from exam_server.lifecycle import form_with_versions

    for _form_item, version in form_with_versions(db, attempt.form_id):
        assert version.stem not in everything
        for option in version.content["options"]:
            assert option["text"] not in everything
    assert '"fraction"' not in everything and "seed" not in everything
    page = client.get(f"/proctor/candidates/{candidate.id}")
    assert 'id="approve-move"' in page.text and "sanction-form" not in page.text
    moved = client.post(
        f"/proctor/candidates/{candidate.id}/approve-move",
        data={"csrf_token": csrf_from(page.text), "reason": "Máy hỏng bàn phím"},
        follow_redirects=True,
    )
    assert moved.status_code == 200
    db.refresh(candidate)
    assert candidate.terminal_move_approved is True


@pytest.mark.parametrize("role", ["examiner", "reviewer"])
def test_other_staff_have_no_console(client, db, clock, role):
    sitting = make_sitting(db, clock.now)
    make_staff(db, clock.now, role, username="x1")
    sign_in(client, "x1")
    assert client.get(f"/proctor/rooms/{sitting.room.id}").status_code == 403
    assert client.get(f"/proctor/exams/{sitting.exam.id}/rooms").status_code == 403


def test_every_console_route_declares_its_roles(app):
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("proctor.") or rule.endpoint == "proctor.static":
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "allowed_roles", None), rule.endpoint
