"""A real server for end-to-end tests: `examctl demo`, then `examctl run` (gunicorn) on a free port.

On PostgreSQL runs (EXAM_TEST_DATABASE_URL set) the server gets its own database on the
same PostgreSQL server, created fresh for the run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The browsers, the head proctor's console and the candidate's terminal (tests/e2e/browser.py),
# for every module here. A module may define its own `live_server`: they then run against it.
from tests.e2e.browser import (  # noqa: F401
    candidate_traffic,
    chromium,
    firefox,
    playwright_driver,
    proctor,
    room_started,
    terminal,
)

EXAMCTL = str(Path(sys.executable).with_name("examctl"))
STAFF_LINE = re.compile(r"^\s+(admin|giamthi1)\s+(\S+)\s+(\w+)$", re.M)
CANDIDATE_LINE = re.compile(r"^\s+(TS\d{3,4})\s+([A-Z0-9]{8})\s+(.+)$", re.M)


@dataclass
class LiveServer:
    url: str
    env: dict
    staff: dict[str, str] = field(default_factory=dict)  # username -> password
    candidates: list[tuple[str, str, str]] = field(default_factory=list)  # SBD, code, name
    log_path: Path | None = None

    def examctl(self, *args: str) -> str:
        result = subprocess.run(
            [EXAMCTL, *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def e2e_database_url(tmp_path: Path) -> str:
    base = os.environ.get("EXAM_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp_path}/e2e.sqlite3"
    url = make_url(base)
    name = f"{url.database}_e2e"  # one per test database, so parallel runs never collide
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def start_server(
    tmp_path: Path, workers: int = 2, candidates: int = 20, settings: dict | None = None
) -> tuple[LiveServer, subprocess.Popen]:
    """Seed the demo and start gunicorn; `settings` are EXAM_* variables for this server."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EXAM_")},
        "EXAM_DATABASE_URL": e2e_database_url(tmp_path),
        "EXAM_SECRET_KEY": "e2e-secret",
        "EXAM_INSTANCE_PATH": str(tmp_path / "instance"),
        "EXAM_BCRYPT_ROUNDS_STAFF": "4",
        "EXAM_BCRYPT_ROUNDS_CANDIDATE": "4",
        "EXAM_HEARTBEAT_SECONDS": "2",
        **(settings or {}),
    }
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, log_path=tmp_path / "server.log")
    logins_file = tmp_path / "logins.json"
    output = server.examctl(
        "demo", "--candidates", str(candidates), "--logins-file", str(logins_file)
    )
    server.staff = {m.group(1): m.group(2) for m in STAFF_LINE.finditer(output)}
    printed = {m.group(1): m.groups() for m in CANDIDATE_LINE.finditer(output)}
    server.candidates = [
        printed.get(sbd, (sbd, code, ""))
        for sbd, code in json.loads(logins_file.read_text())["candidates"]
    ]
    assert len(server.candidates) == candidates and set(server.staff) == {"admin", "giamthi1"}, (
        output
    )
    with open(server.log_path, "w") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [EXAMCTL, "run", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(server.url + "/login", timeout=1).status_code == 200:
                return server, process
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    stop(process)
    pytest.fail("the server did not start:\n" + server.log_path.read_text())


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    server, process = start_server(tmp_path_factory.mktemp("live"))
    yield server
    stop(process)
