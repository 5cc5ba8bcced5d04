"""The console's domain error: a refused action with a message for the staff member."""

from __future__ import annotations


class ConsoleRefused(ValueError):
    """An action the rules or the room's state do not allow; `message` is shown as is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
