"""Locust users for an exam shift: candidates at terminals and proctors watching their rooms.

Run by deploy/loadtest/run_scenario.py (which seeds the demo, starts the app and checks the
database afterwards); by hand:

    LOADTEST_LOGINS=logins.json LOADTEST_RESULTS=results.json \\
        locust -f deploy/loadtest/locustfile.py --headless -u 120 -r 20 -t 3m --host http://...

A candidate signs in, waits in the waiting room (polling, as wait.js does) until the proctor
starts the room, opens part 1, answers every question with a think time, changes its mind on
some, flags a few, reloads the exam page once (checking the server kept everything), opens the
review screen and submits. Like exam.js it sends each change at once with a sequence number,
keeps unacknowledged changes and resends them, and heartbeats. What each candidate last had
acknowledged goes to LOADTEST_RESULTS, for the runner to compare with the database.

A proctor signs in and polls the live grid of one room (GET /proctor/rooms/<id>/grid) every
3 s, as grid.js does.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
import urllib.parse

import gevent
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
PAPER = re.compile(r'<script type="application/json" id="paper-data">(.*?)</script>', re.S)
ROOM_LINKS = re.compile(r'href="/proctor/rooms/(\d+)"')
EXAM_LINK = re.compile(r'href="(/proctor/exams/\d+/rooms)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _pair(name: str, default: str) -> tuple[float, float]:
    low, high = os.environ.get(name, default).split(",")
    return float(low), float(high)


THINK = _pair("LOADTEST_THINK", "1,3")  # seconds between two answer changes
HEARTBEAT_SECONDS = float(os.environ.get("LOADTEST_HEARTBEAT", "10"))
WAIT_POLL_SECONDS = 3.0  # wait.js
GRID_POLL_SECONDS = 3.0  # grid.js
REVISIT = 0.25  # share of changes that go back to an answered question
FLAG = 0.1

_logins = json.load(open(os.environ["LOADTEST_LOGINS"])) if "LOADTEST_LOGINS" in os.environ else {}
_candidates = iter(_logins.get("candidates", []))
_lock = threading.Lock()
_results: dict[int, dict] = {}  # attempt id -> what the candidate last had acknowledged
_finished = itertools.count(1)
_rooms = itertools.count()


def _form(**fields) -> str:
    return urllib.parse.urlencode(fields)


class Terminal(FastHttpUser):
    """One candidate at one terminal."""

    wait_time = constant(0)  # the task paces itself (think times); it runs once

    def on_start(self) -> None:
        with _lock:
            login = next(_candidates, None)
        if login is None:
            raise StopUser()
        self.sbd, code = login
        page = self.client.get("/login", name="/login")
        token = CSRF.search(page.text).group(1)
        signed = self.client.post(
            "/login",
            data=_form(csrf_token=token, registration_number=self.sbd, access_code=code),
            headers=FORM,
            allow_redirects=False,
            name="/login [POST]",
        )
        if signed.status_code != 302 or not signed.headers.get("Location", "").endswith("/wait"):
            raise StopUser()
        wait = self.client.get("/wait", name="/wait")
        self.token = CSRF.search(wait.text).group(1)

    @task
    def sit(self) -> None:
        self.wait_for_room()
        paper = self.open_part()
        self.answer(paper)
        self.submit()
        with _lock:
            done = next(_finished)
        options = self.environment.parsed_options
        expected = options.candidates if options else 0
        if expected and done >= expected and self.environment.runner is not None:
            # Every candidate has submitted: end the run now rather than at --run-time. From
            # its own greenlet: quitting stops every user, this one included.
            gevent.spawn_later(1, self.environment.runner.quit)
        raise StopUser()

    # --- the candidate's steps ----------------------------------------------------------

    def wait_for_room(self) -> None:
        while True:
            status = self.client.get("/api/candidate/status", name="/api/candidate/status")
            if status.status_code == 200 and status.json().get("room_state") == "running":
                return
            time.sleep(WAIT_POLL_SECONDS)

    def open_part(self) -> dict:
        started = self.client.post(
            "/start",
            data=_form(csrf_token=self.token),
            headers=FORM,
            allow_redirects=False,
            name="/start",
        )
        if started.status_code != 302:
            raise StopUser()
        return self.load_paper()

    def load_paper(self) -> dict:
        page = self.client.get("/exam", name="/exam")
        data = json.loads(PAPER.search(page.text).group(1))
        self.token = CSRF.search(page.text).group(1)
        self.attempt_token = data["token"]  # exam.js sends it with saves and heartbeats
        return data

    def answer(self, paper: dict) -> None:
        attempt_id = paper["attempt_id"]
        state = {"attempt_id": attempt_id, "sbd": self.sbd, "answers": {}, "flags": {}}
        with _lock:
            _results[attempt_id] = state
        self.attempt_id, self.seq = attempt_id, paper["last_seq"]
        self.pending: list[dict] = []
        self.sent: dict[int, dict] = {}  # seq -> change, until acknowledged
        self.next_beat = time.monotonic() + HEARTBEAT_SECONDS
        items = paper["items"]
        rng = random.Random(self.sbd)
        order = list(items)
        reload_at = len(order) // 2
        for number, item in enumerate(order):
            self.think(rng)
            self.change("answer", item["position"], self.value(item, rng), state)
            if rng.random() < REVISIT:  # a change of mind on an earlier question
                earlier = rng.choice(order[: number + 1])
                self.think(rng)
                self.change("answer", earlier["position"], self.value(earlier, rng), state)
            if rng.random() < FLAG:
                position = item["position"]
                self.change("flag", position, not state["flags"].get(position, False), state)
            if number == reload_at:
                self.reload_and_check(state)
        # Everything must be acknowledged before the candidate leaves (exam.js waits too).
        for _ in range(5):
            if not self.pending:
                break
            self.flush(state)
            time.sleep(0.5)

    def think(self, rng: random.Random) -> None:
        pause = rng.uniform(*THINK)
        while pause > 0:
            step = min(pause, max(0.0, self.next_beat - time.monotonic()))
            time.sleep(step)
            pause -= step
            if time.monotonic() >= self.next_beat:
                self.heartbeat()

    def value(self, item: dict, rng: random.Random) -> list:
        if item["type"] == "fill_blank":
            return [f"trả lời {rng.randint(1, 99)}" for _ in range(item["blanks"])]
        return [rng.randrange(len(item["options"]))]

    def change(self, kind: str, position: int, value, state: dict) -> None:
        self.seq += 1
        self.pending.append({"seq": self.seq, "kind": kind, "position": position, "value": value})
        self.flush(state)

    def flush(self, state: dict) -> None:
        """Send every unacknowledged change in order; forget those the server acknowledged."""
        if not self.pending:
            return
        for _attempt in range(2):
            with self.client.post(
                f"/api/attempts/{self.attempt_id}/changes",
                json={"changes": self.pending},
                headers={"X-CSRFToken": self.token, "X-Attempt-Token": self.attempt_token},
                name="/api/attempts/[id]/changes",
                catch_response=True,
            ) as response:
                if response.status_code == 0 and _attempt == 0:
                    # The server closed the kept-alive connection as the request went out
                    # (gunicorn's keep-alive under `examctl run` is 2 s, the think time 1-3 s).
                    # A browser resends such a request at once, and so does this terminal; the
                    # closed connection gets a row of its own instead of counting as a save.
                    response.request_meta["name"] = "(save resent: keep-alive closed)"
                    response.success()
                    continue
                try:
                    ack = response.json()
                except Exception:
                    ack = {}
                if response.status_code != 200 or not ack.get("ok"):
                    detail = getattr(response, "error", None) or (response.text or "")[:120]
                    response.failure(f"save refused: {response.status_code} {detail}")
                    return  # kept in pending: sent again with the next change
                acked = ack["acked_seq"]
                break
        kept = []
        for change in self.pending:
            if change["seq"] > acked:
                kept.append(change)
            elif change["kind"] == "flag":
                state["flags"][change["position"]] = change["value"]
            else:
                state["answers"][change["position"]] = change["value"]
        state["acked_seq"] = acked
        self.pending = kept
        state["pending"] = len(kept)

    def heartbeat(self) -> None:
        self.next_beat = time.monotonic() + HEARTBEAT_SECONDS
        self.client.post(
            f"/api/attempts/{self.attempt_id}/heartbeat",
            json={},
            headers={"X-CSRFToken": self.token, "X-Attempt-Token": self.attempt_token},
            name="/api/attempts/[id]/heartbeat",
        )

    def reload_and_check(self, state: dict) -> None:
        """Reload the exam page (F5): the server must show exactly what it acknowledged."""
        with self.client.get("/exam", name="/exam [reload]", catch_response=True) as page:
            match = PAPER.search(page.text or "")
            if not match:
                page.failure("the reloaded exam page has no paper")
                return
            data = json.loads(match.group(1))
            held = {int(k): v for k, v in data["answers"].items()}
            if held != state["answers"] or data["last_seq"] != state.get("acked_seq"):
                page.failure("the reloaded page differs from what was acknowledged")
            self.token = CSRF.search(page.text).group(1)

    def submit(self) -> None:
        self.client.get("/exam/review", name="/exam/review")
        submitted = self.client.post(
            "/exam/submit",
            data=_form(csrf_token=self.token),
            headers=FORM,
            allow_redirects=False,
            name="/exam/submit",
        )
        if submitted.status_code == 302:
            self.client.get(submitted.headers["Location"], name="/wait")


class Proctor(FastHttpUser):
    """A proctor's console: the live grid of one room, polled."""

    wait_time = constant(GRID_POLL_SECONDS)
    fixed_count = 1  # set from --proctors by the init hook below

    def on_start(self) -> None:
        staff = _logins.get("staff", {})
        page = self.client.get("/staff/login", name="/staff/login")
        home = self.client.post(
            "/staff/login",
            data=_form(
                csrf_token=CSRF.search(page.text).group(1),
                username="giamthi1",
                password=staff.get("giamthi1", ""),
            ),
            headers=FORM,
            name="/staff/login [POST]",
        )
        link = EXAM_LINK.search(home.text)
        if not link:
            raise StopUser()
        rooms = self.client.get(link.group(1), name="/proctor/exams/[id]/rooms")
        room_ids = sorted(set(ROOM_LINKS.findall(rooms.text)), key=int)
        if not room_ids:
            raise StopUser()
        with _lock:
            self.room_id = room_ids[next(_rooms) % len(room_ids)]

    @task
    def poll_grid(self) -> None:
        with self.client.get(
            f"/proctor/rooms/{self.room_id}/grid",
            name="/proctor/rooms/[id]/grid",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "tiles" not in (response.text or ""):
                response.failure(f"grid: {response.status_code}")


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--candidates", type=int, default=0, help="end when this many submitted")
    parser.add_argument("--proctors", type=int, default=1, help="proctor consoles polling grids")


@events.init.add_listener
def _sized(environment, **_kwargs) -> None:
    if environment.parsed_options is not None:
        Proctor.fixed_count = environment.parsed_options.proctors


@events.quitting.add_listener
def _write_results(environment, **_kwargs) -> None:
    path = os.environ.get("LOADTEST_RESULTS")
    if path:
        with _lock, open(path, "w") as out:
            json.dump(list(_results.values()), out, ensure_ascii=False)
