"""Two app servers, one database: a candidate whose requests alternate between them loses nothing.

Server A is `examctl run`; server B is gunicorn with the production configuration
(deploy/gunicorn.conf.py, preload and engine disposal after fork) on `exam_server.wsgi:app`.
On SQLite both share one database file; on PostgreSQL runs, a database of their own on the
suite's server (tests/e2e/conftest.py).
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from exam_server.chain import GENESIS, canonical_event, link
from exam_server.models import Answer, AnswerEvent, Attempt
from tests.e2e.conftest import free_port, start_server, stop
from tests.e2e.sitting import csrf, staff_start_room

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PAPER = re.compile(r'<script type="application/json" id="paper-data">(.*?)</script>', re.S)
CHANGES = 60


def start_production_server(env: dict, log_path: Path) -> tuple[str, subprocess.Popen]:
    """Serve the same database with gunicorn and deploy/gunicorn.conf.py, as systemd would."""
    port = free_port()
    server_env = {
        **env,
        "EXAM_ENV": "production",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                GUNICORN,
                "--config",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "exam_server.wsgi:app",
            ],
            env=server_env,
            cwd=log_path.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/login", timeout=1).status_code == 200:
                return url, process
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    stop(process)
    pytest.fail("gunicorn with deploy/gunicorn.conf.py did not start:\n" + log_path.read_text())


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("two")
    server, process_a = start_server(workdir)
    try:
        url_b, process_b = start_production_server(server.env, workdir / "b.log")
    except BaseException:
        stop(process_a)
        raise
    yield server, server.url, url_b
    stop(process_b)
    stop(process_a)
    # Neither server may have logged an error while serving the candidate.
    for log in (server.log_path, workdir / "b.log"):
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


class Candidate:
    """One browser (one cookie jar, as a browser keeps per host) talking to any server."""

    def __init__(self):
        self.http = requests.Session()
        self.token = ""

    def get(self, base: str, path: str) -> requests.Response:
        response = self.http.get(base + path, timeout=30)
        if "text/html" in response.headers.get("Content-Type", ""):
            self.token = csrf(response.text)
        return response

    def post_form(self, base: str, path: str, data: dict) -> requests.Response:
        response = self.http.post(base + path, data={"csrf_token": self.token, **data}, timeout=30)
        if "text/html" in response.headers.get("Content-Type", ""):
            self.token = csrf(response.text)
        return response

    def save(self, base: str, attempt_id: int, changes: list[dict]) -> dict:
        response = self.http.post(
            f"{base}/api/attempts/{attempt_id}/changes",
            json={"changes": changes},
            headers={"X-CSRFToken": self.token},
            timeout=30,
        )
        assert response.status_code == 200, (base, response.text)
        return response.json()

    def paper(self, base: str) -> dict:
        page = self.get(base, "/exam")
        assert page.status_code == 200 and page.url.endswith("/exam"), page.url
        return json.loads(PAPER.search(page.text).group(1))


def choice_value(item: dict, rng: random.Random) -> list:
    if item["type"] == "fill_blank":
        return [f"đáp án {rng.randint(1, 99)}" for _ in range(item["blanks"])]
    return [rng.randrange(len(item["options"]))]


def test_one_candidate_alternating_between_two_servers_loses_nothing(two_servers):
    server, url_a, url_b = two_servers
    bases = (url_a, url_b)
    staff_start_room(url_a, "giamthi1", server.staff["giamthi1"])
    sbd, code, _name = server.candidates[0]

    candidate = Candidate()
    candidate.get(url_b, "/login")
    waiting = candidate.post_form(
        url_b, "/login", {"registration_number": sbd, "access_code": code}
    )
    assert waiting.url == url_b + "/wait", waiting.text[:300]
    opened = candidate.post_form(url_a, "/start", {})
    assert opened.url == url_a + "/exam", opened.text[:300]
    paper = candidate.paper(url_b)
    attempt_id, seq = paper["attempt_id"], paper["last_seq"]
    items = paper["items"]

    rng = random.Random(20250701)
    last_answer: dict[int, list] = {}
    last_flag: dict[int, bool] = {}
    sent_seqs: list[int] = []
    for number in range(CHANGES):
        base = bases[number % 2]
        # Changes of mind: positions come back again and again with new values.
        item = items[rng.randrange(min(len(items), 8))]
        seq += 1
        if number % 7 == 6:
            change = {"seq": seq, "kind": "flag", "position": item["position"]}
            change["value"] = not last_flag.get(item["position"], False)
            last_flag[item["position"]] = change["value"]
        else:
            value = choice_value(item, rng)
            change = {"seq": seq, "kind": "answer", "position": item["position"], "value": value}
            last_answer[item["position"]] = value
        ack = candidate.save(base, attempt_id, [change])
        assert ack["ok"] and ack["acked_seq"] == seq, ack
        sent_seqs.append(seq)

        if number == CHANGES // 2:
            # The page reloaded on the other server shows exactly what was acknowledged.
            again = candidate.paper(bases[(number + 1) % 2])
            assert again["last_seq"] == seq
            assert {int(k): v for k, v in again["answers"].items()} == last_answer

    # A terminal replaying an old change to the other server (a retry after a lost ack) is
    # acknowledged without changing anything.
    stale_item = next(item for item in items if item["position"] in last_answer)
    stale_value = choice_value(stale_item, random.Random(1))
    stale = {"seq": seq - 3, "kind": "answer", "position": stale_item["position"]}
    stale["value"] = stale_value
    ack = candidate.save(url_b, attempt_id, [stale])
    assert ack["ok"] and ack["acked_seq"] == seq

    # A batch of queued changes replayed in one request to server A.
    batch = []
    for item in items[-3:]:
        seq += 1
        value = choice_value(item, rng)
        batch.append({"seq": seq, "kind": "answer", "position": item["position"], "value": value})
        last_answer[item["position"]] = value
        sent_seqs.append(seq)
    ack = candidate.save(url_a, attempt_id, batch)
    assert ack["acked_seq"] == seq

    for base in bases:
        final = candidate.paper(base)
        assert final["last_seq"] == seq
        assert {int(k): v for k, v in final["answers"].items()} == last_answer

    engine = create_engine(server.env["EXAM_DATABASE_URL"])
    try:
        with Session(engine) as db:
            held = {
                a.position: a.response
                for a in db.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
                if a.response is not None
            }
            flags = {
                a.position: a.flagged
                for a in db.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
            }
            events = db.scalars(
                select(AnswerEvent)
                .where(AnswerEvent.attempt_id == attempt_id)
                .order_by(AnswerEvent.ordinal)
            ).all()
            attempt = db.get(Attempt, attempt_id)
    finally:
        engine.dispose()

    assert held == last_answer
    assert {p: f for p, f in flags.items() if f} == {p: f for p, f in last_flag.items() if f}
    # The event log holds every change once, in the order sent, and its chain is intact.
    client_seqs = [e.client_seq for e in events if e.kind in ("answer", "flag")]
    assert client_seqs == sent_seqs
    assert all(a < b for a, b in zip(client_seqs, client_seqs[1:], strict=False))
    previous = GENESIS
    for event in events:
        assert event.prev_hash == previous
        canonical = canonical_event(
            attempt_id,
            event.ordinal,
            event.kind,
            event.client_seq,
            event.position,
            event.payload,
            event.at,
        )
        previous = link(previous, canonical)
        assert event.hash == previous
    assert attempt.last_hash == previous and attempt.last_seq == seq
