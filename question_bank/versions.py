"""Item versions: the latest one, where versions are used, and a readable history diff."""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server.models import FormItem, Item, ItemVersion, User
from question_bank.formats import FILL_BLANK
from question_bank.item_types import type_label

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def latest_subquery():
    """Select (item_id, version_no) of every item's newest version (what forms draw)."""
    return (
        select(ItemVersion.item_id, func.max(ItemVersion.version_no).label("version_no"))
        .group_by(ItemVersion.item_id)
        .subquery()
    )


def latest_version(session: Session, item_id: int) -> ItemVersion | None:
    return session.scalar(
        select(ItemVersion)
        .where(ItemVersion.item_id == item_id)
        .order_by(ItemVersion.version_no.desc())
        .limit(1)
    )


def latest_versions(session: Session, item_ids: Iterable[int]) -> dict[int, ItemVersion]:
    """Return {item id: newest version} for many items in one query."""
    ids = list(item_ids)
    if not ids:
        return {}
    latest = latest_subquery()
    rows = session.scalars(
        select(ItemVersion)
        .join(
            latest,
            (latest.c.item_id == ItemVersion.item_id)
            & (latest.c.version_no == ItemVersion.version_no),
        )
        .where(ItemVersion.item_id.in_(ids))
    )
    return {version.item_id: version for version in rows}


def form_use_counts(session: Session, version_ids: Iterable[int]) -> dict[int, int]:
    """Return how many stored form positions use each version (used versions are frozen)."""
    ids = list(version_ids)
    if not ids:
        return {}
    return dict(
        session.execute(
            select(FormItem.item_version_id, func.count(FormItem.id))
            .where(FormItem.item_version_id.in_(ids))
            .group_by(FormItem.item_version_id)
        ).all()
    )


def readable_lines(version: ItemVersion, gettext: Callable[[str], str]) -> list[str]:
    """Return a version as plain lines a reviewer can compare: type, stem, options, key."""
    # Looked up outside the f-strings so that Babel extracts them.
    type_word, question_word, pinned_word = gettext("Type"), gettext("Question"), gettext("pinned")
    blank_word, file_word = gettext("Blank"), gettext("File")
    lines = [f"{type_word}: {type_label(version.item_type)}"]
    lines += [f"{question_word}: {line}" for line in _plain_lines(version.stem)]
    for index, option in enumerate(version.content.get("options", [])):
        letter = LETTERS[index] if index < len(LETTERS) else str(index + 1)
        marks = f"[{option.get('fraction', 0) * 100:g}%]"
        if option.get("pinned"):
            marks += f" [{pinned_word}]"
        lines.append(f"{letter}. {marks} {' '.join(_plain_lines(option.get('text', '')))}")
    if version.item_type == FILL_BLANK:
        for number, blank in enumerate(version.content.get("blanks", []), start=1):
            answers = " | ".join(
                f"{a['text']} ({a.get('fraction', 1) * 100:g}%)" for a in blank.get("answers", [])
            )
            lines.append(f"{blank_word} {number} [{blank.get('match')}]: {answers}")
    for entry in version.content.get("media", []):
        lines.append(f"{file_word}: {entry.get('name') or entry.get('sha256')}")
    return lines


def _plain_lines(fragment: str) -> list[str]:
    text = re.sub(r"<br\s*/?>|</p>|</li>|</tr>", "\n", fragment)
    text = re.sub(r'<img\b[^>]*?src="([^"]*)"[^>]*>', r"[image \1]", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return [line.strip() for line in text.split("\n") if line.strip()] or [""]


@dataclass(frozen=True)
class DiffLine:
    kind: str  # same | added | removed
    text: str


@dataclass(frozen=True)
class VersionEntry:
    version: ItemVersion
    author: User | None
    used_by_forms: int
    diff: list[DiffLine]  # against the previous version (all "added" for the first)


def history(session: Session, item: Item, gettext: Callable[[str], str]) -> list[VersionEntry]:
    """Return the item's versions, newest first, each with its diff to the one before."""
    versions = list(
        session.scalars(
            select(ItemVersion)
            .where(ItemVersion.item_id == item.id)
            .order_by(ItemVersion.version_no)
        )
    )
    uses = form_use_counts(session, (v.id for v in versions))
    authors = {
        user.id: user
        for user in session.scalars(
            select(User).where(User.id.in_({v.created_by_id for v in versions} - {None}))
        )
    }
    entries = []
    previous: list[str] = []
    for version in versions:
        current = readable_lines(version, gettext)
        entries.append(
            VersionEntry(
                version,
                authors.get(version.created_by_id),
                uses.get(version.id, 0),
                diff_lines(previous, current),
            )
        )
        previous = current
    return list(reversed(entries))


def diff_lines(before: list[str], after: list[str]) -> list[DiffLine]:
    """Return a line diff (difflib) keeping unchanged lines for context."""
    result = []
    for line in difflib.ndiff(before, after):
        code, text = line[:2], line[2:]
        if code == "  ":
            result.append(DiffLine("same", text))
        elif code == "+ ":
            result.append(DiffLine("added", text))
        elif code == "- ":
            result.append(DiffLine("removed", text))
    return result
