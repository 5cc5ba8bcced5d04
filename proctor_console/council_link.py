"""The room's records that change results, handed to the council as decisions to confirm.

Sanctions, a result list left unsigned and time extensions are minuted in the room; the
chair confirms them in the council's pages (a proctor-sourced Decision waits unconfirmed and
changes no figure until then). `record_ref` points back to the room's record.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models import User
from exam_server.models.council import Decision
from exam_server.models.proctor import Sanction, TimeExtension
from proctor_console.errors import ConsoleRefused

SOURCE = "proctor"


def _decision(
    *,
    exam_id: int,
    kind: str,
    candidate_id: int,
    part_id: int | None,
    value: dict,
    reason: str,
    record_ref: str,
    actor: User,
    now: dt.datetime,
) -> Decision:
    return Decision(
        exam_id=exam_id,
        kind=kind,
        candidate_id=candidate_id,
        part_id=part_id,
        value=value,
        reason=reason,
        record_ref=record_ref[:100],
        source=SOURCE,
        decided_by_id=actor.id,
        decided_at=now,
    )


def sanction_decision(
    session: Session, sanction: Sanction, exam_id: int, part_id: int | None, actor, now
) -> Decision:
    """A reprimand or warning weighs on the part it happened in; the others on every part."""
    decision = _decision(
        exam_id=exam_id,
        kind="sanction",
        candidate_id=sanction.candidate_id,
        part_id=part_id if sanction.kind in ("reprimand", "warning") else None,
        value={"sanction": sanction.kind},
        reason=sanction.reason,
        record_ref=f"proctor_sanction:{sanction.id}",
        actor=actor,
        now=now,
    )
    session.add(decision)
    return decision


def extension_decision(
    session: Session,
    extension: TimeExtension,
    exam_id: int,
    candidate_id: int,
    part_id: int,
    actor,
    now,
) -> Decision:
    decision = _decision(
        exam_id=exam_id,
        kind="extension",
        candidate_id=candidate_id,
        part_id=part_id,
        value={"minutes": extension.seconds // 60},
        reason=extension.reason,
        record_ref=f"proctor_extension:{extension.id}",
        actor=actor,
        now=now,
    )
    session.add(decision)
    return decision


def unsigned_ref(room_session_id: int) -> str:
    return f"proctor_result_list:{room_session_id}"


def set_unsigned(
    session: Session,
    *,
    exam_id: int,
    room_session_id: int,
    candidate_id: int,
    part_ids: list[int],
    unsigned: bool,
    reason: str,
    actor: User,
    now: dt.datetime,
) -> None:
    """Keep one open "unsigned" decision per part the candidate sat while they have not signed;
    withdraw the open ones when the record is corrected (refused once the chair confirmed)."""
    open_ones = list(
        session.scalars(
            select(Decision).where(
                Decision.kind == "unsigned",
                Decision.candidate_id == candidate_id,
                Decision.record_ref == unsigned_ref(room_session_id),
                Decision.revoked_at.is_(None),
            )
        )
    )
    if unsigned:
        have = {d.part_id for d in open_ones}
        for part_id in part_ids:
            if part_id not in have:
                session.add(
                    _decision(
                        exam_id=exam_id,
                        kind="unsigned",
                        candidate_id=candidate_id,
                        part_id=part_id,
                        value={},
                        reason=reason,
                        record_ref=unsigned_ref(room_session_id),
                        actor=actor,
                        now=now,
                    )
                )
        return
    if any(d.confirmed_at is not None for d in open_ones):
        raise ConsoleRefused(
            _l(
                "The chair has already confirmed that this candidate did not sign; "
                "ask the council to revoke that decision."
            )
        )
    for decision in open_ones:
        decision.revoked_by_id = actor.id
        decision.revoked_at = now
        decision.revoke_reason = str(
            _l("Corrected in the room: the candidate signed the result list.")
        )
