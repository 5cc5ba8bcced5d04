"""WTForms of the candidate's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class CandidateLoginForm(FlaskForm):
    registration_number = StringField(
        _l("Registration number (SBD)"),
        validators=[DataRequired(message=_l("Enter your registration number.")), Length(max=40)],
    )
    access_code = PasswordField(
        _l("Access code"),
        validators=[
            DataRequired(message=_l("Enter the access code printed on your slip.")),
            Length(max=40),
        ],
    )


class ConfirmForm(FlaskForm):
    """An empty form: a button with a CSRF token."""


class StartForm(FlaskForm):
    """Open the next part; under the scheduled clock the shift's session code comes with it."""

    session_code = StringField(_l("Session code"), validators=[Length(max=40)])
