"""Values shared by several formats: difficulty, categories, letters, metadata tags.

Metadata tags
-------------
Moodle XML and GIFT have no field for difficulty, source, answer matching or
pinned options, so they travel as tags with a prefix, which Moodle keeps as
ordinary tags. On import these tags are consumed (not kept in record.tags):

    difficulty:2   (also do_kho:2; values 1/2/3 or easy/medium/hard, de/trung binh/kho)
    source:TEXT    (also nguon:TEXT)
    match:exact    (also kieu_so_khop:...; exact, ignore_case, ignore_accents)
    pinned:A,C     (also co_dinh:...; letters of options that never move)
    media:NAME     (a media file not referenced from the text)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import messages as msg
from .errors import Problem
from .html_text import clean_plain
from .records import MATCH_MODES, OPTION_LETTERS

_DIFFICULTY_WORDS = {
    "1": 1, "de": 1, "easy": 1, "e": 1, "nhan_biet": 1,
    "2": 2, "trung_binh": 2, "tb": 2, "medium": 2, "m": 2, "vua": 2, "thong_hieu": 2,
    "3": 3, "kho": 3, "hard": 3, "h": 3, "difficult": 3, "van_dung": 3,
}  # fmt: skip
_MATCH_WORDS = {
    "exact": "exact", "chinh_xac": "exact", "case_sensitive": "exact",
    "ignore_case": "ignore_case", "khong_phan_biet_hoa_thuong": "ignore_case",
    "ignore_accents": "ignore_accents", "khong_dau": "ignore_accents",
    "bo_dau": "ignore_accents", "khong_phan_biet_dau": "ignore_accents",
}  # fmt: skip
_META_PREFIXES = {
    "difficulty": "difficulty", "do_kho": "difficulty",
    "source": "source", "nguon": "source",
    "match": "match", "kieu_so_khop": "match",
    "pinned": "pinned", "co_dinh": "pinned",
    "media": "media",
}  # fmt: skip
_SEPARATORS = re.compile(r"[\s_\-./]+")
_LETTER_SPLIT = re.compile(r"[\s,;+&]+")


def fold(value: object) -> str:
    """Return value lower-cased without Vietnamese accents, words joined by "_"."""
    text = unicodedata.normalize("NFD", str(value).strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "d")
    return _SEPARATORS.sub("_", text).strip("_")


def parse_difficulty(value: object) -> int | None:
    """Return 1, 2, 3 or None (empty); raise ProblemValue if not understood."""
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    found = _DIFFICULTY_WORDS.get(fold(value))
    if found is None:
        raise ProblemValue(Problem("difficulty", msg.DIFFICULTY_INVALID, {"value": str(value)}))
    return found


def parse_match(value: object) -> str | None:
    """Return a match mode or None (empty); raise ProblemValue if not understood."""
    if value is None or str(value).strip() == "":
        return None
    found = _MATCH_WORDS.get(fold(value))
    if found is None or found not in MATCH_MODES:
        raise ProblemValue(Problem("match", msg.MATCH_INVALID, {"value": str(value)}))
    return found


def parse_letters(value: object, field_name: str) -> list[int]:
    """Return 0-based option indexes from "B", "A, C", "AC"; raise ProblemValue."""
    text = clean_plain(str(value or "")).upper()
    if not text:
        return []
    parts = [part for part in _LETTER_SPLIT.split(text) if part]
    if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha():
        parts = list(parts[0])
    indexes: list[int] = []
    for part in parts:
        if len(part) != 1 or part not in OPTION_LETTERS:
            raise ProblemValue(Problem(field_name, msg.LETTERS_INVALID, {"value": str(value)}))
        index = OPTION_LETTERS.index(part)
        if index not in indexes:
            indexes.append(index)
    return sorted(indexes)


def format_letters(indexes: list[int]) -> str:
    """Return "A,C" for [0, 2]."""
    return ",".join(OPTION_LETTERS[index] for index in indexes)


def normalise_category(path: str | None) -> str | None:
    """Return "A/B" from "$course$/top/A/B", "top/A/B" or " A / B "; None if empty."""
    text = clean_plain(path)
    if not text:
        return None
    text = text.replace("//", "\x00")  # Moodle escapes "/" inside a name as "//".
    segments = [segment.strip().replace("\x00", "/") for segment in text.split("/")]
    if segments and re.fullmatch(r"\$[a-z0-9]+\$", segments[0]):
        segments = segments[1:]
    if segments and segments[0].lower() == "top":
        segments = segments[1:]
    segments = [segment for segment in segments if segment]
    return "/".join(segments) or None


def moodle_category(path: str | None) -> str:
    """Return the Moodle category path for a record category."""
    return "$course$/top" + (f"/{path}" if path else "")


class ProblemValue(Exception):
    """A value could not be understood; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message_id)
        self.problem = problem


