"""Answer changes as a terminal sends them: parsed from the request, checked against the item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exam_server.delivery.errors import BadChange
from exam_server.text import nfc

MAX_CHANGES_PER_REQUEST = 200
MAX_BLANK_LENGTH = 500

Shape = tuple[str, int, int]  # item type, option count, blank count


@dataclass(frozen=True)
class Change:
    """One answer change from a terminal: `kind` is "answer" or "flag"."""

    seq: int
    kind: str
    position: int
    value: Any


def parse_changes(payload: Any) -> list[Change]:
    """The changes of a save request's JSON body ({"changes": [...]}); BadChange if malformed."""
    if not isinstance(payload, dict) or not isinstance(payload.get("changes"), list):
        raise BadChange()
    raw_changes = payload["changes"]
    if len(raw_changes) > MAX_CHANGES_PER_REQUEST:
        raise BadChange()
    changes = []
    for raw in raw_changes:
        try:
            seq, kind, position = int(raw["seq"]), str(raw["kind"]), int(raw["position"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BadChange() from exc
        changes.append(Change(seq, kind, position, raw.get("value")))
    return changes


def clean_change(change: Change, shape: Shape | None) -> Any:
    """Validate a change against its item's shape (None: no such position) and return the
    value to store."""
    if shape is None or change.kind not in ("answer", "flag"):
        raise BadChange()
    item_type, option_count, blank_count = shape
    value = change.value
    if change.kind == "flag":
        if not isinstance(value, bool):
            raise BadChange()
        return value
    if value is None or value == []:
        return None
    if item_type == "fill_blank":
        if not isinstance(value, list) or len(value) != blank_count:
            raise BadChange()
        if not all(isinstance(text, str) and len(text) <= MAX_BLANK_LENGTH for text in value):
            raise BadChange()
        return [nfc(text) for text in value]
    if not isinstance(value, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < option_count for i in value
    ):
        raise BadChange()
    chosen = sorted(set(value))
    if item_type in ("single_choice", "true_false") and len(chosen) > 1:
        raise BadChange()
    return chosen
