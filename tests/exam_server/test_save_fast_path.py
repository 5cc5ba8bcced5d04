"""The answer save served in front of Flask: the same acknowledgement, headers and refusals.

An acknowledged save with the attempt token is answered by delivery/save_fast_path.py;
everything else reaches the Flask view, which must see the request whole.
"""

from __future__ import annotations

import functools

import pytest
from sqlalchemy import select

from exam_server.models import Answer, Attempt, RoomSession
from tests.exam_server.test_delivery_http import open_paper, sign_in
from tests.factories import make_sitting


@pytest.fixture
def paper(client, db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    candidate, code = sitting.candidates[0]
    sign_in(client, candidate, code)
    _page, opened = open_paper(client)
    return opened


@pytest.fixture
def terminal(client):
    """The exam page's requests: the token only, as exam.js sends them."""
    return client.application.test_client(use_cookies=False)


def save(terminal, paper, changes, token=None):
    return terminal.post(
        f"/api/attempts/{paper['attempt_id']}/changes",
        json={"changes": changes},
        headers={"X-Attempt-Token": token or paper["token"]},
    )


def held_answer(db, paper, position):
    return db.scalar(
        select(Answer.response).where(
            Answer.attempt_id == paper["attempt_id"], Answer.position == position
        )
    )


@pytest.fixture
def view_calls(client, monkeypatch):
    """Count the requests that reach the Flask view."""
    app = client.application
    calls = []
    view = app.view_functions["delivery.save_changes"]

    @functools.wraps(view)  # the same name: CSRF exemption is by the view's name
    def counted(*args, **kwargs):
        calls.append(kwargs.get("attempt_id"))
        return view(*args, **kwargs)

    monkeypatch.setitem(app.view_functions, "delivery.save_changes", counted)
    return calls


def test_an_acknowledged_save_is_answered_before_flask_with_the_same_headers(
    terminal, paper, db, view_calls
):
    response = save(terminal, paper, [{"seq": 1, "kind": "answer", "position": 1, "value": [2]}])
    assert response.status_code == 200 and view_calls == []
    assert response.json["ok"] is True and response.json["acked_seq"] == 1
    assert response.json["state"] == "in_progress" and response.json["seconds_left"] > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers
    assert held_answer(db, paper, 1) == [2]  # committed before the answer went out
    replay = save(terminal, paper, [{"seq": 1, "kind": "answer", "position": 1, "value": [3]}])
    assert replay.json["acked_seq"] == 1 and held_answer(db, paper, 1) == [2]


def test_an_invalid_change_reaches_the_view_whole_and_writes_nothing(
    terminal, paper, db, view_calls
):
    good = {"seq": 1, "kind": "answer", "position": 1, "value": [0]}
    bad = {"seq": 2, "kind": "answer", "position": 1, "value": [99]}  # no such option
    refused = save(terminal, paper, [good, bad])
    assert refused.status_code == 400 and refused.json["error"] == "bad_change"
    assert view_calls == [paper["attempt_id"]]  # the view read the same body again
    assert db.scalar(select(Attempt.last_seq).where(Attempt.id == paper["attempt_id"])) == 0
    assert held_answer(db, paper, 1) is None


def test_a_paused_room_and_a_bad_token_are_answered_by_the_view(
    terminal, paper, db, client, view_calls
):
    change = [{"seq": 1, "kind": "answer", "position": 1, "value": [0]}]
    forged = paper["token"][:-2] + ("AA" if not paper["token"].endswith("AA") else "BB")
    assert save(terminal, paper, change, token=forged).status_code == 401
    db.execute(RoomSession.__table__.update().values(state="paused"))
    paused = save(terminal, paper, change)
    assert paused.status_code == 423 and paused.json["error"] == "room_paused"
    assert paused.json["message"]  # the view's translated message
    assert len(view_calls) == 2
    assert db.scalar(select(Attempt.last_seq).where(Attempt.id == paper["attempt_id"])) == 0


def test_a_body_over_the_upload_limit_is_refused_by_flask(terminal, paper, client):
    client.application.config["MAX_CONTENT_LENGTH"] = 64
    changes = [{"seq": n, "kind": "flag", "position": 1, "value": True} for n in range(1, 10)]
    assert save(terminal, paper, changes).status_code == 413
