"""The record of every staff view, export and print of bank content (it is secret)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models.bank import ACCESS_ACTIONS, BankAccess


def log_access(
    session: Session,
    *,
    user_id: int | None,
    action: str,
    now: dt.datetime,
    item_ids: Iterable[int] = (),
    subject_id: int | None = None,
    details: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> BankAccess:
    """Add one access row (the caller commits it with the response)."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"unknown bank access action {action!r}")
    entry = BankAccess(
        at=now,
        user_id=user_id,
        action=action,
        subject_id=subject_id,
        item_ids=sorted(set(item_ids)),
        details=details or {},
        remote_addr=remote_addr,
    )
    session.add(entry)
    return entry


def recent_access(
    session: Session, *, limit: int = 200, item_id: int | None = None
) -> list[BankAccess]:
    """Return the latest access rows, newest first (optionally those naming one item)."""
    query = select(BankAccess).order_by(BankAccess.at.desc(), BankAccess.id.desc())
    if item_id is None:
        return list(session.scalars(query.limit(limit)))
    # JSON containment differs per database; filter the recent window in Python instead.
    rows = session.scalars(query.limit(limit * 20))
    return [row for row in rows if item_id in (row.item_ids or [])][:limit]
