"""The server-owned exam clock: deadlines from the schedule, pauses and extensions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ClockState:
    """What an attempt's deadline depends on; all times timezone-aware UTC."""

    deadline_base_at: dt.datetime
    room_paused_seconds: int
    room_paused_at: dt.datetime | None
    paused_seconds_at_start: int
    extension_seconds: int


def deadline(state: ClockState, now: dt.datetime) -> dt.datetime:
    """Return the deadline: base + pauses since the attempt began + a recorded extension.

    While the room is paused the deadline moves with `now`, so time left stays frozen.
    """
    paused = state.room_paused_seconds - state.paused_seconds_at_start
    if state.room_paused_at is not None:
        paused += max(0.0, (now - state.room_paused_at).total_seconds())
    return state.deadline_base_at + dt.timedelta(seconds=paused + state.extension_seconds)


def seconds_left(state: ClockState, now: dt.datetime) -> int:
    """Return whole seconds left, never negative (rounded down: never promise extra time)."""
    return max(0, int((deadline(state, now) - now).total_seconds()))


def scheduled_window_end(
    shift_start: dt.datetime, durations_minutes: list[int], part_index: int
) -> dt.datetime:
    """Return the end of part `part_index` when the parts run back to back from the start."""
    minutes = sum(durations_minutes[: part_index + 1])
    return shift_start + dt.timedelta(minutes=minutes)
