"""Domain errors of the question bank; `message` is shown to the user (lazily translated)."""

from __future__ import annotations

from typing import Any


class BankError(Exception):
    """A refused bank operation."""

    def __init__(self, message: Any, **details: Any) -> None:
        super().__init__(str(message))
        self.message = message
        self.details = details


class NotAllowed(BankError):
    """The actor may not do this (role, subject assignment, own item)."""


class NotFound(BankError):
    """No such subject, topic, item or media file (or not visible to the actor)."""


class InvalidItem(BankError):
    """The item's content breaks its type's rules; `issues` say where and why."""

    def __init__(self, message: Any, issues: list) -> None:
        super().__init__(message)
        self.issues = issues


class TransitionRefused(BankError):
    """The review workflow does not allow this step now."""
