"""autosave_ratio: answer saves per second against a bare Flask route, side by side.

Both run under the same gunicorn settings (`examctl run`: the project's gthread worker, 16
threads, the same worker count) and are loaded by the same asyncio client with the same
concurrency and body size, in alternating rounds (a machine whose speed drifts during the run
slows both alike). Budget (DESIGN.md): saves ≥ 0.5 × the bare route. PostgreSQL when reachable.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sys

import requests
from _harness import (
    PAPER,
    WORKERS,
    build_request,
    line,
    percentile,
    postgres_url,
    run_clients,
    sign_in_all,
    start_app,
    start_bare,
    start_rooms,
    stop_process,
)

# Terminals saving at once (each on its own kept-alive connection, saving as fast as it can).
CANDIDATES = int(os.environ.get("BENCH_CONNECTIONS", "64"))
SECONDS = 8.0
ROUNDS = 4
BUDGET = 0.5


class SaveClient:
    def __init__(self, terminal, path_for):
        self.terminal = terminal
        self.path_for = path_for

    def next_request(self, host):
        t = self.terminal
        t.seq += 1
        position = t.choices[t.seq % len(t.choices)]
        change = {"seq": t.seq, "kind": "answer", "position": position, "value": [t.seq % 4]}
        body = json.dumps({"changes": [change]}).encode()
        # What exam.js sends: the cookie and CSRF header of every page, and the attempt token.
        headers = {"Cookie": t.cookie, "X-CSRFToken": t.token, "X-Attempt-Token": t.attempt_token}
        return build_request("POST", self.path_for(t), host, body=body, headers=headers)

    def done(self, status, body):
        return status == 200 and b'"ok":true' in body.replace(b" ", b"")


def open_papers(base, terminals):
    for t in terminals:
        headers = {"Cookie": t.cookie}
        requests.post(
            base + "/start", data={"csrf_token": t.token}, headers=headers, allow_redirects=False
        )
        page = requests.get(base + "/exam", headers=headers)
        paper = json.loads(PAPER.search(page.text).group(1))
        t.attempt_id, t.seq = paper["attempt_id"], paper["last_seq"]
        t.attempt_token = paper["token"]
        t.choices = [item["position"] for item in paper["items"] if len(item["options"]) >= 4]


def main() -> int:
    database_url = postgres_url()
    workers = WORKERS or (multiprocessing.cpu_count() * 2 + 1 if database_url else 2)
    server = start_app(CANDIDATES, database_url=database_url, workers=workers)
    bare_url, bare = start_bare(workers)
    try:
        start_rooms(server)
        terminals = sign_in_all(server.url, server.logins["candidates"][:CANDIDATES])
        open_papers(server.url, terminals)

        def save_path(t):
            return f"/api/attempts/{t.attempt_id}/changes"

        def bare_path(_t):
            return "/bare"

        def load(url, path_for, seconds):
            clients = [SaveClient(t, path_for) for t in terminals]
            return asyncio.run(run_clients(url, clients, seconds))

        load(server.url, save_path, 1.5)  # warm both
        load(bare_url, bare_path, 1.5)
        # Alternate short rounds, so a drift of the machine's speed hits both alike.
        saves, bares = {"ok": 0, "errors": 0, "latencies": []}, {"ok": 0}
        for _round in range(ROUNDS):
            for totals, url, path_for in (
                (saves, server.url, save_path),
                (bares, bare_url, bare_path),
            ):
                stats = load(url, path_for, SECONDS / ROUNDS)
                for key in totals:
                    totals[key] += stats[key]
    finally:
        server.stop()
        stop_process(bare)
    save_rate, bare_rate = saves["ok"] / SECONDS, bares["ok"] / SECONDS
    ratio = save_rate / bare_rate if bare_rate else 0.0
    database = "postgresql" if database_url else "sqlite"
    p99_ms = percentile(saves["latencies"], 0.99) * 1000
    print(
        f"# autosave: {save_rate:.0f} saves/s (p99 {p99_ms:.0f} ms, "
        f"{saves['errors']} errors) vs bare {bare_rate:.0f} req/s; {workers} workers, "
        f"{CANDIDATES} connections, {database}",
        flush=True,
    )
    line("autosave_ratio", ratio, BUDGET, ratio >= BUDGET and saves["errors"] == 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
