"""Translated labels for the council's stored codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PART_STATUS = {
    "sat": _l("Sat"),
    "absent": _l("Absent"),
    "exempt": _l("Exempt"),
    "in_progress": _l("Still sitting"),
    "voided": _l("Voided"),
}
OVERALL = {
    "passed": _l("Passed"),
    "failed": _l("Not passed"),
    "absent": _l("Absent from the exam"),
    "voided": _l("Result voided"),
    "pending": _l("Pending"),
    "exempt": _l("Exempt from the exam"),
}
SANCTION = {
    "reprimand": _l("Reprimand"),
    "warning": _l("Warning"),
    "suspension": _l("Suspension"),
    "cancellation": _l("Cancellation"),
    "unsigned_result_list": _l("Result list not signed"),
}
DECISION_KIND = {
    "sanction": _l("Sanction"),
    "unsigned": _l("Result list not signed (0 points)"),
    "faulty_item": _l("Faulty question credited to everyone"),
    "accept_option": _l("Another option accepted as correct"),
    "accept_text": _l("Another answer text accepted"),
    "interview": _l("Interview score"),
    "priority": _l("Priority points"),
    "extension": _l("Time given back"),
    "note": _l("Note for the record"),
}
FLAG = {
    "few_candidates": _l("Too few candidates to judge"),
    "negative_discrimination": _l("Negative discrimination"),
    "weak_discrimination": _l("Weak discrimination"),
    "too_hard": _l("Too hard"),
    "too_easy": _l("Too easy"),
    "strong_distractor": _l("A distractor attracts strong candidates"),
}


def label(table: dict, code: str | None) -> str:
    """Return the translated label of a code, the code itself when unknown, "" for None."""
    if code is None:
        return ""
    return str(table.get(code, code))
