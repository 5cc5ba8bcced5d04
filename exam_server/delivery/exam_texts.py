"""The exam page's messages for its script, translated once per language.

Every terminal of a room loads the exam page at the same moment; seventeen messages looked up
in the catalogue on every load were a tenth of the page's cost.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# exam.js fills {k}, {n}; the keys are the script's names for them.
EXAM_SCRIPT_TEXTS = {
    "question_of": _l("Question {k} of {n}"),
    "saved": _l("All answers saved"),
    "saving": _l("Saving…"),
    "offline": _l(
        "Network down — your answers are kept on this computer and will be sent when it returns"
    ),
    "paused": _l("The room is paused. Your time is stopped; please wait for the proctor."),
    "closed": _l("This part has ended. Your answers held by the server have been collected."),
    "replaced": _l(
        "Your exam has been moved to another computer with the proctor's approval. "
        "This page no longer accepts answers."
    ),
    "time_left": _l("Time left"),
    "minutes_left_5": _l("5 minutes left"),
    "minutes_left_1": _l("1 minute left"),
    "time_up": _l("Time is up. The server is collecting your paper."),
    "blank": _l("Blank {k}"),
    "error": _l("The server refused an answer. Please tell the proctor."),
    "listen": _l("Listen to the recording"),
    "plays_left": _l("Plays left: {n}"),
    "no_plays_left": _l("You have used every play of this recording."),
    "signed_out": _l("Your session has ended. Please sign in again; your saved answers are kept."),
}

_translated: dict[str, dict[str, str]] = {}


def exam_script_texts() -> dict[str, str]:
    """The messages of EXAM_SCRIPT_TEXTS in the request's language (kept per language)."""
    language = str(get_locale())
    texts = _translated.get(language)
    if texts is None:
        texts = _translated[language] = {k: str(v) for k, v in EXAM_SCRIPT_TEXTS.items()}
    return texts
