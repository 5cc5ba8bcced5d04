"""Query counts on the terminal's hot endpoints: they must not grow with the paper or the room."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.conftest import csrf_from
from tests.factories import make_sitting

PAPER = re.compile(r'id="paper-data">(.*?)</script>', re.S)


@contextmanager
def counted(connection):
    statements = []

    def before(_conn, _cursor, statement, _params, _context, _executemany):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


def open_paper(client, db, clock, **kwargs):
    sitting = make_sitting(db, clock.now, room_state="running", **kwargs)
    candidate, code = sitting.candidates[0]
    token = csrf_from(client.get("/login").text)
    client.post(
        "/login",
        data={
            "csrf_token": token,
            "registration_number": candidate.registration_number,
            "access_code": code,
        },
    )
    page = client.post(
        "/start", data={"csrf_token": csrf_from(client.get("/wait").text)}, follow_redirects=True
    )
    return csrf_from(page.text), json.loads(PAPER.search(page.text).group(1))


def save(client, token, paper, changes):
    return client.post(
        f"/api/attempts/{paper['attempt_id']}/changes",
        json={"changes": changes},
        headers={"X-CSRFToken": token},
    )


def test_an_answer_save_costs_a_fixed_handful_of_statements(client, db, clock, connection):
    token, paper = open_paper(client, db, clock, per_cell_count=2)
    save(
        client, token, paper, [{"seq": 1, "kind": "answer", "position": 1, "value": [0]}]
    )  # warms the form cache
    with counted(connection) as one:
        assert (
            save(
                client, token, paper, [{"seq": 2, "kind": "answer", "position": 2, "value": [1]}]
            ).status_code
            == 200
        )
    data = [s for s in one if not s.startswith(("SAVEPOINT", "RELEASE"))]
    # PostgreSQL: the locked read, then events + answers + the attempt's head in one statement.
    # SQLite (no writes in a CTE): the locked read, the events, the answer, the head.
    postgresql = connection.dialect.name == "postgresql"
    assert len(data) == (2 if postgresql else 4), data
    with counted(connection) as batch:
        changes = [
            {"seq": 2 + n, "kind": "answer", "position": n, "value": [0]} for n in range(1, 9)
        ]
        changes.append({"seq": 11, "kind": "flag", "position": 3, "value": True})
        assert save(client, token, paper, changes).status_code == 200
    data = [s for s in batch if not s.startswith(("SAVEPOINT", "RELEASE"))]
    if postgresql:
        assert len(data) == 2, data  # the same two, whatever the batch holds
    else:
        assert len(data) <= 3 + len(changes), data  # one upsert per change, the rest fixed


def test_a_heartbeat_reads_once_and_writes_once(client, db, clock, connection):
    token, paper = open_paper(client, db, clock)
    with counted(connection) as statements:
        beat = client.post(
            f"/api/attempts/{paper['attempt_id']}/heartbeat", headers={"X-CSRFToken": token}
        )
    assert beat.status_code == 200
    data = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "SET LOCAL"))]
    assert len(data) == 2, data


def _data(statements):
    """The statements that read or write data, shortened to say which they are."""
    return [
        " ".join(s.split())[:70]
        for s in statements
        if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO SAVEPOINT"))
    ]


@pytest.mark.parametrize("clock_mode", ["per_candidate", "scheduled"])
def test_opening_a_paper_costs_a_fixed_handful_of_statements(
    client, db, clock, connection, clock_mode
):
    sitting = make_sitting(
        db, clock.now, room_state="running", clock_mode=clock_mode, per_cell_count=2
    )
    candidate, code = sitting.candidates[0]
    client.post(
        "/login",
        data={
            "csrf_token": csrf_from(client.get("/login").text),
            "registration_number": candidate.registration_number,
            "access_code": code,
        },
    )
    token = csrf_from(client.get("/wait").text)
    with counted(connection) as start:
        assert client.post("/start", data={"csrf_token": token}).status_code == 302
    # The candidate, the start plan (exam, parts, attempts, shift, sanctions, session code),
    # the form with the new attempt's id, the attempt, its start event.
    assert len(_data(start)) == 5, _data(start)
    with counted(connection) as page:
        shown = client.get("/exam")
    assert shown.status_code == 200
    paper = json.loads(PAPER.search(shown.text).group(1))
    assert len(paper["items"]) == sitting.part.item_count
    # The candidate with their room and the attempt with its part, the form with its
    # answers, and the item versions (cached per worker afterwards).
    assert len(_data(page)) == 3, _data(page)
    with counted(connection) as again:
        assert client.get("/exam").status_code == 200
    assert len(_data(again)) == 2, _data(again)
