"""The console's forms (Flask-WTF: every post carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from exam_server.models.proctor import INCIDENT_KINDS, RETAKE_MODES, SANCTION_KINDS
from proctor_console import labels
from proctor_console.services import TRANSITIONS


def choices(pairs) -> list[SelectChoice]:
    """Build select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DecisionFields:
    """The chair's decision as copied into the form: its number and who decided."""

    decision_reference = StringField(_l("Decision number"), validators=[Length(max=100)])
    decision_by = StringField(_l("Decided by (the chair)"), validators=[Length(max=200)])


class RoomActionForm(FlaskForm):
    action = HiddenField(validators=[AnyOf(tuple(TRANSITIONS))])
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


class ButtonForm(FlaskForm):
    """A button with its CSRF token."""


class MoveForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


class CheckInForm(FlaskForm, DecisionFields):
    present = RadioField(
        _l("Attendance"),
        choices=choices([("1", _l("Present here")), ("0", _l("Absent"))]),
        validators=[InputRequired()],
    )
    id_checked = BooleanField(_l("Identity checked"))
    seat = IntegerField(_l("Seat"), validators=[Optional(), NumberRange(min=1, max=9999)])
    terminal = StringField(_l("Computer"), validators=[Length(max=40)])


class EnvelopeForm(FlaskForm):
    witness_1 = SelectField(_l("First candidate witness"), coerce=int)
    witness_2 = SelectField(_l("Second candidate witness"), coerce=int)
    seal_intact = BooleanField(_l("The seal was intact"), default=True)
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class ExtensionForm(FlaskForm, DecisionFields):
    attempt_id = SelectField(_l("Part"), coerce=int)
    minutes = IntegerField(
        _l("Extra minutes"), validators=[InputRequired(), NumberRange(min=1, max=600)]
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class RetakeForm(FlaskForm, DecisionFields):
    attempt_id = SelectField(_l("Attempt to retake"), coerce=int)
    mode = RadioField(
        _l("When"),
        choices=choices((mode, labels.RETAKE_MODES[mode]) for mode in RETAKE_MODES),
        default="same_shift",
    )
    scheduled_at = DateTimeLocalField(
        _l("Day and time set by the chair"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    incident_id = SelectField(_l("Incident"), coerce=int, default=0)
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class SanctionForm(FlaskForm):
    kind = SelectField(
        _l("Sanction"), choices=choices((kind, labels.SANCTIONS[kind]) for kind in SANCTION_KINDS)
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    witnesses = StringField(_l("Witnesses"), validators=[DataRequired(), Length(max=500)])
    incident_id = SelectField(_l("Incident"), coerce=int, default=0)


class IncidentForm(FlaskForm):
    occurred_at = DateTimeLocalField(
        _l("Time"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    kind = SelectField(
        _l("Kind of incident"),
        choices=choices((kind, labels.INCIDENT_KINDS[kind]) for kind in INCIDENT_KINDS),
    )
    candidates = MultiCheckboxField(_l("Candidates involved"), coerce=int)
    sanction = SelectField(
        _l("Sanction"),
        choices=choices(
            [("", _l("None"))] + [(kind, labels.SANCTIONS[kind]) for kind in SANCTION_KINDS]
        ),
        default="",
    )
    description = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=5000)])
    action_taken = TextAreaField(_l("Action taken"), validators=[Length(max=5000)])
    staff = StringField(_l("Staff present"), validators=[Length(max=500)])


class AmendIncidentForm(IncidentForm):
    amendment_reason = StringField(
        _l("Why the record is amended"), validators=[DataRequired(), Length(max=500)]
    )


class SignaturesForm(FlaskForm):
    unsigned = MultiCheckboxField(_l("Did not sign"), coerce=int)
    note = StringField(_l("Note"), validators=[Length(max=300)])
