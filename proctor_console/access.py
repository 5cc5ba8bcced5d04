"""Who may do what in a room: the staff member's role in that room decides.

Head proctors, proctors and technicians act only in the rooms and shifts they are assigned
to (RoomStaff). The supervision board and the council watch every room read-only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models import RoomSession, User
from exam_server.models.exams import RoomStaff

ROOM_STAFF_ROLES = ("head_proctor", "proctor", "technician")
WATCH_ONLY_ROLES = ("supervisor", "council_chair", "council_member")
CONSOLE_ROLES = ("admin", *ROOM_STAFF_ROLES, *WATCH_ONLY_ROLES)

# Until every room has its staff assigned, a room with nobody assigned stays open to all room
# staff (the demo and rooms set up before assignments existed). Set False to be strict.
UNSTAFFED_ROOMS_OPEN_TO_ROOM_STAFF = False

CAPABILITIES: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "view",
            "checkin",
            "open_envelope",
            "start",
            "pause",
            "resume",
            "close",
            "move",
            "incident",
            "sanction",
            "stopping_sanction",
            "retake",
            "extension",
            "signatures",
        }
    ),
    "head_proctor": frozenset(
        {
            "view",
            "checkin",
            "open_envelope",
            "start",
            "pause",
            "resume",
            "close",
            "move",
            "incident",
            "sanction",
            "stopping_sanction",
            "retake",
            "extension",
            "signatures",
        }
    ),
    "proctor": frozenset(
        {"view", "checkin", "pause", "resume", "move", "incident", "sanction", "signatures"}
    ),
    # Technicians run the terminals and print; they never see questions or keys (no page
    # of the console shows either).
    "technician": frozenset({"view", "move"}),
    "watch": frozenset({"view"}),
}


def room_role(session: Session, user: User, room: RoomSession) -> str | None:
    """Return the user's role in this room ("admin", a room role, "watch"), or None."""
    if user.role == "admin":
        return "admin"
    if user.role in WATCH_ONLY_ROLES:
        return "watch"
    if user.role not in ROOM_STAFF_ROLES:
        return None
    rows = session.execute(
        select(RoomStaff.user_id, RoomStaff.role).where(RoomStaff.room_session_id == room.id)
    ).all()
    for user_id, role in rows:
        if user_id == user.id:
            return role
    if not rows and UNSTAFFED_ROOMS_OPEN_TO_ROOM_STAFF:
        return user.role
    return None


def can(role: str | None, capability: str) -> bool:
    return role is not None and capability in CAPABILITIES.get(role, frozenset())
