"""Stored forms: the exact items and option order one candidate gets in one part."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.db import Base, UTCDateTime


class Form(Base):
    __tablename__ = "forms"
    __table_args__ = (UniqueConstraint("candidate_id", "part_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("exam_parts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="main")  # main | spare
    seed: Mapped[int] = mapped_column(BigInteger)
    # Pool mode: which of the part's K parallel forms this is (same seed, same content).
    pool_index: Mapped[int | None] = mapped_column()
    # Digest of the approved pool the form was drawn from, so a re-check can tell a
    # changed bank from a changed form.
    pool_hash: Mapped[str | None] = mapped_column(String(64))
    # Items held back from this draw because they had reached the exposure limit; with the
    # seed and the pool they rebuild the form exactly.
    excluded_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    generated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    items: Mapped[list[FormItem]] = relationship(order_by="FormItem.position")


class FormItem(Base):
    __tablename__ = "form_items"
    __table_args__ = (UniqueConstraint("form_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No separate index on form_id: the unique (form_id, position) index serves those look-ups,
    # and one index less keeps storing a million form items fast.
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    position: Mapped[int] = mapped_column()  # 1-based, as shown to the candidate
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    option_order: Mapped[list[str]] = mapped_column(JSON)  # option ids in display order
    points: Mapped[float] = mapped_column(default=1.0)
