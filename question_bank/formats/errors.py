"""Import errors that name a place in the file and render in the user's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def _identity(message: str) -> str:
    return message


@dataclass(frozen=True)
class ImportErrorRecord:
    """One problem found in an uploaded file.

    ``line`` is the text line (GIFT, Aiken, XML) or the spreadsheet row (xlsx,
    csv, header = row 1); None when the problem concerns the whole file.
    ``field`` names what is wrong (a column header as written in the file, or
    a record field such as "stem", "options", "answers").
    """

    file: str
    line: int | None
    field: str | None
    message_id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def row(self) -> int | None:
        """Return the spreadsheet row (an alias of line)."""
        return self.line

    def render(self, gettext: Callable[[str], str] | None = None) -> str:
        """Return the message translated by gettext, with its parameters filled in."""
        translated = (gettext or _identity)(self.message_id)
        try:
            return translated % dict(self.params)
        except (KeyError, ValueError, TypeError):
            # A broken translation must not hide the error itself.
            return self.message_id % dict(self.params)

    def to_json(self) -> dict[str, Any]:
        """Return {"file", "line", "field", "message"} with the English message."""
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "message": self.render(),
        }


@dataclass(frozen=True)
class Problem:
    """A problem not yet tied to a file position (raised or returned by helpers)."""

    field: str | None
    message_id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def at(self, file: str, line: int | None, field_name: str | None = None) -> ImportErrorRecord:
        """Place the problem in a file, optionally renaming its field."""
        return ImportErrorRecord(
            file, line, field_name or self.field, self.message_id, dict(self.params)
        )


class ProblemError(Exception):
    """Raised by low-level readers (encoding, XML, zip) for a file-level problem."""

    def __init__(
        self, message_id: str, line: int | None = None, field: str | None = None, **params: Any
    ) -> None:
        super().__init__(message_id % params if params else message_id)
        self.message_id = message_id
        self.line = line
        self.field = field
        self.params = params

    def at(self, file: str) -> ImportErrorRecord:
        """Return the error placed in the given file."""
        return ImportErrorRecord(file, self.line, self.field, self.message_id, self.params)


class ExportError(ValueError):
    """Records that cannot be written in the requested format.

    ``errors`` are ImportErrorRecord objects whose file is the format name and
    whose line is the 1-based position of the record in the exported list.
    """

    def __init__(self, errors: list[ImportErrorRecord]) -> None:
        super().__init__("; ".join(f"#{e.line}: {e.render()}" for e in errors))
        self.errors = errors
