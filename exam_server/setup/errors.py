"""Domain errors of exam setup; each carries a translated message for the user."""

from __future__ import annotations

from typing import Any


class SetupError(Exception):
    """An exam-setup action was refused; `message` says why in the user's language."""

    def __init__(self, message: Any, **details: Any):
        super().__init__(str(message))
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return str(self.message)


class ExamFrozen(SetupError):
    """The exam is published: its parts, blueprints and forms no longer change."""


class NotFound(SetupError):
    """A named preset, subject, room or shift does not exist."""
