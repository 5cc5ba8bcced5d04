"""WTForms of the bank's pages, and turning the item form into an ItemDraft."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields import FieldList
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from exam_server.models.bank import ITEM_STATUSES, SUBJECT_KINDS
from exam_server.text import nfc, plain_to_html, sanitize_html
from question_bank.formats import FALSE_TEXT, MATCH_MODES, TRUE_TEXT
from question_bank.formats.metadata import join_tags
from question_bank.importing import FORMAT_CHOICES
from question_bank.item_types import REGISTRY
from question_bank.labels import MATCH, STATUS, SUBJECT_KIND
from question_bank.review import ACTIONS

MAX_OPTIONS = 8
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>|&[a-zA-Z#0-9]+;")
_BLOCK_TAG = re.compile(r"<(?:p|br|li|ul|ol|table|tr|pre)\b", re.IGNORECASE)
_CREDIT = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*%?\s*$")
_ANSWER_CREDIT = re.compile(r"^%(-?\d+(?:[.,]\d+)?)%")


def choices(pairs) -> list[SelectChoice]:
    """Return select choices as SelectChoice objects (WTForms deprecates tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def _blank_choice(label) -> list[tuple[str, Any]]:
    return [("", label)]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- listing ----------------------------------------------------------------------------------


class FilterForm(FlaskForm):
    """The list's filters (a GET form: no CSRF token needed to read)."""

    class Meta:
        csrf = False

    subject = SelectField(_l("Subject"), coerce=str, validators=[Optional()])
    topic = SelectField(_l("Topic"), coerce=str, validators=[Optional()])
    difficulty = SelectField(_l("Difficulty"), coerce=str, validators=[Optional()])
    type = SelectField(_l("Type"), coerce=str, validators=[Optional()])
    status = SelectField(_l("Status"), coerce=str, validators=[Optional()])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=100)])
    q = StringField(_l("Search text"), validators=[Optional(), Length(max=200)])
    sort = SelectField(
        _l("Order"),
        choices=choices(
            [
                ("newest", _l("Newest first")),
                ("oldest", _l("Oldest first")),
                ("difficulty", _l("Difficulty")),
                ("status", _l("Status")),
                ("type", _l("Type")),
            ]
        ),
        default="newest",
        validators=[Optional()],
    )

    def fill_choices(self, subjects, topics, levels) -> None:
        self.subject.choices = choices(
            _blank_choice(_l("All subjects"))
            + [(str(s.id), f"{s.code} — {s.name}") for s in subjects]
        )
        self.topic.choices = choices(
            _blank_choice(_l("All topics"))
            + [(str(node.topic.id), "— " * node.depth + node.topic.name) for node in topics]
        )
        self.difficulty.choices = choices(
            _blank_choice(_l("All levels"))
            + [(str(n), label) for n, label in enumerate(levels, start=1)]
        )
        self.type.choices = choices(
            _blank_choice(_l("All types")) + [(name, t.label) for name, t in REGISTRY.items()]
        )
        self.status.choices = choices(
            _blank_choice(_l("All statuses")) + [(code, STATUS[code]) for code in ITEM_STATUSES]
        )


class BulkForm(FlaskForm):
    action = SelectField(
        _l("Change the status of the selected questions"),
        choices=choices((name, action.label) for name, action in ACTIONS.items()),
    )
    comment = StringField(_l("Comment"), validators=[Optional(), Length(max=1000)])
    item_ids = SelectMultipleField(coerce=int, validate_choice=False)
    next = HiddenField()


class TransitionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


# --- authoring --------------------------------------------------------------------------------


class OptionForm(Form):
    text = TextAreaField(_l("Option text"), validators=[Optional(), Length(max=20000)])
    correct = BooleanField(_l("Correct"))
    credit = StringField(_l("Credit %"), validators=[Optional(), Length(max=10)])
    pinned = BooleanField(_l("Pinned (never shuffled)"))

    def validate_credit(self, field) -> None:
        if field.data and not _CREDIT.match(field.data):
            raise ValidationError(_l("Write a percentage from -100 to 100, e.g. 50 or -25."))
        if field.data and not -100 <= _credit(field.data) <= 100:
            raise ValidationError(_l("Write a percentage from -100 to 100, e.g. 50 or -25."))


