"""Normalise answer texts for comparison (Vietnamese-aware)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# "đ" carries no combining mark, so decomposition alone does not strip it.
_STROKE_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


@lru_cache(maxsize=65536)
def normalize_answer(text: str, match: str) -> str:
    """Return the comparison form of a text under a match mode; NFC is applied first."""
    text = unicodedata.normalize("NFC", text)
    if match == "exact":
        return text
    text = " ".join(text.split()).casefold()
    if match == "ignore_case":
        return text
    if match == "ignore_accents":
        decomposed = unicodedata.normalize("NFD", text.translate(_STROKE_LETTERS))
        bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return unicodedata.normalize("NFC", bare)
    raise ValueError(f"unknown match mode {match!r}")
