"""The per-attempt hash chain over answer events (DESIGN.md, delivery protocol)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical_event(
    attempt_id: int,
    ordinal: int,
    kind: str,
    client_seq: int | None,
    position: int | None,
    payload: Any,
    at: dt.datetime,
) -> str:
    """Return the canonical JSON form of an event: sorted keys, no spaces, UTC microseconds."""
    body = {
        "attempt": attempt_id,
        "ordinal": ordinal,
        "kind": kind,
        "seq": client_seq,
        "position": position,
        "payload": payload,
        "at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link(prev_hash: str, canonical: str) -> str:
    """Return the hash of an event that follows `prev_hash`."""
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def receipt_code(final_hash: str) -> str:
    """Shorten a final hash for the printed slip: 4 groups of 4 hex digits."""
    short = final_hash[:16].upper()
    return "-".join(short[i : i + 4] for i in range(0, 16, 4))
