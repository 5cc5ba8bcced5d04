"""Council forms (Flask-WTF, CSRF on every post)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exam_server.council.labels import DECISION_KIND, SANCTION
from exam_server.models.council import DECISION_KINDS
from scoring.adjustments import DEDUCTIONS, VOIDING


class ButtonForm(FlaskForm):
    """A button with its CSRF token (compile, confirm, bundle, write facility)."""


class ApproveForm(FlaskForm):
    note = StringField(_l("Note for the minutes"), validators=[Optional(), Length(max=500)])


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=500)])


class DecisionForm(FlaskForm):
    """One form for every kind; the service checks which fields the kind needs."""

    kind = SelectField(
        _l("Kind of decision"),
        choices=[SelectChoice(kind, DECISION_KIND[kind]) for kind in DECISION_KINDS],
    )
    registration_number = StringField(
        _l("Candidate (SBD)"), validators=[Optional(), Length(max=40)]
    )
    part_id = SelectField(_l("Part"), coerce=str, choices=[], validate_choice=False)
    sanction = SelectField(
        _l("Sanction"),
        choices=[SelectChoice("", "—")]
        + [SelectChoice(name, SANCTION[name]) for name in (*DEDUCTIONS, *sorted(VOIDING))],
        validate_choice=False,
    )
    deduction = StringField(
        _l("Share deducted (0–1, empty for the rules' share)"),
        validators=[Optional(), Length(max=10)],
    )
    item_version_id = IntegerField(_l("Question version number"), validators=[Optional()])
    option_id = StringField(_l("Option accepted (id)"), validators=[Optional(), Length(max=40)])
    blank = IntegerField(_l("Blank number (from 1)"), validators=[Optional()])
    text = StringField(_l("Text accepted"), validators=[Optional(), Length(max=500)])
    number = StringField(_l("Score, points or minutes"), validators=[Optional(), Length(max=20)])
    reason = TextAreaField(_l("Reason, as minuted"), validators=[DataRequired(), Length(max=2000)])
    record_ref = StringField(
        _l("Reference of the signed minutes"), validators=[Optional(), Length(max=100)]
    )


class PlacesForm(FlaskForm):
    position = StringField(_l("Position"), validators=[DataRequired(), Length(max=200)])
    places = IntegerField(_l("Places"), validators=[InputRequired(), NumberRange(min=0)])
