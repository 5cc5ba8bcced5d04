"""The candidate's pages and JSON endpoints through Flask's test client, CSRF included."""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import select

from exam_server.models import Attempt, Candidate, RoomSession
from exam_server.passwords import hash_secret
from tests.conftest import csrf_from
from tests.factories import make_sitting

PAPER = re.compile(r'id="paper-data">(.*?)</script>', re.S)


def sign_in(client, candidate, code):
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={
            "csrf_token": token,
            "registration_number": candidate.registration_number,
            "access_code": code,
        },
        follow_redirects=True,
    )


def open_paper(client):
    page = client.get("/wait")
    page = client.post("/start", data={"csrf_token": csrf_from(page.text)}, follow_redirects=True)
    return page, json.loads(PAPER.search(page.text).group(1))


def two_open_papers(client, db, clock):
    """Two candidates with open papers: the first on `client`, the second on another."""
    sitting = make_sitting(db, clock.now, room_state="running")
    (first, first_code), (second, second_code) = sitting.candidates
    other = client.application.test_client()
    sign_in(other, second, second_code)
    _page, their_paper = open_paper(other)
    sign_in(client, first, first_code)
    page, paper = open_paper(client)
    return (first, page, paper), (second, their_paper)


def test_a_wrong_code_is_refused_with_a_clear_message(client, db, clock):
    sitting = make_sitting(db, clock.now)
    candidate, _code = sitting.candidates[0]
    page = sign_in(client, candidate, "NOTMYCODE")
    assert page.status_code == 401
    assert "Số báo danh hoặc mã truy cập không đúng" in page.text


