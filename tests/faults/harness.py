"""What the fault tests drive: a gunicorn that can be killed and restarted on the same database,
terminals that behave like the exam page (every change sent at once with a sequence number,
kept until acknowledged, replayed after a failure), and a view of what the database holds."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from exam_server.db import make_engine
from exam_server.models import Answer, AnswerEvent, Attempt, Candidate, Exam
from tests.e2e.conftest import EXAMCTL, LiveServer, start_server, stop
from tests.e2e.sitting import PAPER, Browser, candidate_login, open_part, staff_start_room

# --- the server ---------------------------------------------------------------------------


class ServerHandle:
    """A gunicorn master (examctl run) and its workers, restartable on the same database."""

    def __init__(self, tmp_path: Path, workers: int = 2):
        self.workers = workers
        self.live: LiveServer
        self.live, self.process = start_server(tmp_path, workers=workers)
        self.port = int(self.live.url.rsplit(":", 1)[1])
        self.staff: Browser | None = None

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def database_url(self) -> str:
        return self.live.env["EXAM_DATABASE_URL"]

    def worker_pids(self) -> list[int]:
        """The master's children (gunicorn workers), from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                found.append(int(entry.name))
        return sorted(found)

    def wait_for_workers(self, count: int, exclude: set[int] = frozenset(), timeout=30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len([p for p in self.worker_pids() if p not in exclude]) >= count:
                return
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not bring back {count} workers")

    def kill_worker(self) -> int:
        victim = self.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def kill_master(self) -> None:
        """kill -9 the master; its orphaned workers notice and exit (or are killed)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._wait_group_gone()

    def stop_gracefully(self) -> None:
        """SIGTERM the master: it lets requests in flight finish, then exits."""
        stop(self.process)
        self._wait_group_gone()

    def _wait_group_gone(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.killpg(self.process.pid, signal.SIGKILL)
        time.sleep(0.5)

    def start(self) -> None:
        """Start gunicorn again on the same port and database (no demo refresh)."""
        with open(self.live.log_path, "a") as log:
            self.process = subprocess.Popen(
                [EXAMCTL, "run", "--port", str(self.port), "--workers", str(self.workers)],
                env=self.live.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/login", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail("the server did not restart:\n" + self.live.log_path.read_text()[-3000:])

    def stop(self) -> None:
        stop(self.process)

    def proctor(self) -> Browser:
        """The head proctor, signed in; the room is started on first use."""
        if self.staff is None:
            self.staff = staff_start_room(self.url, "giamthi1", self.live.staff["giamthi1"])
        return self.staff

    def room_action(self, action: str, reason: str = "") -> requests.Response:
        staff = self.proctor()
        rooms = staff.get(f"/proctor/exams/{self.demo_exam_id()}/rooms")
        target = re.search(r'action="(/proctor/rooms/\d+/action)"', rooms.text).group(1)
        return staff.post_form(target, {"action": action, "reason": reason})

    def demo_exam_id(self) -> int:
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.scalar(select(Exam.id).where(Exam.code == "DEMO-PILOT"))
        finally:
            engine.dispose()

    def candidate(self, index: int) -> tuple[str, str, str]:
        return self.live.candidates[index]


# --- a terminal -----------------------------------------------------------------------------


@dataclass
class Terminal:
    """One candidate's exam page: changes queue up until the server acknowledges them."""

    base: str
    sbd: str
    browser: Browser
    paper: dict
    seq: int = 0
    acked_seq: int = 0
    pending: list[dict] = field(default_factory=list)
    history: dict[int, dict] = field(default_factory=dict)
    failures: int = 0
    refusals: list[int] = field(default_factory=list)  # HTTP statuses of refused saves
    last_refusal: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def sign_in(cls, server: ServerHandle, index: int) -> Terminal:
        sbd, code, _name = server.candidate(index)
        browser = candidate_login(server.url, sbd, code)
        paper = open_part(browser)
        return cls(server.url, sbd, browser, paper, paper["last_seq"], paper["last_seq"])

    @property
    def attempt_id(self) -> int:
        return self.paper["attempt_id"]

    def random_value(self, rng: random.Random, item: dict) -> list:
        if item["type"] == "fill_blank":
            return [f"trả lời {rng.randrange(1000)}"] * item["blanks"]
        return [rng.randrange(len(item["options"]))]

    def change(self, position: int, value: Any, kind: str = "answer") -> dict:
        with self.lock:
            self.seq += 1
            change = {"seq": self.seq, "kind": kind, "position": position, "value": value}
            self.pending.append(change)
            self.history[self.seq] = change
            return change

    def send(self, changes: list[dict] | None = None, **extra) -> requests.Response | None:
        """Post the pending changes (or the ones given); None when the server is unreachable."""
        with self.lock:
            # The page replays at most 200 changes per request, oldest first (exam.js).
            batch = list(self.pending[:200] if changes is None else changes)
        if not batch:
            return None
        try:
            response = self.browser.http.post(
                f"{self.base}/api/attempts/{self.attempt_id}/changes",
                json={"changes": batch, **extra.pop("payload", {})},
                # As exam.js does: the attempt token (served in front of Flask when acked).
                headers={
                    "X-CSRFToken": self.browser.token,
                    "X-Attempt-Token": self.paper["token"],
                    **extra.pop("headers", {}),
                },
                timeout=10,
            )
        except requests.RequestException:
            self.failures += 1
            return None
        if response.status_code == 200:
            acked = response.json()["acked_seq"]
            with self.lock:
                self.acked_seq = max(self.acked_seq, acked)
                self.pending = [c for c in self.pending if c["seq"] > acked]
        else:
            self.failures += 1
            self.refusals.append(response.status_code)
            self.last_refusal = response.text[:300]
        return response

    def flush(self, timeout: float = 60) -> None:
        """Replay until everything is acknowledged, as the page does on reconnect."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while self.pending:
            if time.monotonic() > deadline:
                pytest.fail(f"{self.sbd}: {len(self.pending)} changes never acknowledged")
            response = self.send()
            if response is None or response.status_code != 200:
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def reload(self) -> dict:
        page = self.browser.get("/exam")
        return json.loads(PAPER.search(page.text).group(1))

    def expected_answers(self, up_to: int | None = None) -> dict[int, tuple[int, Any]]:
        """Position → (seq, value) of the last answer change up to a sequence number."""
        found: dict[int, tuple[int, Any]] = {}
        with self.lock:  # the terminal's thread may be adding changes
            history = dict(self.history)
        for seq in sorted(history):
            change = history[seq]
            if (up_to is None or seq <= up_to) and change["kind"] == "answer":
                found[change["position"]] = (seq, change["value"])
        return found


def drive(terminal: Terminal, stop_event: threading.Event, seed: int, pause: float = 0.02):
    """Change answers one after another until told to stop, then flush everything."""
    rng = random.Random(seed)
    items = terminal.paper["items"]
    while not stop_event.is_set():
        item = rng.choice(items)
        terminal.change(item["position"], terminal.random_value(rng, item))
        response = terminal.send()
        if response is None or response.status_code != 200:
            time.sleep(0.05)  # the page backs off a little before replaying
        time.sleep(pause)
    terminal.flush()


def under_load(terminals: list[Terminal]) -> tuple[threading.Event, list[threading.Thread]]:
    stop_event = threading.Event()
    threads = [
        threading.Thread(target=drive, args=(t, stop_event, n), daemon=True)
        for n, t in enumerate(terminals)
    ]
    for thread in threads:
        thread.start()
    return stop_event, threads


def finish(stop_event: threading.Event, threads: list[threading.Thread]) -> None:
    stop_event.set()
    for thread in threads:
        thread.join(timeout=90)
        assert not thread.is_alive(), "a terminal never got its changes acknowledged"


def wait_for_acks(terminals: list[Terminal], more_than: int, timeout: float = 40) -> None:
    """Let the load run until every terminal has `more_than` more acknowledged changes."""
    start = {t.sbd: t.acked_seq for t in terminals}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(t.acked_seq - start[t.sbd] > more_than for t in terminals):
            return
        time.sleep(0.05)
    refusals = {t.sbd: t.last_refusal for t in terminals if t.last_refusal}
    pytest.fail(f"the terminals made no progress under load: {refusals}")


# --- the database's view ------------------------------------------------------------------------


@dataclass
class Held:
    """What the database holds for one attempt."""

    last_seq: int
    answers: dict[int, tuple[int, Any]]  # position → (seq, response)
    answer_seqs: list[int]  # client sequence numbers of the answer events, in event order


def held(database_url: str, attempt_ids: list[int]) -> dict[int, Held]:
    engine = make_engine(database_url)
    found = {}
    try:
        with engine.connect() as connection:
            for attempt_id in attempt_ids:
                last_seq = connection.scalar(
                    select(Attempt.last_seq).where(Attempt.id == attempt_id)
                )
                answers = {
                    row.position: (row.seq, row.response)
                    for row in connection.execute(
                        select(Answer.position, Answer.seq, Answer.response).where(
                            Answer.attempt_id == attempt_id
                        )
                    )
                }
                seqs = connection.scalars(
                    select(AnswerEvent.client_seq)
                    .where(AnswerEvent.attempt_id == attempt_id, AnswerEvent.kind == "answer")
                    .order_by(AnswerEvent.ordinal)
                ).all()
                found[attempt_id] = Held(last_seq, answers, list(seqs))
    finally:
        engine.dispose()
    return found


def normalised(value: Any) -> Any:
    return sorted(value) if value and isinstance(value[0], int) else value


def assert_holds_every_acknowledged_change(terminal: Terminal, state: Held) -> None:
    """Every change up to the last acknowledged one is in the database, exactly once."""
    assert state.last_seq >= terminal.acked_seq, (terminal.sbd, state.last_seq)
    assert state.last_seq <= terminal.seq
    first = terminal.paper["last_seq"] + 1
    assert state.answer_seqs == list(range(first, state.last_seq + 1)), terminal.sbd
    expected = terminal.expected_answers(up_to=state.last_seq)
    assert {p: (s, normalised(v)) for p, (s, v) in expected.items()} == {
        p: (s, normalised(v)) for p, (s, v) in state.answers.items()
    }, terminal.sbd


def candidate_id(database_url: str, sbd: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                select(Candidate.id).where(Candidate.registration_number == sbd)
            )
    finally:
        engine.dispose()
