"""Translated labels for the bank's stored codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS = {
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "approved": _l("Approved"),
    "retired": _l("Retired"),
}
SUBJECT_KIND = {
    "foreign_language": _l("Foreign language"),
    "it": _l("Information technology"),
    "specialized": _l("Specialized"),
    "administrative": _l("Administrative / general knowledge"),
}
# The default difficulty scale (dễ / trung bình / khó); a subject may define its own labels.
DEFAULT_DIFFICULTY = (_l("Easy"), _l("Medium"), _l("Hard"))
MATCH = {
    "ignore_case": _l("Ignore case and surrounding spaces"),
    "exact": _l("Exact"),
    "ignore_accents": _l("Ignore case, spaces and Vietnamese accents"),
}
ACCESS_ACTION = {
    "list": _l("List"),
    "view": _l("View"),
    "preview": _l("Preview"),
    "history": _l("History"),
    "export": _l("Export"),
    "print": _l("Print"),
    "media": _l("Media"),
}


def status_label(code: str) -> str:
    """Return the translated label of an item status."""
    return str(STATUS.get(code, code))


def kind_label(code: str) -> str:
    """Return the translated label of a subject kind."""
    return str(SUBJECT_KIND.get(code, code))
