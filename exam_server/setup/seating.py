"""Seat geometry and the "too alike" rule for neighbours (pure)."""

from __future__ import annotations

import operator
from collections.abc import Sequence


def adjacent_seats(seat: int, seats_per_row: int) -> set[int]:
    """Return the seats touching `seat` (left, right, front, back and diagonals).

    Seats are numbered from 1, row by row; a row holds `seats_per_row` seats.
    """
    width = max(1, seats_per_row)
    row, col = divmod(seat - 1, width)
    found = set()
    for d_row in (-1, 0, 1):
        for d_col in (-1, 0, 1):
            r, c = row + d_row, col + d_col
            if (d_row or d_col) and r >= 0 and 0 <= c < width:
                found.add(r * width + c + 1)
    return found


def same_position_share(a: Sequence[int], b: Sequence[int]) -> float:
    """Return the share of positions at which two forms show the same item."""
    if not a or not b:
        return 0.0
    same = sum(map(operator.eq, a, b))
    return same / max(len(a), len(b))


def too_alike(
    a: Sequence[int],
    b: Sequence[int],
    overlap_max: float,
    *,
    pool_a: int | None = None,
    pool_b: int | None = None,
) -> bool:
    """Two forms may not sit side by side: the same pool form, or (nearly) the same order."""
    if pool_a is not None and pool_a == pool_b:
        return True
    if tuple(a) == tuple(b):
        return True
    return same_position_share(a, b) > overlap_max
