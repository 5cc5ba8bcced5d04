"""Translated labels for the console's stored codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

GRID_STATES = {
    "not_logged_in": _l("Not signed in"),
    "waiting": _l("Waiting"),
    "in_progress": _l("In progress"),
    "paused": _l("Paused"),
    "submitted": _l("Submitted"),
    "suspended": _l("Suspended"),
}
INCIDENT_KINDS = {"technical": _l("Technical"), "rule_breach": _l("Rule breach")}
SANCTIONS = {
    "reprimand": _l("Reprimand"),
    "warning": _l("Warning"),
    "suspension": _l("Suspension"),
    "cancellation": _l("Cancellation of the result"),
}
RETAKE_MODES = {"same_shift": _l("In this shift"), "later": _l("On a later day")}
DECISION_KINDS = {
    "late_entry": _l("Late arrival"),
    "time_extension": _l("Time extension"),
    "retake_later": _l("Retake on a later day"),
    "sanction": _l("Sanction"),
    "unsigned_result": _l("Result list not signed"),
}
ACTIONS = {
    "room_start": _l("Room started"),
    "room_pause": _l("Room paused"),
    "room_resume": _l("Room resumed"),
    "room_close": _l("Room closed"),
    "envelope_opened": _l("Session-code envelope opened"),
    "check_in": _l("Check-in recorded"),
    "chair_decision_recorded": _l("Chair's decision recorded"),
    "terminal_move_approved": _l("Move to another computer approved"),
    "second_terminal_refused": _l("Sign-in on a second computer refused"),
    "save_refused_closed": _l("Answers refused after the end"),
    "retake_ordered": _l("Retake ordered"),
    "retake_opened": _l("Retake opened"),
    "time_extended": _l("Time extended"),
    "sanction_reprimand": _l("Sanction: reprimand"),
    "sanction_warning": _l("Sanction: warning"),
    "sanction_suspension": _l("Sanction: suspension"),
    "sanction_cancellation": _l("Sanction: cancellation of the result"),
    "incident_reported": _l("Incident recorded"),
    "incident_amended": _l("Incident record amended"),
    "result_not_signed": _l("Did not sign the result list"),
    "result_signed": _l("Signed the result list"),
    "result_list_signatures": _l("Signatures on the result list recorded"),
}
EVENTS = {
    "start": _l("Part opened"),
    "answer": _l("Answer changed"),
    "flag": _l("Flag changed"),
    "submit": _l("Submitted by the candidate"),
    "finalise": _l("Paper collected"),
    "void": _l("Attempt voided"),
    "extension": _l("Extra time added"),
}
