"""Question bank commands (examctl bank …)."""

from __future__ import annotations

COMMANDS: list = []  # click commands/groups registered on examctl by the composition root
