"""The live grid: one tile per seat with its state, and a bounded number of queries."""

from __future__ import annotations

import contextlib

from sqlalchemy import event

from exam_server.delivery import services as delivery
from proctor_console import candidate_actions as actions
from proctor_console.queries import room_grid
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import answer, mark_present, open_attempt, sign_in


def tiles_by_sbd(db, room, now):
    return {tile["sbd"]: tile for tile in room_grid(db, room, now, stale_after_seconds=30)}


def test_each_seat_shows_its_state(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running", candidates=6)
    head = make_staff(db, clock.now, "head_proctor")
    (busy, _), (waiting, _), (done, _), (suspended, _), (absent, _), (idle, _) = sitting.candidates
    attempt = open_attempt(db, busy, clock.now)
    answer(db, attempt, busy, [1, 2], clock.now)
    delivery.claim_terminal(db, waiting, "T2", clock.now)
    finished = open_attempt(db, done, clock.now, terminal="T3")
    answer(db, finished, done, [1], clock.now, terminal="T3")
    delivery.submit(db, attempt_id=finished.id, candidate_id=done.id, terminal="T3", now=clock.now)
    open_attempt(db, suspended, clock.now, terminal="T4")
    actions.impose_sanction(
        db,
        suspended,
        kind="suspension",
        reason="Mang tài liệu",
        witnesses="GT1, GT2",
        incident_id=None,
        actor=head,
        now=clock.now,
    )
    mark_present(db, sitting.room, busy, head, clock.now, terminal="M01")
    from proctor_console.checkin import CheckInInput, check_in

    check_in(db, sitting.room, absent, CheckInInput(False, False, None, ""), head, clock.now)
    clock.advance(seconds=45)
    tiles = tiles_by_sbd(db, sitting.room, clock.now)
    mine = tiles[busy.registration_number]
    assert mine["state"] == "in_progress" and mine["answered"] == 2
    assert mine["total"] == sitting.part.item_count and mine["terminal"] == "M01"
    assert mine["contact_age"] == 45 and mine["stale"] is True
    assert mine["seconds_left"] == 30 * 60 - 45
    assert tiles[waiting.registration_number]["state"] == "waiting"
    assert tiles[waiting.registration_number]["terminal"] == "T2"  # the active terminal's id
    assert tiles[done.registration_number]["state"] == "submitted"
    assert tiles[done.registration_number]["answered"] == 1
    assert tiles[suspended.registration_number]["state"] == "suspended"
    assert tiles[absent.registration_number]["present"] is False
    assert tiles[idle.registration_number]["state"] == "not_logged_in"
    # A paused room shows paused tiles with the clock frozen and no stale alarm.
    sitting.room.state, sitting.room.paused_at = "paused", clock.now
    clock.advance(minutes=3)
    paused = tiles_by_sbd(db, sitting.room, clock.now)[busy.registration_number]
    assert paused["state"] == "paused" and paused["seconds_left"] == 30 * 60 - 45
    assert paused["stale"] is False


@contextlib.contextmanager
def counting(connection):
    statements: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _many):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


def refresh_queries(client, db, connection, clock, candidates: int, code: str) -> int:
    sitting = make_sitting(db, clock.now, room_state="running", candidates=candidates, code=code)
    head = make_staff(db, clock.now, "head_proctor", username=f"gt-{code}")
    for index, (candidate, _) in enumerate(sitting.candidates):
        mark_present(db, sitting.room, candidate, head, clock.now, terminal=f"M{index}")
        if index % 2 == 0:
            attempt = open_attempt(db, candidate, clock.now, terminal=f"T{index}")
            answer(db, attempt, candidate, [1], clock.now, terminal=f"T{index}")
    db.commit()
    sign_in(client, head.username)
    url = f"/proctor/rooms/{sitting.room.id}/grid"
    assert client.get(url).status_code == 200  # warm up: the first request loads more
    with counting(connection) as statements:
        response = client.get(url)
    assert response.status_code == 200 and len(response.json["tiles"]) == candidates
    return len(statements)


def test_a_grid_refresh_costs_the_same_few_queries_for_any_room_size(client, db, connection, clock):
    small = refresh_queries(client, db, connection, clock, 3, "SMALL")
    large = refresh_queries(app_client(client), db, connection, clock, 60, "LARGE")
    assert small == large, (small, large)
    assert large <= 10


def app_client(client):
    return client.application.test_client()


def test_the_grid_page_and_json(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    make_staff(db, clock.now, "technician", username="kt1")
    candidate, _ = sitting.candidates[0]
    open_attempt(db, candidate, clock.now)
    sign_in(client, "kt1")
    page = client.get(f"/proctor/rooms/{sitting.room.id}")
    assert page.status_code == 200 and f'id="tile-{candidate.id}"' in page.text
    assert "Đang thi" in page.text
    data = client.get(f"/proctor/rooms/{sitting.room.id}/grid").json
    assert data["state"] == "running"
    assert {t["candidate_id"] for t in data["tiles"]} == {c.id for c, _ in sitting.candidates}
