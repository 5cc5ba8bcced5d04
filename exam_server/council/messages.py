"""Translated wording for message ids raised by pure code (analyze input, audit mismatches)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

# scoring.AnalyzeInputError ids and their English msgids; params fill the placeholders.
ANALYZE_MESSAGES = {
    "analyze.not_utf8": _l(
        "The file is not UTF-8 text (the first bad byte is at offset %(byte_offset)s)."
    ),
    "analyze.bad_csv": _l("Line %(line)s: the CSV is malformed (%(detail)s)."),
    "analyze.empty": _l("The file is empty."),
    "analyze.no_items": _l("Line %(line)s: the header names no item."),
    "analyze.empty_item_name": _l("Line %(line)s, column %(column)s: an item has no name."),
    "analyze.duplicate_item": _l(
        "Line %(line)s, column %(column)s: the item “%(item)s” is already in column "
        "%(first_column)s."
    ),
    "analyze.missing_score": _l(
        "Line %(line)s, column %(column)s (item “%(item)s”): the score is missing."
    ),
    "analyze.not_a_number": _l(
        "Line %(line)s, column %(column)s (item “%(item)s”): “%(value)s” is not a number."
    ),
    "analyze.score_out_of_range": _l(
        "Line %(line)s, column %(column)s (item “%(item)s”): the score “%(value)s” must lie "
        "between 0 and %(maximum)s (rescale negative marks first)."
    ),
    "analyze.ragged_row": _l("Line %(line)s has %(found)s cells but the header has %(expected)s."),
    "analyze.too_few_candidates": _l(
        "The file has %(found)s candidate row(s); at least %(minimum)s are needed."
    ),
    "analyze.no_positive_score": _l(
        "Column %(column)s (item “%(item)s”): nobody scored above 0, so the item's maximum "
        "is unknown."
    ),
    "analyze.rasch_needs_right_or_wrong": _l(
        "Column %(column)s (item “%(item)s”): the Rasch model needs right-or-wrong scores "
        "(0 or the item's maximum)."
    ),
}

# exam_server.audit_verify mismatch codes.
MISMATCH_MESSAGES = {
    "ordinal": _l("The event numbers are not consecutive: an event is missing or duplicated."),
    "prev_hash": _l("The event does not link to the hash of the event before it."),
    "hash": _l("The event's content does not match its hash: it was altered."),
    "last_hash": _l("The attempt's final hash (the receipt) is not the hash of its last event."),
    "event_count": _l("The attempt's event count does not match its events."),
    "last_seq": _l("The attempt's last change number does not match its events."),
    "unknown_kind": _l("An event of a kind the system never writes."),
    "after_final": _l("An event after the paper was collected."),
    "start_form": _l("The start event names another form than the attempt's."),
    "no_start": _l("The chain does not begin with a start event."),
    "no_finalise": _l("The paper is collected but its finalise event is missing."),
    "finalise_payload": _l(
        "The result written into the finalise event (%(field)s) differs from the re-scored one."
    ),
    "position": _l("Question %(position)s is not on the candidate's form."),
    "answer": _l("Question %(position)s: the stored answer differs from the answer events."),
    "flag": _l("Question %(position)s: the stored flag differs from the flag events."),
    "answer_seq": _l(
        "Question %(position)s: the stored change number differs from the answer events."
    ),
    "orphan_answer": _l("Question %(position)s: a stored answer that no event wrote."),
    "form_missing": _l("The attempt's stored form is missing."),
    "result": _l("The stored result “%(field)s” differs from the re-scored one."),
    "not_scored": _l("The paper is collected but has no stored result."),
}


def analyze_message(message_id: str, params: dict[str, Any]) -> str:
    """Return the translated text of an analyze input error, or its id when unknown."""
    template = ANALYZE_MESSAGES.get(message_id)
    if template is None:
        return f"{message_id} {params}"
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return f"{template} {params}"


def mismatch_message(code: str, position: int | None, field: str | None) -> str:
    """Return the translated description of an audit mismatch."""
    template = MISMATCH_MESSAGES.get(code)
    if template is None:
        return code
    text = str(template)
    if "%(" in text:
        return text % {"position": position if position is not None else "?", "field": field}
    return text


BUNDLE_PROBLEMS = {
    "bad_signature": _l("The signature does not match the manifest: the bundle was altered."),
    "wrong_key": _l("The bundle was signed with another key than the trusted one."),
    "missing": _l("%(file)s is listed in the manifest but missing."),
    "altered": _l("%(file)s was altered: its SHA-256 differs from the manifest."),
    "unlisted": _l("%(file)s is not listed in the manifest."),
}


def bundle_problem(code: str, name: str | None) -> str:
    """Return the translated description of a bundle verification problem."""
    template = BUNDLE_PROBLEMS.get(code)
    if template is None:
        return f"{code}: {name}"
    text = str(template)
    return text % {"file": name} if "%(" in text else text