class ItemForm(FlaskForm):
    subject = SelectField(_l("Subject"), coerce=int)
    item_type = SelectField(_l("Type"), coerce=str)
    stem = TextAreaField(
        _l("Question"),
        validators=[DataRequired(), Length(max=50000)],
        description=_l(
            "Plain text, or simple HTML: b, i, u, sub, sup, br, p, lists, tables, img. "
            "Scripts and styles are removed. Mark each blank with ____ (four underscores)."
        ),
    )
    options = FieldList(FormField(OptionForm), min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)
    true_answer = RadioField(
        _l("Correct answer (true / false)"),
        choices=choices([("true", TRUE_TEXT), ("false", FALSE_TEXT)]),
        default="true",
        validators=[Optional()],
    )
    blanks = TextAreaField(
        _l("Accepted answers (fill in the blank)"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "One line per blank; accepted answers separated by |; partial credit like %50%answer."
        ),
    )
    match = SelectField(
        _l("Answer matching"),
        choices=choices((mode, MATCH[mode]) for mode in MATCH_MODES),
        default="ignore_case",
    )
    topic = SelectField(_l("Topic"), coerce=int)
    difficulty = SelectField(_l("Difficulty"), coerce=int)
    tags = StringField(_l("Tags (separated by commas)"), validators=[Optional(), Length(max=500)])
    source = StringField(_l("Source reference"), validators=[Optional(), Length(max=300)])
    note = StringField(
        _l("What changed (for the history)"), validators=[Optional(), Length(max=500)]
    )
    media = MultipleFileField(_l("Images or audio"))
    remove_media = MultiCheckboxField(_l("Remove attached files"), choices=[])

    def fill_choices(self, subjects, topics, levels) -> None:
        self.subject.choices = choices((s.id, f"{s.code} — {s.name}") for s in subjects)
        self.item_type.choices = choices((name, t.label) for name, t in REGISTRY.items())
        self.topic.choices = choices(
            (node.topic.id, "— " * node.depth + node.topic.name) for node in topics
        )
        self.difficulty.choices = choices((n, label) for n, label in enumerate(levels, start=1))

    def load(self, item, version) -> None:
        """Fill the form from an item and its latest version (GET of the edit page)."""
        self.subject.data = item.subject_id
        self.item_type.data = version.item_type
        self.stem.data = version.stem
        self.topic.data = item.topic_id
        self.difficulty.data = item.difficulty
        self.tags.data = join_tags([tag.name for tag in item.tags])  # parse_tags reads it back
        self.source.data = item.source or ""
        options = version.content.get("options", [])
        correct = [o["fraction"] > 0 for o in options]
        standard = standard_fractions(version.item_type, correct)
        show_credit = [o["fraction"] for o in options] != standard
        for entry, option in zip(self.options.entries, options, strict=False):
            entry.form.text.data = option["text"]
            entry.form.correct.data = option["fraction"] > 0
            entry.form.pinned.data = bool(option.get("pinned"))
            entry.form.credit.data = f"{option['fraction'] * 100:g}" if show_credit else ""
        if version.item_type == "true_false" and options:
            self.true_answer.data = "true" if options[0]["fraction"] == 1.0 else "false"
        blanks = version.content.get("blanks", [])
        self.blanks.data = "\n".join(
            " | ".join(_answer_text(a) for a in blank.get("answers", [])) for blank in blanks
        )
        if blanks:
            self.match.data = blanks[0].get("match", "ignore_case")

    def to_content(self) -> dict[str, Any]:
        """Return the version content this form describes (validated later by the type)."""
        item_type = self.item_type.data
        if item_type == "true_false":
            true_correct = self.true_answer.data != "false"
            return {
                "options": [
                    {
                        "id": "o1",
                        "text": TRUE_TEXT,
                        "fraction": 1.0 if true_correct else 0.0,
                        "pinned": True,
                    },
                    {
                        "id": "o2",
                        "text": FALSE_TEXT,
                        "fraction": 0.0 if true_correct else 1.0,
                        "pinned": True,
                    },
                ],
                "blanks": [],
            }
        if item_type == "fill_blank":
            return {"options": [], "blanks": parse_blanks(self.blanks.data or "", self.match.data)}
        rows = [entry.form for entry in self.options.entries]
        while rows and not (rows[-1].text.data or "").strip():
            rows.pop()
        use_credit = any((row.credit.data or "").strip() for row in rows)
        standard = standard_fractions(item_type, [bool(row.correct.data) for row in rows])
        options = []
        for index, row in enumerate(rows):
            fraction = _credit(row.credit.data) / 100 if use_credit else standard[index]
            options.append(
                {
                    "id": f"o{index + 1}",
                    "text": rich_text(row.text.data or ""),
                    "fraction": fraction,
                    "pinned": bool(row.pinned.data),
                }
            )
        return {"options": options, "blanks": []}


