"""Round scores the way results are published."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float, places: int = 2) -> float:
    """Round half away from zero on the shortest decimal form of the float (2.675 -> 2.68)."""
    # str() gives the shortest repr, i.e. the decimal a person reads, not the binary expansion.
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def percent_half_up(part: float, whole: float, places: int = 2) -> float:
    """Return part / whole * 100 rounded half-up, computed in decimal; 0 when whole is 0."""
    if whole == 0:
        return 0.0
    quantum = Decimal(1).scaleb(-places)
    ratio = Decimal(str(part)) * 100 / Decimal(str(whole))
    return float(ratio.quantize(quantum, rounding=ROUND_HALF_UP))
