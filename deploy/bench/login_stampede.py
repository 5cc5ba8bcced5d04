"""login_stampede_s: 500 candidates sign in at once with the production bcrypt cost.

Budget (DESIGN.md): all 500 within 60 s. Every candidate must get in (no throttling of a
room of identical clients). The figure is the seconds from the first request to the last
successful sign-in.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from _harness import line, postgres_url, sign_in, start_app

CANDIDATES = 500
BUDGET = 60.0
PRODUCTION_CODE_COST = 8  # EXAM_BCRYPT_ROUNDS_CANDIDATE default


def main() -> int:
    database_url = postgres_url()
    server = start_app(CANDIDATES, database_url=database_url, code_rounds=PRODUCTION_CODE_COST)
    failures = 0
    try:
        logins = server.logins["candidates"][:CANDIDATES]
        started = time.perf_counter()

        def attempt(pair):
            try:
                sign_in(server.url, *pair)
                return True
            except Exception:
                return False

        with ThreadPoolExecutor(64) as pool:
            results = list(pool.map(attempt, logins))
        elapsed = time.perf_counter() - started
        failures = results.count(False)
    finally:
        server.stop()
    print(
        f"# login stampede: {CANDIDATES - failures}/{CANDIDATES} signed in, bcrypt cost "
        f"{PRODUCTION_CODE_COST}, {'postgresql' if database_url else 'sqlite'}",
        flush=True,
    )
    line("login_stampede_s", elapsed, BUDGET, elapsed < BUDGET and failures == 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
