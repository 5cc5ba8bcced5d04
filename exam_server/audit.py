"""Recording staff, candidate and system actions in the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from exam_server.models import AuditEntry


def record(
    session: Session,
    *,
    at: dt.datetime,
    actor_kind: str,
    actor_id: int | None,
    action: str,
    target_type: str | None = None,
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEntry:
    """Add one audit row to the session (the caller commits with the action itself)."""
    entry = AuditEntry(
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        remote_addr=remote_addr,
    )
    session.add(entry)
    return entry