def test_the_waiting_room_shows_who_and_where_and_waits_for_the_room(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="waiting")
    candidate, code = sitting.candidates[0]
    page = sign_in(client, candidate, code)
    assert candidate.full_name in page.text and candidate.registration_number in page.text
    assert 'id="start-button" disabled' in page.text
    assert client.get("/api/candidate/status").json == {"room_state": "waiting"}
    refused = client.post("/start", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 409
    db.execute(RoomSession.__table__.update().values(state="running"))
    assert client.get("/api/candidate/status").json == {"room_state": "running"}
    db.execute(
        Candidate.__table__.update()
        .where(Candidate.id == candidate.id)
        .values(room_session_id=None)
    )
    assert client.get("/api/candidate/status").json == {"room_state": "unassigned"}
    anonymous = client.application.test_client()
    assert anonymous.get("/api/candidate/status").status_code == 401


def test_under_the_shift_clock_the_waiting_room_takes_the_session_code_that_opens_the_paper(
    client, db, clock
):
    sitting = make_sitting(db, clock.now, clock_mode="scheduled", room_state="waiting")
    sitting.room.shift.session_code_hash = hash_secret("MCT2026A", 4)
    db.flush()
    (candidate, code), (other, other_code) = sitting.candidates
    page = sign_in(client, candidate, code)
    assert 'name="session_code"' in page.text
    assert "Khi giám thị 1 công bố mã ca thi" in page.text
    button = re.search(r"<button[^>]*id=\"start-button\"[^>]*>", page.text).group(0)
    assert "disabled" not in button  # the code, not the proctor, starts this room

    token = csrf_from(page.text)
    wrong = client.post("/start", data={"csrf_token": token, "session_code": "MCT2026B"})
    assert wrong.status_code == 403 and "Mã ca thi không đúng" in wrong.text
    assert db.scalar(select(RoomSession.state).where(RoomSession.id == sitting.room.id)) == (
        "waiting"
    )
    opened = client.post(
        "/start", data={"csrf_token": token, "session_code": "mct2026a"}, follow_redirects=True
    )
    paper = json.loads(PAPER.search(opened.text).group(1))
    assert paper["state"] == "in_progress" and len(paper["items"]) == sitting.part.item_count
    assert db.scalar(select(RoomSession.state).where(RoomSession.id == sitting.room.id)) == (
        "running"
    )

    # Every candidate types the code: the room running does not open the others' papers.
    others = client.application.test_client()
    their_page = sign_in(others, other, other_code)
    assert 'name="session_code"' in their_page.text
    refused = others.post("/start", data={"csrf_token": csrf_from(their_page.text)})
    assert refused.status_code == 409 and "nhập mã ca thi" in refused.text


def test_a_full_sitting_saves_every_change_and_shows_the_score(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    candidate, code = sitting.candidates[0]
    sign_in(client, candidate, code)
    page, paper = open_paper(client)
    token = csrf_from(page.text)
    assert len(paper["items"]) == sitting.part.item_count
    changes = [
        {"seq": n, "kind": "answer", "position": item["position"], "value": [0]}
        for n, item in enumerate(paper["items"], start=1)
    ]
    ack = client.post(
        f"/api/attempts/{paper['attempt_id']}/changes",
        json={"changes": changes},
        headers={"X-CSRFToken": token},
    )
    assert ack.status_code == 200 and ack.json["acked_seq"] == len(changes)
    review = client.get("/exam/review")
    assert "Mọi câu hỏi đều đã được trả lời" in review.text or "đã trả lời" in review.text
    done = client.post("/exam/submit", data={"csrf_token": token}, follow_redirects=True)
    assert done.status_code == 200
    attempt = db.scalar(select(Attempt).where(Attempt.id == paper["attempt_id"]))
    db.refresh(attempt)
    assert attempt.state == "finalised" and attempt.answered_count == len(changes)
    result = client.get("/result")
    assert f'class="correct">{attempt.correct_count} / {sitting.part.item_count}<' in result.text
    assert ("Đạt" if attempt.passed else "Không đạt") in result.text


def test_json_saves_without_the_csrf_header_are_refused(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    candidate, code = sitting.candidates[0]
    sign_in(client, candidate, code)
    _page, paper = open_paper(client)
    change = {"changes": [{"seq": 1, "kind": "answer", "position": 1, "value": [0]}]}
    refused = client.post(f"/api/attempts/{paper['attempt_id']}/changes", json=change)
    assert refused.status_code == 400
    assert db.scalar(select(Attempt.last_seq).where(Attempt.id == paper["attempt_id"])) == 0


def test_the_exam_page_saves_with_its_attempt_token_and_only_for_its_attempt(client, db, clock):
    (first, _page, paper), (second, their_paper) = two_open_papers(client, db, clock)
    mine, theirs = paper["attempt_id"], their_paper["attempt_id"]
    change = {"changes": [{"seq": 1, "kind": "answer", "position": 1, "value": [0]}]}
    # A bare client with only the token: no cookie, no CSRF header.
    bare = client.application.test_client(use_cookies=False)

    def post(attempt_id, token, what="changes"):
        return bare.post(
            f"/api/attempts/{attempt_id}/{what}", json=change, headers={"X-Attempt-Token": token}
        )

    assert post(mine, paper["token"]).json["acked_seq"] == 1
    assert post(mine, paper["token"], "heartbeat").json["acked_seq"] == 1
    forged = paper["token"][:-2] + ("AA" if not paper["token"].endswith("AA") else "BB")
    assert post(mine, forged).status_code == 401
    assert post(theirs, paper["token"]).status_code == 401  # a token names its attempt
    candidate_id, terminal, signature = paper["token"].split(".")
    other_candidate = f"{second.id}.{terminal}.{signature}"
    assert post(mine, other_candidate).status_code == 401
    assert db.scalar(select(Attempt.last_seq).where(Attempt.id == theirs)) == 0
    # Approving a move to another terminal stops the old page's token.
    db.execute(
        Candidate.__table__.update()
        .where(Candidate.id == first.id)
        .values(active_terminal="another-terminal")
    )
    refused = post(mine, paper["token"])
    assert refused.status_code == 409 and refused.json["error"] == "terminal_replaced"


def test_a_candidate_cannot_write_to_another_candidates_attempt(client, db, clock):
    (_first, page, _mine), (_second, their_paper) = two_open_papers(client, db, clock)
    change = {"changes": [{"seq": 1, "kind": "answer", "position": 1, "value": [0]}]}
    refused = client.post(
        f"/api/attempts/{their_paper['attempt_id']}/changes",
        json=change,
        headers={"X-CSRFToken": csrf_from(page.text)},
    )
    assert refused.status_code == 409
    assert db.scalar(select(Attempt.last_seq).where(Attempt.id == their_paper["attempt_id"])) == 0


def test_no_key_or_credit_reaches_the_terminal(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    candidate, code = sitting.candidates[0]
    bodies = [sign_in(client, candidate, code).text]
    page, paper = open_paper(client)
    bodies.append(page.text)
    token = csrf_from(page.text)
    changes = [{"seq": 1, "kind": "answer", "position": 1, "value": [1]}]
    bodies.append(
        client.post(
            f"/api/attempts/{paper['attempt_id']}/changes",
            json={"changes": changes},
            headers={"X-CSRFToken": token},
        ).text
    )
    bodies.append(
        client.post(
            f"/api/attempts/{paper['attempt_id']}/heartbeat", headers={"X-CSRFToken": token}
        ).text
    )
    bodies.append(client.get("/exam/review").text)
    bodies.append(
        client.post("/exam/submit", data={"csrf_token": token}, follow_redirects=True).text
    )
    bodies.append(client.get("/result").text)
    for body in bodies:
        assert "fraction" not in body and '"pinned"' not in body and "option_order" not in body
        assert '"o1"' not in body  # stored option ids never leave the server


def test_candidates_cannot_reach_staff_pages(client, db, clock):
    sitting = make_sitting(db, clock.now)
    candidate, code = sitting.candidates[0]
    sign_in(client, candidate, code)
    assert client.get("/staff/").status_code == 302
    assert client.get(f"/proctor/exams/{sitting.exam.id}/rooms").status_code == 302


def test_the_heartbeat_resyncs_the_clock_and_collects_the_paper_at_the_deadline(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running", duration_minutes=10)
    candidate, code = sitting.candidates[0]
    sign_in(client, candidate, code)
    page, paper = open_paper(client)
    token = csrf_from(page.text)
    url = f"/api/attempts/{paper['attempt_id']}/heartbeat"
    clock.advance(minutes=4)
    beat = client.post(url, headers={"X-CSRFToken": token}).json
    assert beat["state"] == "in_progress" and beat["seconds_left"] == 6 * 60
    assert beat["replaced"] is False and beat["paused"] is False
    clock.advance(minutes=7)  # past the deadline and the grace
    beat = client.post(url, headers={"X-CSRFToken": token}).json
    assert beat["state"] == "finalised" and beat["seconds_left"] == 0
    attempt = db.get(Attempt, paper["attempt_id"])
    db.refresh(attempt)
    assert attempt.finalised_by == "deadline"
    assert attempt.finalised_at == attempt.started_at + dt.timedelta(minutes=10)


def test_a_room_that_binds_addresses_admits_only_its_terminals(client, db, clock):
    sitting = make_sitting(db, clock.now)
    sitting.room.room.terminal_ips = ["10.1.1.11", "10.1.1.12"]
    db.commit()
    candidate, code = sitting.candidates[0]
    outside = {"environ_base": {"REMOTE_ADDR": "10.1.9.99"}}
    token = csrf_from(client.get("/login", **outside).text)
    data = {
        "csrf_token": token,
        "registration_number": candidate.registration_number,
        "access_code": code,
    }
    refused = client.post("/login", data=data, **outside)
    assert refused.status_code == 403 and "không phải máy thi" in refused.text
    inside = {"environ_base": {"REMOTE_ADDR": "10.1.1.12"}}
    assert client.post("/login", data=data, **inside).status_code == 302
