"""WTForms for the exam-administration pages (labels translated, CSRF from Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from exam_server.setup.presets import KIND_LABELS


def choices(pairs) -> list[SelectChoice]:
    """Select choices as SelectChoice objects (WTForms deprecates tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


CLOCK_CHOICES = [
    ("scheduled", _l("Scheduled: the clock runs from the shift's start for everyone")),
    ("per_candidate", _l("Per candidate: the clock starts when the candidate starts")),
]
RESULT_CHOICES = [
    ("at_end", _l("When the test time ends")),
    ("at_submit", _l("At submission")),
]
PASS_CHOICES = [
    ("share_correct", _l("Share of items correct (0 to 1)")),
    ("points", _l("Points on 100")),
]
FORM_MODE_CHOICES = [
    ("unique", _l("A unique form per candidate")),
    ("pool", _l("A pool of parallel forms assigned at random")),
]
TYPE_LABELS = {
    "true_false": _l("True/false"),
    "single_choice": _l("Multiple choice (one answer)"),
    "multiple_response": _l("Multiple response"),
    "fill_blank": _l("Fill in the blank"),
}
DUTY_CHOICES = [
    ("head_proctor", _l("Head proctor")),
    ("proctor", _l("Proctor")),
    ("technician", _l("Technician")),
]


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button with its CSRF token."""


class NewExamForm(FlaskForm):
    preset = SelectField(_l("Preset"), validators=[DataRequired()])
    code = StringField(_l("Exam code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Exam name"), validators=[DataRequired(), Length(max=300)])


class ExamSettingsForm(FlaskForm):
    name = StringField(_l("Exam name"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Exam kind"), choices=choices(KIND_LABELS.items()))
    clock_mode = SelectField(_l("Clock"), choices=choices(CLOCK_CHOICES))
    results_shown = SelectField(_l("Results shown"), choices=choices(RESULT_CHOICES))
    late_entry_minutes = IntegerField(
        _l("Late entry allowed (minutes)"), validators=[InputRequired(), NumberRange(0, 120)]
    )


class PartForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    subject_id = SelectField(_l("Subject"), coerce=int)
    item_count = IntegerField(_l("Items"), validators=[InputRequired(), NumberRange(1, 500)])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), validators=[InputRequired(), NumberRange(1, 600)]
    )
    pass_basis = SelectField(_l("Pass rule"), choices=choices(PASS_CHOICES))
    pass_threshold = DecimalField(
        _l("Pass mark"), places=None, validators=[InputRequired(), NumberRange(0, 100)]
    )
    allowed_types = MultiCheckbox(_l("Allowed item types"), choices=choices(TYPE_LABELS.items()))
    shuffle_items = BooleanField(_l("Shuffle the items"))
    shuffle_options = BooleanField(_l("Shuffle the options"))
    audio_play_limit = IntegerField(
        _l("Audio plays allowed (empty: no limit)"), validators=[Optional(), NumberRange(0, 10)]
    )
    bank_multiplier = DecimalField(
        _l("The approved bank must hold at least this many times the item count"),
        places=None,
        validators=[InputRequired(), NumberRange(1, 20)],
    )
    exemptible = BooleanField(_l("Candidates may be exempted from this part"))
    form_mode = SelectField(_l("Forms"), choices=choices(FORM_MODE_CHOICES))
    pool_size = IntegerField(
        _l("Parallel forms in the pool"), validators=[InputRequired(), NumberRange(2, 1000)]
    )
    fairness_tolerance = DecimalField(
        _l("Expected-score tolerance (share of the maximum)"),
        places=None,
        validators=[InputRequired(), NumberRange(0, 1)],
    )
    max_exposure = DecimalField(
        _l("Highest share of forms an item may appear on"),
        places=None,
        validators=[InputRequired(), NumberRange(0.01, 1)],
    )
    neighbour_overlap_max = DecimalField(
        _l("Neighbours may share at most this share of positions"),
        places=None,
        validators=[InputRequired(), NumberRange(0, 1)],
    )


def blueprint_form_class(topics, levels):
    """A form with one count field per topic × level and one points field per level."""

    class BlueprintForm(FlaskForm):
        pass

    for topic in topics:
        for level in levels:
            setattr(
                BlueprintForm,
                f"count_{topic.id}_{level}",
                IntegerField(validators=[Optional(), NumberRange(0, 500)], default=0),
            )
    for level in levels:
        setattr(
            BlueprintForm,
            f"points_{level}",
            DecimalField(places=None, validators=[InputRequired(), NumberRange(0, 100)], default=1),
        )
    return BlueprintForm


class ImportForm(FlaskForm):
    file = FileField(
        _l("Excel file (.xlsx)"),
        validators=[FileRequired(), FileAllowed(["xlsx"], _l("Choose an .xlsx file."))],
    )


class ShiftForm(FlaskForm):
    name = StringField(_l("Shift name"), validators=[DataRequired(), Length(max=100)])
    starts_at = DateTimeLocalField(
        _l("Programmed start (local time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )


class RoomForm(FlaskForm):
    code = StringField(_l("Room code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Room name"), validators=[DataRequired(), Length(max=200)])
    capacity = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(1, 500)])
    seats_per_row = IntegerField(
        _l("Seats per row"), validators=[InputRequired(), NumberRange(1, 50)], default=6
    )
    spare_terminals = IntegerField(
        _l("Spare terminals"), validators=[InputRequired(), NumberRange(0, 50)], default=0
    )
    terminal_ips = TextAreaField(
        _l("Terminal IP addresses, seat by seat, then the spares (optional, one per line)"),
        validators=[Optional(), Length(max=20000)],
    )


class AssignForm(FlaskForm):
    shifts = MultiCheckbox(_l("Shifts"), coerce=int)
    rooms = MultiCheckbox(_l("Rooms"), coerce=int)
    reseat_all = BooleanField(_l("Seat everyone again (draft exams only)"))


class MoveForm(FlaskForm):
    registration_number = StringField(_l("SBD"), validators=[DataRequired(), Length(max=40)])
    room_session_id = SelectField(_l("Room and shift"), coerce=int)
    seat = IntegerField(_l("Seat"), validators=[InputRequired(), NumberRange(1, 500)])


class StaffForm(FlaskForm):
    room_session_id = SelectField(_l("Room and shift"), coerce=int)
    user_id = SelectField(_l("Staff member"), coerce=int)
    duty = SelectField(_l("Duty"), choices=choices(DUTY_CHOICES))


class AdvanceForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
