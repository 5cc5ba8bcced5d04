"""Incident records: reported once, amended with a reason, never deleted; history kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Candidate, RoomSession, User
from exam_server.models.proctor import INCIDENT_KINDS, SANCTION_KINDS, Incident, IncidentVersion
from exam_server.text import nfc
from proctor_console.errors import ConsoleRefused

# An incident may be written down a little after it happened, never before.
CLOCK_SLACK = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class IncidentData:
    occurred_at: dt.datetime
    kind: str
    candidate_ids: tuple[int, ...]
    sanction: str | None
    description: str
    action_taken: str
    staff: str


def _clean(session: Session, room: RoomSession, data: IncidentData, now: dt.datetime) -> dict:
    if data.kind not in INCIDENT_KINDS:
        raise ConsoleRefused(_l("Choose the kind of incident."))
    if data.sanction and data.sanction not in SANCTION_KINDS:
        raise ConsoleRefused(_l("Unknown sanction."))
    description = nfc(data.description.strip())
    if not description:
        raise ConsoleRefused(_l("Describe what happened."))
    if data.occurred_at > now + CLOCK_SLACK:
        raise ConsoleRefused(_l("The time of the incident cannot be in the future."))
    ids = sorted(set(data.candidate_ids))
    if ids:
        in_room = set(
            session.scalars(
                select(Candidate.id).where(
                    Candidate.id.in_(ids), Candidate.room_session_id == room.id
                )
            )
        )
        if in_room != set(ids):
            raise ConsoleRefused(_l("Only candidates of this room can be named."))
    return {
        "occurred_at": data.occurred_at,
        "kind": data.kind,
        "candidate_ids": ids,
        "sanction": data.sanction or None,
        "description": description,
        "action_taken": nfc(data.action_taken.strip()),
        "staff": nfc(data.staff.strip()),
    }


def report_incident(
    session: Session, room: RoomSession, data: IncidentData, actor: User, now: dt.datetime
) -> Incident:
    """Record a new incident in the room (its first version)."""
    fields = _clean(session, room, data, now)
    incident = Incident(
        room_session_id=room.id, reported_by_id=actor.id, reported_at=now, version_count=1
    )
    session.add(incident)
    session.flush()
    session.add(
        IncidentVersion(
            incident_id=incident.id, version_no=1, edited_by_id=actor.id, edited_at=now, **fields
        )
    )
    _audit(session, incident, 1, fields["candidate_ids"], actor, now, "incident_reported", None)
    return incident


def amend_incident(
    session: Session,
    incident: Incident,
    data: IncidentData,
    reason: str,
    actor: User,
    now: dt.datetime,
) -> IncidentVersion:
    """Add a new version of the incident; earlier versions stay as they were."""
    reason = nfc((reason or "").strip())
    if not reason:
        raise ConsoleRefused(_l("Say why the record is amended."))
    room = session.get(RoomSession, incident.room_session_id)
    fields = _clean(session, room, data, now)
    incident.version_count += 1
    version = IncidentVersion(
        incident_id=incident.id,
        version_no=incident.version_count,
        amendment_reason=reason,
        edited_by_id=actor.id,
        edited_at=now,
        **fields,
    )
    session.add(version)
    session.flush()
    _audit(
        session,
        incident,
        version.version_no,
        fields["candidate_ids"],
        actor,
        now,
        "incident_amended",
        reason,
    )
    return version


def _audit(session, incident, version_no, candidate_ids, actor, now, action, reason) -> None:
    details = {"incident": incident.id, "version": version_no}
    if reason:
        details["reason"] = reason
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action=action,
        target_type="room_session",
        target_id=incident.room_session_id,
        details=details,
    )
    # Each candidate named sees the record in their own timeline too.
    for candidate_id in candidate_ids:
        audit.record(
            session,
            at=now,
            actor_kind="user",
            actor_id=actor.id,
            action=action,
            target_type="candidate",
            target_id=candidate_id,
            details=details,
        )


def versions_of(session: Session, incident_ids: list[int]) -> dict[int, list[IncidentVersion]]:
    """Return every version of the given incidents, oldest first."""
    found: dict[int, list[IncidentVersion]] = {incident_id: [] for incident_id in incident_ids}
    if not incident_ids:
        return found
    for version in session.scalars(
        select(IncidentVersion)
        .where(IncidentVersion.incident_id.in_(incident_ids))
        .order_by(IncidentVersion.incident_id, IncidentVersion.version_no)
    ):
        found[version.incident_id].append(version)
    return found


def room_incidents(session: Session, room: RoomSession) -> list[tuple[Incident, IncidentVersion]]:
    """Return the room's incidents with their current version, in order of occurrence."""
    incidents = list(
        session.scalars(
            select(Incident).where(Incident.room_session_id == room.id).order_by(Incident.id)
        )
    )
    versions = versions_of(session, [incident.id for incident in incidents])
    rows = [(incident, versions[incident.id][-1]) for incident in incidents]
    return sorted(rows, key=lambda row: (row[1].occurred_at, row[0].id))
