#!/usr/bin/env python3
"""Run an exam-shift load test with Locust (headless) on PostgreSQL, then check the database.

    .venv/bin/python deploy/loadtest/run_scenario.py [--candidates 200] [--duration 180]

It seeds the demo with N candidates (`examctl demo --candidates N --logins-file F`), serves it
with `examctl run` (gunicorn) on a fresh PostgreSQL database (EXAM_BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/exam_loadtest), runs deploy/loadtest/locustfile.py for at
most --duration seconds (candidates sign in, wait, start when the proctor starts the rooms,
answer part 1 with changes of mind, reload once, submit; proctors poll their room's grid), and
then checks that the database holds, for every candidate, the last answer the candidate had
acknowledged, with nothing left unsent. It prints p50/p95/p99 per endpoint, the errors and
the throughput, and exits non-zero on any error or lost answer.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "bench"))

from _harness import (  # noqa: E402
    BIN,
    free_port,
    postgres_url,
    start_app,
    start_rooms,
    wait_ready,
)

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/exam_loadtest"
ROOM_SIZE = 40  # exam_server/demo/scale.py


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--duration", type=int, default=180, help="seconds, at most")
    parser.add_argument("--workers", type=int, default=None, help="default: 2 × cores + 1")
    parser.add_argument("--think", default="1,3", help="seconds between changes: MIN,MAX")
    parser.add_argument("--spawn-rate", type=float, default=None, help="default: all in 10 s")
    parser.add_argument(
        "--server",
        choices=("production", "examctl"),
        default="production",
        help="gunicorn with deploy/gunicorn.conf.py (default), or `examctl run`",
    )
    return parser.parse_args(argv)


def serve_like_production(server, workers: int) -> None:
    """Replace `examctl run` by gunicorn with deploy/gunicorn.conf.py, as systemd runs it."""
    server.stop()
    port = free_port()
    env = {
        **server.env,
        "EXAM_ENV": "production",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
    }
    with open(server.workdir / "server.log", "a") as log:
        server.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--config",
                str(HERE.parent / "gunicorn.conf.py"),
                "exam_server.wsgi:app",
            ],
            env=env,
            cwd=server.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server.url = f"http://127.0.0.1:{port}"
    wait_ready(server.url + "/login", server.process)


def run_locust(url: str, workdir: Path, args, proctors: int) -> subprocess.CompletedProcess:
    users = args.candidates + proctors
    rate = args.spawn_rate or max(1.0, users / 10)
    env = {
        **os.environ,
        "LOADTEST_LOGINS": str(workdir / "logins.json"),
        "LOADTEST_RESULTS": str(workdir / "results.json"),
        "LOADTEST_THINK": args.think,
    }
    command = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        url,
        "--users",
        str(users),
        "--spawn-rate",
        f"{rate:g}",
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "15",
        "--csv",
        str(workdir / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--candidates",
        str(args.candidates),
        "--proctors",
        str(proctors),
    ]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=args.duration + 120
    )


def check_database(database_url: str, results: list[dict]) -> tuple[int, int]:
    """Return (answers or flags not as last acknowledged, changes never acknowledged)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    ids = [r["attempt_id"] for r in results]
    held: dict[int, dict[int, tuple]] = {i: {} for i in ids}
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT attempt_id, position, response, flagged FROM answers"
                " WHERE attempt_id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        for attempt_id, position, response, flagged in rows:
            held[attempt_id][position] = (response, flagged)
    engine.dispose()
    wrong = 0
    for result in results:
        stored = held[result["attempt_id"]]
        answers = {int(k): v for k, v in result["answers"].items()}
        flags = {int(k): v for k, v in result["flags"].items()}
        stored_answers = {p: r for p, (r, _f) in stored.items() if r is not None}
        for position in set(answers) | set(stored_answers):
            if answers.get(position) != stored_answers.get(position):
                wrong += 1
        for position, flagged in flags.items():
            if stored.get(position, (None, False))[1] != flagged:
                wrong += 1
    unsent = sum(r.get("pending", 0) for r in results)
    return wrong, unsent


