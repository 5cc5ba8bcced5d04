"""The one error operations raise: a plain message for the operator at the command line."""

from __future__ import annotations


class OpsError(Exception):
    """An operation was refused or failed; `str(exc)` says why and what to do."""
