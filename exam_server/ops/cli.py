"""Operations commands (examctl backup / restore / archive / wipe)."""

from __future__ import annotations

COMMANDS: list = []  # registered on examctl by the composition root
