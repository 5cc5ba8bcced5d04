"""Answer saves that arrive twice, out of order, stale, too late, from a terminal whose clock is
hours wrong, from a second terminal, or while the proctor pauses the room."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import requests
from sqlalchemy import select, update

from exam_server.db import make_engine
from exam_server.models import Attempt, AuditEntry
from tests.e2e.sitting import PAPER, Browser, csrf
from tests.faults.harness import (
    Terminal,
    assert_holds_every_acknowledged_change,
    candidate_id,
    held,
)

# Candidates 12..19 of the demo are used here (the crash tests use 0..11).


def choice_items(terminal: Terminal) -> list[dict]:
    """Items with options A–D (values 0..3 are valid for each)."""
    return [item for item in terminal.paper["items"] if len(item["options"]) >= 4]


def one_state(server, terminal: Terminal):
    return held(server.database_url, [terminal.attempt_id])[terminal.attempt_id]


def set_deadline(server, attempt_id: int, deadline: dt.datetime) -> None:
    """Move an attempt's deadline (as if its time had run): the server's clock decides the rest."""
    engine = make_engine(server.database_url)
    with engine.begin() as connection:
        connection.execute(
            update(Attempt).where(Attempt.id == attempt_id).values(deadline_base_at=deadline)
        )
    engine.dispose()


def attempt_row(server, attempt_id: int):
    engine = make_engine(server.database_url)
    with engine.connect() as connection:
        row = connection.execute(select(Attempt).where(Attempt.id == attempt_id)).one()
    engine.dispose()
    return row


def test_duplicated_reordered_and_stale_saves_are_applied_once_in_order(fault_server):
    terminal = Terminal.sign_in(fault_server, 12)
    first, second = choice_items(terminal)[:2]
    p, q = first["position"], second["position"]

    change = terminal.change(p, [0])
    for _ in range(3):  # the same request again (a retry after a lost acknowledgement)
        response = terminal.send([change])
        assert response.status_code == 200 and response.json()["acked_seq"] == change["seq"]
    state = one_state(fault_server, terminal)
    assert state.answer_seqs == [change["seq"]] and state.answers[p] == (change["seq"], [0])

    # Reordered inside one request: applied in sequence order, the later value wins.
    b, c = terminal.change(p, [1]), terminal.change(p, [2])
    response = terminal.send([c, b])
    assert response.status_code == 200, response.text
    assert response.json()["acked_seq"] == c["seq"]
    assert one_state(fault_server, terminal).answers[p] == (c["seq"], [2])

    # Reordered across requests: a delayed request carrying an older change arrives after a
    # newer one was applied (the newer request carried both, as the page replays in order).
    d, e = terminal.change(q, [1]), terminal.change(p, [3])
    assert terminal.send([d, e]).json()["acked_seq"] == e["seq"]
    late = terminal.send([d])
    assert late.status_code == 200 and late.json()["acked_seq"] == e["seq"]

    # A stale page (an old tab, a reload race) replays an old sequence number with an old
    # value: acknowledged, changes nothing.
    stale = {"seq": b["seq"], "kind": "answer", "position": p, "value": [0]}
    assert terminal.send([stale]).json()["acked_seq"] == e["seq"]
    state = one_state(fault_server, terminal)
    assert state.answers[p] == (e["seq"], [3]) and state.answers[q] == (d["seq"], [1])
    assert state.answer_seqs == [change["seq"], b["seq"], c["seq"], d["seq"], e["seq"]]
    assert_holds_every_acknowledged_change(terminal, state)
    assert terminal.reload()["answers"][str(p)] == [3]


def test_the_deadline_is_the_servers_whatever_the_terminal_clock_says(fault_server):
    terminal = Terminal.sign_in(fault_server, 13)
    item = choice_items(terminal)[0]
    now = dt.datetime.now(dt.UTC)
    deadline = attempt_row(fault_server, terminal.attempt_id).deadline_base_at
    # There is no client timestamp in the protocol; a terminal whose clock is five hours
    # ahead still sends its own idea of the time in headers and an unknown field.
    wrong = (now + dt.timedelta(hours=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    terminal.change(item["position"], [1])
    response = terminal.send(headers={"Date": wrong}, payload={"client_time": wrong, "now": wrong})
    assert response.status_code == 200
    expected = (deadline - dt.datetime.now(dt.UTC)).total_seconds()
    assert abs(response.json()["seconds_left"] - expected) < 5
    assert 25 * 60 < response.json()["seconds_left"] <= 30 * 60

    beat = terminal.browser.http.post(
        f"{terminal.base}/api/attempts/{terminal.attempt_id}/heartbeat",
        headers={"X-CSRFToken": terminal.browser.token, "Date": wrong},
        timeout=10,
    )
    assert abs(beat.json()["seconds_left"] - response.json()["seconds_left"]) < 5


def test_saves_after_the_deadline_are_refused_and_logged_within_grace_accepted(fault_server):
    within, late = Terminal.sign_in(fault_server, 14), Terminal.sign_in(fault_server, 15)
    now = dt.datetime.now(dt.UTC)
    grace = 15  # EXAM_SAVE_GRACE_SECONDS default, used by the live server

    set_deadline(fault_server, within.attempt_id, now - dt.timedelta(seconds=3))
    item = choice_items(within)[0]
    within.change(item["position"], [2])
    accepted = within.send()
    assert accepted.status_code == 200 and accepted.json()["seconds_left"] == 0
    assert one_state(fault_server, within).answers[item["position"]][1] == [2]

    late_item = choice_items(late)[0]
    late.change(late_item["position"], [1])
    assert late.send().status_code == 200
    set_deadline(fault_server, late.attempt_id, now - dt.timedelta(seconds=grace + 30))
    late.change(late_item["position"], [3])
    refused = late.send()
    assert refused.status_code == 409 and refused.json()["error"] == "attempt_closed"
    state = one_state(fault_server, late)
    assert state.answers[late_item["position"]] == (late.acked_seq, [1])  # the refused one isn't
    row = attempt_row(fault_server, late.attempt_id)
    assert row.state == "finalised" and row.finalised_by == "deadline"
    engine = make_engine(fault_server.database_url)
    with engine.connect() as connection:
        logged = connection.execute(
            select(AuditEntry).where(
                AuditEntry.action == "save_refused_closed",
                AuditEntry.target_id == late.attempt_id,
            )
        ).one()
    engine.dispose()
    assert logged.details["changes"][0]["seq"] == late.seq


def test_a_second_terminal_needs_the_proctor_and_the_first_then_stops(fault_server):
    first = Terminal.sign_in(fault_server, 16)
    items = choice_items(first)
    first.change(items[0]["position"], [1])
    assert first.send().status_code == 200
    sbd, code, _name = fault_server.candidate(16)

    second = Browser(fault_server.url)
    second.get("/login")
    refused = second.post_form("/login", {"registration_number": sbd, "access_code": code})
    assert refused.status_code in (401, 409) and not refused.url.endswith("/wait")
    first.change(items[1]["position"], [2])  # the first terminal goes on undisturbed
    assert first.send().status_code == 200

    staff = fault_server.proctor()
    staff.get("/staff/")
    who = candidate_id(fault_server.database_url, sbd)
    approved = staff.post_form(f"/proctor/candidates/{who}/approve-move", {"reason": "Máy hỏng"})
    assert approved.status_code == 200

    second.get("/login")
    moved = second.post_form("/login", {"registration_number": sbd, "access_code": code})
    assert moved.url.endswith("/wait") or moved.url.endswith("/exam"), moved.text[:300]
    page = second.get("/exam")
    paper = json.loads(PAPER.search(page.text).group(1))
    assert paper["last_seq"] == first.acked_seq  # resumes exactly where the candidate was
    assert paper["answers"][str(items[1]["position"])] == [2]

    first.change(items[2]["position"], [3])
    stopped = first.send()
    assert stopped.status_code == 409 and stopped.json()["error"] == "terminal_replaced"
    moved_terminal = Terminal(
        fault_server.url, sbd, second, paper, paper["last_seq"], paper["last_seq"]
    )
    moved_terminal.change(items[2]["position"], [0])
    assert moved_terminal.send().status_code == 200
    state = one_state(fault_server, moved_terminal)
    assert state.answers[items[2]["position"]][1] == [0]  # the old terminal's change is not
    assert csrf(page.text)


def test_a_pause_during_saves_in_flight_refuses_cleanly_and_freezes_the_clock(fault_server):
    terminal = Terminal.sign_in(fault_server, 17)
    items = choice_items(terminal)
    statuses: list[int] = []
    stop = threading.Event()

    def save_continuously():
        n = 0
        while not stop.is_set():
            n += 1
            terminal.change(items[n % len(items)]["position"], [n % 4 % 2])
            response = terminal.send()
            statuses.append(response.status_code if response is not None else 0)
            time.sleep(0.005)

    saver = threading.Thread(target=save_continuously, daemon=True)
    saver.start()
    try:
        time.sleep(0.3)
        paused = fault_server.room_action("pause", "Mất điện phòng thi")
        assert paused.status_code == 200
        time.sleep(0.3)
        stop.set()
        saver.join(timeout=30)
        # While paused: nothing is written, the time left stands still.
        frozen = one_state(fault_server, terminal)
        terminal.change(items[0]["position"], [1])
        response = terminal.send()
        assert response.status_code == 423 and response.json()["error"] == "room_paused"
        assert one_state(fault_server, terminal).last_seq == frozen.last_seq
        beats = []
        for _ in range(2):
            beat = terminal.browser.http.post(
                f"{terminal.base}/api/attempts/{terminal.attempt_id}/heartbeat",
                headers={"X-CSRFToken": terminal.browser.token},
                timeout=10,
            ).json()
            assert beat["paused"] is True
            beats.append(beat["seconds_left"])
            time.sleep(1.2)
        assert beats[0] == beats[1]
    finally:
        stop.set()
        resumed = fault_server.room_action("resume", "Có điện trở lại")
    assert resumed.status_code == 200
    assert 423 in statuses and 200 in statuses  # the pause landed among saves in flight
    terminal.flush(timeout=20)  # the page replays what the pause refused
    assert_holds_every_acknowledged_change(terminal, one_state(fault_server, terminal))
    assert terminal.acked_seq == terminal.seq


def test_a_save_whose_acknowledgement_never_arrived_is_replayed_safely(fault_server):
    """The terminal gives up waiting (the answer may or may not be stored) and replays."""
    terminal = Terminal.sign_in(fault_server, 18)
    item = choice_items(terminal)[0]
    terminal.change(item["position"], [1])
    try:
        terminal.browser.http.post(
            f"{terminal.base}/api/attempts/{terminal.attempt_id}/changes",
            json={"changes": terminal.pending},
            headers={"X-CSRFToken": terminal.browser.token},
            timeout=0.001,
        )
    except requests.RequestException:
        pass  # the terminal gave up waiting; the save may or may not have been applied
    terminal.flush(timeout=20)
    assert_holds_every_acknowledged_change(terminal, one_state(fault_server, terminal))
