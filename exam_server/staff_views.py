"""Staff sign-in and the staff home page."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from exam_server import audit, throttle
from exam_server.accounts import authenticate_staff
from exam_server.auth import now, staff_required
from exam_server.db import get_session
from exam_server.models import AuditEntry, Candidate, Exam, User
from exam_server.throttle import ThrottlePolicy

bp = Blueprint("staff", __name__, url_prefix="/staff")


class StaffLoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class SignOutForm(FlaskForm):
    """A sign-out button with its CSRF token."""


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = StaffLoginForm()
    error = None
    if form.validate_on_submit():
        db = get_session()
        key = f"staff:{form.username.data.strip()}"
        current = now()
        try:
            throttle.check(db, key, current)
            user = authenticate_staff(
                db,
                form.username.data,
                form.password.data,
                current_app.config["BCRYPT_ROUNDS_STAFF"],
            )
        except throttle.Throttled:
            user, error = (
                None,
                _("Too many wrong tries for this account. Wait a moment, then try again."),
            )
        else:
            if user is None:
                throttle.record_failure(
                    db, key, current, ThrottlePolicy.from_config(current_app.config)
                )
                error = _("The username or password is not correct.")
            else:
                throttle.reset(db, key)
        db.commit()
        if user is not None:
            session.clear()  # a fresh session at every sign-in
            login_user(user)
            session["staff_seen"] = current.timestamp()
            audit.record(db, at=current, actor_kind="user", actor_id=user.id, action="staff_login")
            db.commit()
            return redirect(url_for("staff.home"))
    return render_template("staff/login.html", form=form, error=error), 401 if error else 200


@bp.post("/logout")
@staff_required()
def logout():
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("staff.login"))


@bp.post("/logout-everywhere")
@staff_required()
def logout_everywhere():
    db = get_session()
    user = db.get(User, current_user.id)
    user.session_epoch += 1  # every session carrying the old epoch is now void
    audit.record(
        db, at=now(), actor_kind="user", actor_id=user.id, action="staff_logout_everywhere"
    )
    db.commit()
    logout_user()
    session.clear()
    flash(_("You have been signed out on every computer."), "info")
    return redirect(url_for("staff.login"))


AUDIT_PAGE_SIZE = 100


@bp.get("/audit")
@staff_required("admin")
def audit_log():
    db = get_session()
    page = max(1, request.args.get("page", 1, type=int))
    action = (request.args.get("action") or "").strip()
    query = select(AuditEntry, User.username).outerjoin(
        User, (AuditEntry.actor_kind == "user") & (User.id == AuditEntry.actor_id)
    )
    if action:
        query = query.where(AuditEntry.action == action)
    rows = db.execute(
        query.order_by(AuditEntry.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE + 1)
    ).all()
    actions = db.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return render_template(
        "staff/audit.html",
        rows=rows[:AUDIT_PAGE_SIZE],
        has_next=len(rows) > AUDIT_PAGE_SIZE,
        page=page,
        action=action,
        actions=actions,
    )


@bp.get("/")
@staff_required()
def home():
    db = get_session()
    exams = db.execute(
        select(Exam, func.count(Candidate.id))
        .outerjoin(Candidate, Candidate.exam_id == Exam.id)
        .group_by(Exam.id)
        .order_by(Exam.created_at.desc())
    ).all()
    return render_template("staff/home.html", exams=exams, user=current_user, signout=SignOutForm())
