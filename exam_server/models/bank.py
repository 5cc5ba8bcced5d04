"""Subjects, topics, items and their immutable-once-used versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.db import Base, UTCDateTime

SUBJECT_KINDS = ("foreign_language", "it", "specialized", "administrative")
ITEM_STATUSES = ("draft", "in_review", "approved", "retired")


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("subject_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"))
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))


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


class ItemVersion(Base):
    """One immutable revision of an item: its type, stem and key.

    `content` holds {"options": [{"id", "text", "fraction", "pinned"}],
    "blanks": [{"answers": [{"text", "fraction"}], "match"}]} — the key lives here,
    so this never leaves the server as it is.
    """

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version_no: Mapped[int] = mapped_column()
    item_type: Mapped[str] = mapped_column(String(32))
    stem: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    item: Mapped[Item] = relationship(back_populates="versions")
