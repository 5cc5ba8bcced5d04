"""Domain errors of delivery; each carries a plain message for the candidate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DeliveryError(Exception):
    code = "delivery_error"
    status = 400
    message = _l("The request could not be completed.")


class LoginFailed(DeliveryError):
    code = "login_failed"
    status = 401
    message = _l(
        "The registration number or access code is not correct. Check your slip and try again."
    )


class TerminalInUse(DeliveryError):
    code = "terminal_in_use"
    status = 409
    message = _l(
        "You are already signed in on another computer. Ask the proctor to approve "
        "moving you to this computer, then sign in again."
    )


class TerminalReplaced(DeliveryError):
    code = "terminal_replaced"
    status = 409
    message = _l(
        "Your exam has been moved to another computer with the proctor's approval. "
        "This page no longer accepts answers."
    )


class RoomNotStarted(DeliveryError):
    code = "room_not_started"
    status = 409
    message = _l("The room has not started yet. Please wait for the proctor.")


class RoomPaused(DeliveryError):
    code = "room_paused"
    status = 423
    message = _l("The room is paused. Your time is stopped; please wait for the proctor.")


class AttemptClosed(DeliveryError):
    code = "attempt_closed"
    status = 409
    message = _l("This part has ended. Answers can no longer be changed.")


class NothingToStart(DeliveryError):
    code = "nothing_to_start"
    status = 409
    message = _l("You have finished every part of this exam.")


class FormMissing(DeliveryError):
    code = "form_missing"
    status = 409
    message = _l("Your paper is not ready. Please tell the proctor.")


class BadChange(DeliveryError):
    code = "bad_change"
    status = 400
    message = _l("An answer could not be understood by the server.")


class TooManyTries(DeliveryError):
    code = "too_many_tries"
    status = 429
    message = _l(
        "Too many wrong tries for this account. Wait a moment, then try again, or ask the proctor."
    )


class EntryNotOpen(DeliveryError):
    code = "entry_not_open"
    status = 403
    message = _l(
        "Sign-in for your shift is not open yet. Please wait for the proctor's instruction."
    )


class EntryClosed(DeliveryError):
    code = "entry_closed"
    status = 403
    message = _l(
        "The late-entry time for your shift has passed. Please see the proctor: "
        "a later entry needs the council chair's decision."
    )


class SessionCodeRequired(DeliveryError):
    code = "session_code_required"
    status = 409
    message = _l("Type the session code announced by the head proctor to open your paper.")


class WrongSessionCode(DeliveryError):
    code = "wrong_session_code"
    status = 403
    message = _l("The session code is not correct. Listen to the head proctor and type it again.")


class ShiftNotStarted(DeliveryError):
    code = "shift_not_started"
    status = 409
    message = _l("The shift has not reached its programmed start time yet.")


class CandidateSuspended(DeliveryError):
    code = "candidate_suspended"
    status = 403
    message = _l(
        "Your test has been stopped by a decision recorded in the room. Please see the proctor."
    )


class TerminalNotAllowed(DeliveryError):
    code = "terminal_not_allowed"
    status = 403
    message = _l(
        "This computer is not one of your room's exam terminals. Please sit at your assigned seat."
    )