def report(workdir: Path, duration: float) -> int:
    """Print per-endpoint latencies and errors from Locust's CSV files; return the failures."""
    with open(workdir / "locust_stats.csv", newline="") as stats_file:
        rows = list(csv.DictReader(stats_file))
    header = ("endpoint", "requests", "errors", "p50", "p95", "p99", "req/s")
    print("{:<38} {:>8} {:>6} {:>6} {:>6} {:>6} {:>7}".format(*header))
    failures = total = saves = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        label = f"{row['Type']} {name}".strip() if name != "ALL" else "ALL"
        print(
            f"{label[:38]:<38} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{row['50%']:>6} {row['95%']:>6} {row['99%']:>6} {float(row['Requests/s']):>7.1f}"
        )
        if name == "ALL":
            failures = int(row["Failure Count"])
            total = int(row["Request Count"])
        if name.endswith("/changes"):
            saves = int(row["Request Count"])
    print("(latencies in ms)")
    print(
        f"throughput: {total / duration:.1f} requests/s, {saves / duration:.1f} answer saves/s "
        f"over {duration:.0f} s; failed requests: {failures}"
    )
    failures_path = workdir / "locust_failures.csv"
    if failures_path.exists():
        with open(failures_path, newline="") as failures_file:
            for row in csv.DictReader(failures_file):
                print(
                    f"error: {row['Method']} {row['Name']}: {row['Error']} × {row['Occurrences']}"
                )
    # An exception inside a simulated user (a page without what it should show) is an error too.
    exceptions_path = workdir / "locust_exceptions.csv"
    if exceptions_path.exists():
        with open(exceptions_path, newline="") as exceptions_file:
            for row in csv.DictReader(exceptions_file):
                failures += int(row["Count"])
                where = row["Traceback"].strip().splitlines()[-2:]
                print(f"error in a simulated user: {row['Message']} × {row['Count']} at {where}")
    return failures


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.environ.setdefault("EXAM_BENCH_DATABASE_URL", DEFAULT_DATABASE)
    database_url = postgres_url()
    if database_url is None:
        print("PostgreSQL is not reachable: set EXAM_BENCH_DATABASE_URL", file=sys.stderr)
        return 2
    cores = len(os.sched_getaffinity(0))
    workers = args.workers or 2 * cores + 1
    rooms = -(-args.candidates // ROOM_SIZE)
    print(
        f"Seeding {args.candidates} candidates in {rooms} rooms (the demo exam, part 1: "
        f"20 questions) on {database_url}; {workers} gunicorn workers on {cores} cores "
        f"({'deploy/gunicorn.conf.py' if args.server == 'production' else 'examctl run'})",
        flush=True,
    )
    server = start_app(args.candidates, database_url=database_url, workers=workers)
    try:
        if args.server == "production":
            serve_like_production(server, workers)
        # The proctors start the rooms once every candidate has had time to sign in.
        spawn_seconds = (args.candidates + rooms) / (
            args.spawn_rate or (args.candidates + rooms) / 10
        )
        starter = threading.Timer(spawn_seconds + 5, start_rooms, args=(server,))
        starter.start()
        began = time.monotonic()
        locust = run_locust(server.url, server.workdir, args, rooms)
        elapsed = time.monotonic() - began
        starter.cancel()
    finally:
        server.stop()
    if locust.returncode not in (0, 1):  # 1: Locust saw failures, reported below
        print(locust.stdout[-3000:], locust.stderr[-3000:], sep="\n")
        return 2
    results_path = server.workdir / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else []
    failures = report(server.workdir, elapsed)
    wrong, unsent = check_database(database_url, results)
    finished = sum(1 for r in results if r.get("pending", 0) == 0)
    print(
        f"\n{len(results)} of {args.candidates} candidates opened their paper, "
        f"{finished} with every change acknowledged; run {elapsed:.0f} s; "
        f"server log: {server.workdir / 'server.log'}"
    )
    print(
        f"database check: {wrong} answers or flags differ from the last acknowledged; "
        f"{unsent} changes never acknowledged"
    )
    ok = failures == 0 and wrong == 0 and unsent == 0 and len(results) == args.candidates
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
