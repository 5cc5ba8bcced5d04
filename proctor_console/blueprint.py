"""The console's blueprint and the access guards its views stack."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from exam_server.auth import staff_required
from exam_server.db import get_session
from exam_server.models import Candidate, RoomSession
from exam_server.models.proctor import Incident
from proctor_console import labels
from proctor_console.access import CONSOLE_ROLES, can, room_role
from proctor_console.services import TRANSITIONS

bp = Blueprint(
    "proctor",
    __name__,
    url_prefix="/proctor",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.app_context_processor
def _console_helpers() -> dict[str, Any]:
    return {
        "proctor_can": lambda capability: can(g.get("room_role"), capability),
        "console_can": can,
        "room_action_allowed": lambda room, action: room.state in TRANSITIONS[action][0],
        "console_labels": labels,
        "console_state_labels": lambda: {k: str(v) for k, v in labels.GRID_STATES.items()},
    }


def _enter_room(room: RoomSession, capability: str) -> None:
    role = room_role(get_session(), current_user, room)
    if role is None:
        abort(404)  # not this user's room or shift: do not even confirm it exists
    if not can(role, capability):
        abort(403)
    g.room, g.room_role = room, role


def room_view(capability: str) -> Callable:
    """Load the room from `room_id`, check the user's role in it, pass it as `room`."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(room_id: int, **kwargs: Any) -> Any:
            room = get_session().get(RoomSession, room_id) or abort(404)
            _enter_room(room, capability)
            return view(room=room, **kwargs)

        return staff_required(*CONSOLE_ROLES)(wrapped)

    return decorator


def candidate_view(capability: str) -> Callable:
    """Load the candidate from `candidate_id` and check the user's role in their room."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(candidate_id: int, **kwargs: Any) -> Any:
            candidate = get_session().get(Candidate, candidate_id) or abort(404)
            if candidate.room_session is None:
                abort(404)
            _enter_room(candidate.room_session, capability)
            return view(candidate=candidate, **kwargs)

        return staff_required(*CONSOLE_ROLES)(wrapped)

    return decorator


def incident_view(capability: str) -> Callable:
    """Load the incident from `incident_id` and check the user's role in its room."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(incident_id: int, **kwargs: Any) -> Any:
            db = get_session()
            incident = db.get(Incident, incident_id) or abort(404)
            _enter_room(db.get(RoomSession, incident.room_session_id), capability)
            return view(incident=incident, **kwargs)

        return staff_required(*CONSOLE_ROLES)(wrapped)

    return decorator


def back_or(endpoint: str, **values: Any):
    """Redirect to the console page the form came from (its `next` field), else `endpoint`.

    The referrer is not sent (Referrer-Policy: no-referrer), so forms name their page; only
    a path inside the console is followed.
    """
    target = request.form.get("next", "")
    if target.startswith(bp.url_prefix + "/") and "//" not in target and "\\" not in target:
        return redirect(target)
    return redirect(url_for(endpoint, **values))


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_utc(local: dt.datetime | None) -> dt.datetime | None:
    """Turn a time typed in the exam's zone (a datetime-local field) into UTC."""
    if local is None:
        return None
    return local.replace(tzinfo=local_zone()).astimezone(dt.UTC)


def to_local_naive(value: dt.datetime) -> dt.datetime:
    """Show a UTC time in a datetime-local field."""
    return value.astimezone(local_zone()).replace(tzinfo=None, second=0, microsecond=0)
