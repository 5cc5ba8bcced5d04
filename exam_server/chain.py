"""The per-attempt hash chain over answer events (DESIGN.md, delivery protocol)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64

# What json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds each
# call, built once: every answer save hashes an event.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


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
        "at": utc_stamp(at),
    }
    return _CANONICAL_JSON(body)


def utc_stamp(at: dt.datetime) -> str:
    """`at` in UTC as 2026-11-26T08:30:00.000000Z (what strftime("%Y-%m-%dT%H:%M:%S.%fZ") gives).

    isoformat is several times faster than strftime; with the zone fixed to UTC its only
    difference is the "+00:00" suffix.
    """
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def link(prev_hash: str, canonical: str) -> str:
    """Return the hash of an event that follows `prev_hash`."""
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def receipt_code(final_hash: str) -> str:
    """Shorten a final hash for the printed slip: 4 groups of 4 hex digits."""
    short = final_hash[:16].upper()
    return "-".join(short[i : i + 4] for i in range(0, 16, 4))
