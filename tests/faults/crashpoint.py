"""Run an examctl command that freezes at a chosen point of its database work, so that a test
can kill -9 it exactly there (a crash in the middle of writing, not before or after).

    python -m tests.faults.crashpoint MARKER WHEN COUNT -- examctl arguments…

WHEN is "COMMIT" (just before the transaction commits, everything written) or the start of
an SQL statement such as "INSERT INTO form_items" (after the COUNT-th such statement ran).
The process writes MARKER when it freezes, then sleeps until it is killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


def freeze(marker: Path) -> None:
    marker.write_text("frozen")
    while True:
        time.sleep(60)


def main(argv: list[str]) -> None:
    marker, when, count = Path(argv[0]), argv[1].upper(), int(argv[2])
    arguments = argv[argv.index("--") + 1 :]
    seen = 0

    @event.listens_for(Engine, "commit")
    def _before_commit(_connection) -> None:
        if when == "COMMIT":
            freeze(marker)

    @event.listens_for(Engine, "after_cursor_execute")
    def _after_statement(_connection, _cursor, statement, *_rest) -> None:
        nonlocal seen
        if when != "COMMIT" and " ".join(statement.split()).upper().startswith(when):
            seen += 1
            if seen >= count:
                freeze(marker)

    from exam_server.cli import main as examctl

    sys.argv = ["examctl", *arguments]
    examctl()


if __name__ == "__main__":
    main(sys.argv[1:])