@dataclass
class Metadata:
    """Metadata read from tags; None/empty where absent."""

    tags: list[str] = field(default_factory=list)
    difficulty: int | None = None
    source: str | None = None
    match: str | None = None
    pinned: list[int] | None = None
    media: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_metadata_tags(tags: list[str]) -> Metadata:
    """Split tags into plain tags and the metadata tags described above."""
    meta = Metadata()
    for raw in tags:
        tag = clean_plain(raw)
        if not tag:
            continue
        prefix, sep, value = tag.partition(":")
        kind = _META_PREFIXES.get(fold(prefix)) if sep else None
        value = value.strip()
        try:
            if kind == "difficulty":
                meta.difficulty = parse_difficulty(value)
            elif kind == "source":
                meta.source = value or None
            elif kind == "match":
                meta.match = parse_match(value)
            elif kind == "pinned":
                meta.pinned = parse_letters(value, "tags")
            elif kind == "media":
                meta.media.append(value)
            elif tag not in meta.tags:
                meta.tags.append(tag)
        except ProblemValue as exc:
            meta.problems.append(exc.problem)
    return meta


def write_metadata_tags(
    *,
    difficulty: int | None,
    source: str | None,
    match: str | None,
    pinned: list[int] | None,
    media: list[str],
) -> list[str]:
    """Return the metadata tags for the given values (omitting empty ones)."""
    tags: list[str] = []
    if difficulty is not None:
        tags.append(f"difficulty:{difficulty}")
    if source:
        tags.append(f"source:{source}")
    if match:
        tags.append(f"match:{match}")
    if pinned:
        tags.append(f"pinned:{format_letters(pinned)}")
    tags += [f"media:{name}" for name in media]
    return tags


# In a tags cell, \, and \; are a comma and a semicolon inside a tag and \\ is a
# backslash; any other backslash is an ordinary character (so "C\C++" needs no escape).
_TAG_TOKEN = re.compile(r"\\[\\,;]|[,;\n]")


def split_tags(value: object) -> list[str]:
    """Return the tags of a comma- or semicolon-separated cell, unique, in order.

    A comma or semicolon inside a tag is written "\\," or "\\;" (see join_tags).
    """
    tags: list[str] = []
    current: list[str] = []
    text = clean_plain(str(value or ""))
    position = 0
    for token in _TAG_TOKEN.finditer(text):
        current.append(text[position : token.start()])
        position = token.end()
        if token.group().startswith("\\"):
            current.append(token.group()[1])
        else:
            _add_tag(tags, "".join(current))
            current = []
    current.append(text[position:])
    _add_tag(tags, "".join(current))
    return tags


def _add_tag(tags: list[str], part: str) -> None:
    tag = part.strip()
    if tag and tag not in tags:
        tags.append(tag)


def join_tags(tags: Sequence[str]) -> str:
    """Return tags as one cell that split_tags() reads back, separators inside escaped."""
    return ", ".join(re.sub(r"([\\,;])", r"\\\1", tag) for tag in tags)