def _credit(text: str | None) -> float:
    match = _CREDIT.match(text or "")
    return float(match.group(1).replace(",", ".")) if match else 0.0


def standard_fractions(item_type: str, correct: list[bool]) -> list[float]:
    """Fractions implied by ticking correct options: 100 % shared among the correct ones."""
    count = sum(correct)
    if not count:
        return [0.0] * len(correct)
    share = 1.0 if item_type != "multiple_response" else round(1.0 / count, 7)
    return [share if flag else 0.0 for flag in correct]


def rich_text(text: str) -> str:
    """Read an author's text: HTML when it has tags, otherwise plain text with line breaks."""
    text = nfc(text.replace("\r\n", "\n")).strip()
    if _HTML_TAG.search(text):
        if not _BLOCK_TAG.search(text):
            # Typed line breaks count, as in the spreadsheet import.
            text = text.replace("\n", "<br>")
        return sanitize_html(text).strip()
    return plain_to_html(text)


def parse_blanks(text: str, match: str) -> list[dict[str, Any]]:
    """Read one line per blank: answers split by |, optional %50% credit prefix."""
    blanks = []
    for line in nfc(text).splitlines():
        if not line.strip():
            continue
        answers = []
        for raw in line.split("|"):
            raw = raw.strip()
            if not raw:
                continue
            fraction = 1.0
            credit = _ANSWER_CREDIT.match(raw)
            if credit:
                fraction = float(credit.group(1).replace(",", ".")) / 100
                raw = raw[credit.end() :].strip()
            answers.append({"text": raw, "fraction": fraction})
        blanks.append({"answers": answers, "match": match})
    return blanks


def _answer_text(answer: dict[str, Any]) -> str:
    if answer.get("fraction", 1.0) == 1.0:
        return answer["text"]
    return f"%{answer['fraction'] * 100:g}%{answer['text']}"


# --- import and export ------------------------------------------------------------------------


FORMAT_LABELS = {
    "auto": _l("Detect from the file"),
    "xlsx": "Excel (.xlsx)",
    "csv": "CSV",
    "gift": "GIFT",
    "moodle-xml": "Moodle XML",
    "aiken": "Aiken",
    "qti": "IMS QTI 2.1 / 3.0",
}


class ImportForm(FlaskForm):
    subject = SelectField(_l("Subject"), coerce=int)
    format = SelectField(
        _l("Format"), choices=choices((f, FORMAT_LABELS[f]) for f in FORMAT_CHOICES), default="auto"
    )
    file = FileField(_l("Question file"), validators=[FileRequired()])
    media = MultipleFileField(_l("Images and audio named in the file (optional)"))


class ConfirmImportForm(FlaskForm):
    """The checked upload, sent back to be written (it is parsed and checked again)."""

    subject = HiddenField(validators=[DataRequired()])
    format = HiddenField(validators=[DataRequired()])
    filename = HiddenField(validators=[DataRequired()])
    payload = HiddenField(validators=[DataRequired()])
    media_payload = HiddenField()
    digest = HiddenField(validators=[DataRequired()])


class ExportForm(FlaskForm):
    subject = SelectField(_l("Subject"), coerce=int)
    format = SelectField(_l("Format"), coerce=str)
    statuses = MultiCheckboxField(
        _l("Only these statuses (none ticked: all)"),
        choices=choices((code, STATUS[code]) for code in ITEM_STATUSES),
    )
    lang = SelectField(
        _l("Column headers (Excel, CSV)"),
        choices=choices([("vi", "Tiếng Việt"), ("en", "English")]),
        default="vi",
    )


# --- subjects ---------------------------------------------------------------------------------


class SubjectForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices((k, SUBJECT_KIND[k]) for k in SUBJECT_KINDS))
    levels = TextAreaField(
        _l("Difficulty levels, one per line (empty: easy, medium, hard)"),
        validators=[Optional(), Length(max=2000)],
    )


class SubjectEditForm(SubjectForm):
    code = StringField(_l("Code"), render_kw={"readonly": True})


class TopicForm(FlaskForm):
    name = StringField(_l("New topic"), validators=[DataRequired(), Length(max=200)])
    parent = SelectField(_l("Under"), coerce=int)


class AssignForm(FlaskForm):
    user = SelectField(_l("Examiner or reviewer"), coerce=int)
    remove = IntegerField(validators=[Optional()])
