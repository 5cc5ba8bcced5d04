"""The item-type registry, keyed by the type string stored in ItemVersion.item_type.

Each type knows its label, whether it has options or blanks, how to check a version's
content, and how to turn format records (import/export) into stored content and back.
Stored content (read by delivery and scoring, keep the shape):
    {"options": [{"id", "text" (sanitised HTML), "fraction", "pinned"}],
     "blanks": [{"answers": [{"text", "fraction"}], "match"}],
     "media": [{"sha256", "name", "content_type"}]   # optional: audio and other files
    }
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from exam_server.text import nfc, sanitize_html
from question_bank import messages
from question_bank.formats import (
    FILL_BLANK,
    MULTIPLE_RESPONSE,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Answer,
    Option,
    QuestionRecord,
    validate_record,
)

# The exam rules (Circular 22/2025) ask for 4 options A–D; the bank allows 2–8 and warns.
EXAM_OPTION_COUNT = 4


@dataclass(frozen=True)
class Issue:
    """One problem of an item's content: a field, a message id with parameters, a severity."""

    field: str | None
    message_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    warning: bool = False

    def render(self, gettext: Callable[[str], str] | None = None) -> str:
        """Return the message in the user's language (gettext given) or in English."""
        text = gettext(self.message_id) if gettext else self.message_id
        try:
            return text % dict(self.params)
        except (KeyError, ValueError, TypeError):
            return self.message_id % dict(self.params)


@dataclass(frozen=True)
class ItemType:
    """Behaviour of one stored item type."""

    name: str
    label: Any
    has_options: bool
    letters_hint: Any = None

    def validate(self, stem: str, content: Mapping[str, Any]) -> list[Issue]:
        """Return every error and warning of a version's content (errors block saving)."""
        issues = [
            Issue(problem.field, problem.message_id, dict(problem.params))
            for problem in validate_record(to_record(self.name, stem, content))
        ]
        ids = [option.get("id") for option in content.get("options", [])]
        if len(set(ids)) != len(ids):
            issues.append(Issue("options", messages.OPTION_IDS))
        issues += self.warnings(content)
        return issues

    def warnings(self, content: Mapping[str, Any]) -> list[Issue]:
        """Return advice that does not block saving."""
        return []


@dataclass(frozen=True)
class SingleChoiceType(ItemType):
    def warnings(self, content: Mapping[str, Any]) -> list[Issue]:
        count = len(content.get("options", []))
        if 2 <= count <= 8 and count != EXAM_OPTION_COUNT:
            return [Issue("options", messages.FOUR_OPTIONS, {"count": count}, warning=True)]
        return []


REGISTRY: dict[str, ItemType] = {
    item_type.name: item_type
    for item_type in (
        SingleChoiceType(SINGLE_CHOICE, _l("Single choice"), True),
        ItemType(MULTIPLE_RESPONSE, _l("Multiple response"), True),
        ItemType(TRUE_FALSE, _l("True / false"), True),
        ItemType(FILL_BLANK, _l("Fill in the blank"), False),
    )
}


def get_type(name: str) -> ItemType:
    """Return the registered type; KeyError for a type the bank does not know."""
    return REGISTRY[name]


def type_label(name: str) -> str:
    """Return the translated label of a stored type string."""
    item_type = REGISTRY.get(name)
    return str(item_type.label) if item_type else name


def errors_of(issues: list[Issue]) -> list[Issue]:
    """Return the blocking issues."""
    return [issue for issue in issues if not issue.warning]


# --- content <-> records ----------------------------------------------------------------


def clean_content(item_type: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """Return content with sanitised NFC texts, rounded fractions and stable option ids."""
    options = []
    used: set[str] = set()
    for index, option in enumerate(content.get("options", []), start=1):
        option_id = str(option.get("id") or f"o{index}")
        while option_id in used:  # keep ids unique even if the caller repeated one
            option_id = f"{option_id}_{index}"
        used.add(option_id)
        options.append(
            {
                "id": option_id,
                "text": sanitize_html(str(option.get("text", ""))).strip(),
                "fraction": round(float(option.get("fraction", 0.0)), 7) + 0.0,
                "pinned": bool(option.get("pinned", False)),
            }
        )
    blanks = [
        {
            "answers": [
                {
                    "text": nfc(str(answer.get("text", ""))).strip(),
                    "fraction": round(float(answer.get("fraction", 1.0)), 7) + 0.0,
                }
                for answer in blank.get("answers", [])
            ],
            "match": blank.get("match") or "ignore_case",
        }
        for blank in content.get("blanks", [])
    ]
    cleaned: dict[str, Any] = {
        "options": options if item_type != FILL_BLANK else [],
        "blanks": blanks if item_type == FILL_BLANK else [],
    }
    if content.get("media"):
        cleaned["media"] = [dict(entry) for entry in content["media"]]
    return cleaned


def to_record(
    item_type: str,
    stem: str,
    content: Mapping[str, Any],
    *,
    category: str | None = None,
    difficulty: int | None = None,
    tags: tuple[str, ...] = (),
    media: tuple[str, ...] = (),
    source: str | None = None,
) -> QuestionRecord:
    """Return the format record of a stored version (for validation and export)."""
    blanks = tuple(
        tuple(Answer(a["text"], a.get("fraction", 1.0)) for a in blank.get("answers", []))
        for blank in content.get("blanks", [])
    )
    match = None
    if item_type == FILL_BLANK:
        match = (content.get("blanks") or [{}])[0].get("match") or "ignore_case"
    return QuestionRecord(
        type=item_type,
        stem=stem,
        options=tuple(
            Option(o["text"], o.get("fraction", 0.0), bool(o.get("pinned")))
            for o in content.get("options", [])
        ),
        blanks=blanks,
        match=match,
        category=category,
        difficulty=difficulty,
        tags=tuple(tags),
        media=tuple(media),
        source=source,
    )


def from_record(record: QuestionRecord) -> tuple[str, str, dict[str, Any]]:
    """Return (item_type, stem, content) for a parsed record; texts are sanitised again."""
    content = {
        "options": [
            {"id": f"o{index}", "text": o.text, "fraction": o.fraction, "pinned": o.pinned}
            for index, o in enumerate(record.options, start=1)
        ],
        "blanks": [
            {
                "answers": [{"text": a.text, "fraction": a.fraction} for a in blank],
                "match": record.match or "ignore_case",
            }
            for blank in record.blanks
        ],
    }
    return record.type, sanitize_html(record.stem).strip(), clean_content(record.type, content)
