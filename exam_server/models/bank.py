"""Subjects, topics, items and their immutable versions; review, media and access records."""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.db import Base, UTCDateTime

SUBJECT_KINDS = ("foreign_language", "it", "specialized", "administrative")
ITEM_STATUSES = ("draft", "in_review", "approved", "retired")
# What a staff member did with bank content (the access log's `action`).
ACCESS_ACTIONS = ("list", "view", "preview", "history", "export", "print", "media")


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    # Labels of the difficulty levels 1..n; None means the default scale (easy, medium, hard).
    difficulty_levels: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("subject_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class ItemTag(Base):
    __tablename__ = "item_tags"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True, index=True)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    difficulty: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    # Item statistics written back by the scoring module (share 0..1), used to balance forms.
    facility: Mapped[float | None] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", order_by="ItemVersion.version_no"
    )
    tags: Mapped[list[Tag]] = relationship(secondary="item_tags", order_by="Tag.name")


class ItemVersion(Base):
    """One immutable revision of an item: its type, stem and key.

    `content` holds {"options": [{"id", "text", "fraction", "pinned"}],
    "blanks": [{"answers": [{"text", "fraction"}], "match"}]} (and optionally
    "media": [{"sha256", "name", "content_type"}] for audio/images not in the text) —
    the key lives here, so this never leaves the server as it is.
    Rows are never updated: an edit adds a new version (see the guard below).
    """

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version_no: Mapped[int] = mapped_column()
    item_type: Mapped[str] = mapped_column(String(32))
    stem: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Why this version was made (free text from the editor), shown in the history.
    change_note: Mapped[str | None] = mapped_column(String(500))
    # Lower-case text without accents or tags, for accent-insensitive search on any database.
    search_text: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    item: Mapped[Item] = relationship(back_populates="versions")


class ItemTransition(Base):
    """One review-workflow step of an item: who moved it, when, why."""

    __tablename__ = "item_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version_no: Mapped[int] = mapped_column()
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text)


class SubjectAssignment(Base):
    """A staff member (examiner or reviewer) allowed to work on one subject's bank."""

    __tablename__ = "subject_assignments"
    __table_args__ = (UniqueConstraint("subject_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class MediaFile(Base):
    """An image or audio file, stored once by the SHA-256 of its bytes."""

    __tablename__ = "media_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    original_name: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ItemVersionMedia(Base):
    """Which media a version shows: decides which candidates may fetch a file."""

    __tablename__ = "item_version_media"

    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(
        ForeignKey("media_files.sha256"), primary_key=True, index=True
    )


class BankAccess(Base):
    """One staff view, export or print of bank content (unused items and keys are secret)."""

    __tablename__ = "bank_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class VersionImmutableError(RuntimeError):
    """An attempt to change a stored item version (forms and attempts point at it)."""


_TAG = re.compile(r"<[^>]*>")
_STROKE_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


def fold_for_search(text: str) -> str:
    """Return text lower-cased, without Vietnamese accents, tags or repeated spaces."""
    plain = html.unescape(_TAG.sub(" ", text)).translate(_STROKE_LETTERS)
    decomposed = unicodedata.normalize("NFD", plain)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())


def version_search_text(stem: str, content: dict[str, Any]) -> str:
    """Return the folded text of a version: stem, options and accepted answers."""
    parts = [stem]
    parts += [option.get("text", "") for option in content.get("options", [])]
    parts += [
        answer.get("text", "")
        for blank in content.get("blanks", [])
        for answer in blank.get("answers", [])
    ]
    return fold_for_search(" \n ".join(parts))


@event.listens_for(ItemVersion, "before_insert")
def _fill_search_text(_mapper: Any, _connection: Any, version: ItemVersion) -> None:
    # Filled here so every writer (the bank, the demo seed, tests) keeps search working.
    if version.search_text is None:
        version.search_text = version_search_text(version.stem, version.content or {})


@event.listens_for(ItemVersion, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, version: ItemVersion) -> None:
    raise VersionImmutableError(
        f"item version {version.id} is immutable; add a new version instead"
    )
