"""Translated labels for stored codes (statuses, states, roles), for templates."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

EXAM_STATUS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed"),
    "results_approved": _l("Results approved"),
    "archived": _l("Archived"),
}
ROOM_STATE = {
    "waiting": _l("Waiting to start"),
    "running": _l("Running"),
    "paused": _l("Paused"),
    "closed": _l("Closed"),
}
ROLE = {
    "admin": _l("Administrator"),
    "examiner": _l("Examiner"),
    "reviewer": _l("Head of the question board"),
    "head_proctor": _l("Head proctor"),
    "proctor": _l("Proctor"),
    "technician": _l("Technician"),
    "council_member": _l("Council member"),
    "council_chair": _l("Council chair"),
    "supervisor": _l("Supervision board"),
}
ATTEMPT_STATE = {
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "finalised": _l("Submitted"),
    "voided": _l("Voided"),
}


def init_app(app: Flask) -> None:
    """Expose label look-ups to templates."""
    app.jinja_env.globals.update(
        exam_status_label=lambda code: EXAM_STATUS.get(code, code),
        room_state_label=lambda code: ROOM_STATE.get(code, code),
        attempt_state_label=lambda code: ATTEMPT_STATE.get(code, code),
        role_label=lambda code: ROLE.get(code, code),
    )
