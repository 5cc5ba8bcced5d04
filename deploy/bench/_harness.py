"""Shared benchmark plumbing: a seeded server, logged-in candidates, an asyncio HTTP load.

The benchmarks drive the platform only from outside (examctl and HTTP), as users would.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
PAPER = re.compile(r'<script type="application/json" id="paper-data">(.*?)</script>', re.S)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/exam_bench"
# Threads per gunicorn worker, for the app and the bare route alike (`examctl run`'s default).
THREADS = int(os.environ.get("BENCH_THREADS", "16"))
# Worker processes, for the app and the bare route alike (default: `examctl run`'s choice).
WORKERS = int(os.environ.get("BENCH_WORKERS", "0")) or None


def line(name: str, figure: float, budget: float, passed: bool, unit_note: str = "") -> None:
    """Print the one line deploy/bench/run collects."""
    print(
        f"BENCH {name} {figure:.3f} {budget:g} {'PASS' if passed else 'FAIL'}{unit_note}",
        flush=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_url() -> str | None:
    """A fresh PostgreSQL database for the benchmark, or None when PostgreSQL is not there."""
    url = os.environ.get("EXAM_BENCH_DATABASE_URL", DEFAULT_PG)
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {parsed.database} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {parsed.database}"))
        admin.dispose()
        return url
    except Exception:  # no server, no rights: the caller falls back or reports
        return None


@dataclass
class Server:
    url: str
    env: dict
    process: subprocess.Popen
    logins: dict
    workdir: Path

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def start_app(
    candidates: int,
    *,
    database_url: str | None,
    workers: int | None = None,
    code_rounds: int = 4,
    extra_env: dict | None = None,
) -> Server:
    """Seed the demo with `candidates` and serve it with `examctl run` (gunicorn)."""
    workdir = Path(tempfile.mkdtemp(prefix="exam-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EXAM_")},
        "EXAM_SECRET_KEY": "bench-secret",
        "EXAM_INSTANCE_PATH": str(workdir),
        "EXAM_DATABASE_URL": database_url or f"sqlite:///{workdir}/bench.sqlite3",
        "EXAM_BCRYPT_ROUNDS_STAFF": "4",
        "EXAM_BCRYPT_ROUNDS_CANDIDATE": str(code_rounds),
        **(extra_env or {}),
    }
    logins_file = workdir / "logins.json"
    subprocess.run(
        [
            str(BIN / "examctl"),
            "demo",
            "--candidates",
            str(candidates),
            "--logins-file",
            str(logins_file),
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    command = [str(BIN / "examctl"), "run", "--port", str(port), "--threads", str(THREADS)]
    if workers or WORKERS:
        command += ["--workers", str(WORKERS or workers)]
    with open(workdir / "server.log", "w") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url + "/login", process)
    return Server(url, env, process, json.loads(logins_file.read_text()), workdir)


def start_bare(workers: int) -> tuple[str, subprocess.Popen]:
    """Serve deploy/bench/bare_app.py with the same gunicorn settings as `examctl run`."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "--chdir",
        str(Path(__file__).parent),
        "--workers",
        str(workers),
        "--worker-class",
        "exam_server.gunicorn_worker.PollingThreadWorker",
        "--threads",
        str(THREADS),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--keep-alive",
        "75",
        # `examctl run` logs every request to stdout, so the bare route does too.
        "--access-logfile",
        "-",
        "bare_app:app",
    ]
    log = open(Path(tempfile.mkdtemp(prefix="exam-bare-")) / "server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url + "/bare", process)
    return url, process


def start_rooms(server: Server) -> None:
    """Sign in as the head proctor and start every room of the demo exam."""
    staff = requests.Session()
    page = staff.get(server.url + "/staff/login")
    home = staff.post(
        server.url + "/staff/login",
        data={
            "csrf_token": CSRF.search(page.text).group(1),
            "username": "giamthi1",
            "password": server.logins["staff"]["giamthi1"],
        },
    )
    rooms_path = re.search(r'href="(/proctor/exams/\d+/rooms)"', home.text).group(1)
    console = staff.get(server.url + rooms_path)
    token = CSRF.search(console.text).group(1)
    for action in sorted(set(re.findall(r'action="(/proctor/rooms/\d+/action)"', console.text))):
        staff.post(server.url + action, data={"csrf_token": token, "action": "start"})


@dataclass
class Terminal:
    """One signed-in candidate: the cookies and token a browser would hold."""

    sbd: str
    cookie: str
    token: str
    attempt_id: int | None = None
    seq: int = 0
    choices: list | None = None  # positions of four-option items, for load tests
    attempt_token: str = ""  # sent with saves, as exam.js does


def sign_in(base: str, sbd: str, code: str) -> Terminal:
    http = requests.Session()
    page = http.get(base + "/login")
    wait = http.post(
        base + "/login",
        data={
            "csrf_token": CSRF.search(page.text).group(1),
            "registration_number": sbd,
            "access_code": code,
        },
    )
    if not wait.url.endswith("/wait"):
        raise RuntimeError(f"{sbd} could not sign in")
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    return Terminal(sbd, cookie, CSRF.search(wait.text).group(1))


def sign_in_all(base: str, logins: list, threads: int = 16) -> list[Terminal]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda pair: sign_in(base, *pair), logins))


# --- a small asyncio HTTP/1.1 client with keep-alive: cheap enough to load a server ------


async def exchange(reader, writer, raw: bytes) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection; return its status and body."""
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for header in head.split(b"\r\n"):
        if header.lower().startswith(b"content-length:"):
            length = int(header.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


def build_request(
    method: str,
    path: str,
    host: str,
    *,
    body: bytes = b"",
    headers: dict | None = None,
    content_type: str = "application/json",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if method == "POST":
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def run_clients(base: str, clients: list, seconds: float) -> dict:
    """Run each client's `next_request()` in a loop on its own connection for `seconds`.

    A client is an object with `next_request() -> bytes` and `done(status, body, latency)`.
    Returns counts and latencies.
    """
    host = base.split("//", 1)[1]
    hostname, port = host.split(":")
    stats = {"ok": 0, "errors": 0, "latencies": []}
    stop_at = time.monotonic() + seconds

    async def loop(client):
        reader, writer = await asyncio.open_connection(hostname, int(port))
        try:
            while time.monotonic() < stop_at:
                raw = client.next_request(host)
                if raw is None:
                    break
                started = time.perf_counter()
                status, body = await exchange(reader, writer, raw)
                latency = time.perf_counter() - started
                stats["latencies"].append(latency)
                if client.done(status, body):
                    stats["ok"] += 1
                else:
                    stats["errors"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(loop(client) for client in clients))
    return stats


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
