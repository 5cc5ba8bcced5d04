"""Reading and writing credit values (fractions and percentages)."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")


def format_percent(fraction: float) -> str:
    """Return a fraction as a percentage number: 0.5 -> "50", 1/3 -> "33.33333"."""
    value = round(fraction * 100, 5) + 0.0
    return str(int(value)) if value.is_integer() else repr(value)


def parse_fraction(text: str) -> float | None:
    """Return the fraction in "50%", "0.5", "0,5", "-1" or "1/3"; None if not a number."""
    value = text.strip().replace(" ", "")
    if not value:
        return None
    scale = 1.0
    if value.endswith("%"):
        value, scale = value[:-1], 0.01
    if "/" in value and scale == 1.0:
        numerator, _, denominator = value.partition("/")
        top, bottom = parse_fraction(numerator), parse_fraction(denominator)
        if top is None or not bottom:
            return None
        return top / bottom
    if not _NUMBER.match(value):
        return None
    return float(value.replace(",", ".")) * scale
