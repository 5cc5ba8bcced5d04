"""One candidate: the attempt timeline, and the actions a proctor takes on it."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from exam_server.auth import now
from exam_server.db import get_session
from exam_server.models import Attempt, Candidate, ExamPart
from exam_server.models.proctor import CheckIn, Retake, Sanction
from proctor_console import candidate_actions
from proctor_console.access import can
from proctor_console.blueprint import bp, candidate_view, to_utc
from proctor_console.decisions import DecisionInput
from proctor_console.errors import ConsoleRefused
from proctor_console.forms import (
    ButtonForm,
    ExtensionForm,
    MoveForm,
    RetakeForm,
    SanctionForm,
    choices,
)
from proctor_console.incidents import room_incidents
from proctor_console.timeline import candidate_timeline


def _attempts(db, candidate: Candidate) -> list[tuple[Attempt, ExamPart]]:
    return [
        tuple(row)
        for row in db.execute(
            select(Attempt, ExamPart)
            .join(ExamPart, ExamPart.id == Attempt.part_id)
            .where(Attempt.candidate_id == candidate.id)
            .order_by(ExamPart.position, Attempt.attempt_no)
        )
    ]


def _incident_choices(db, candidate: Candidate) -> list:
    pairs = [(0, _("None"))]
    for incident, version in room_incidents(db, candidate.room_session):
        mark = " ★" if candidate.id in version.candidate_ids else ""
        pairs.append((incident.id, f"#{incident.id} {version.description[:60]}{mark}"))
    return choices(pairs)


def _forms(db, candidate: Candidate, attempts) -> dict:
    in_progress = choices((a.id, p.title) for a, p in attempts if a.state == "in_progress")
    retakeable = choices(
        (a.id, _("%(part)s — attempt %(n)d", part=p.title, n=a.attempt_no))
        for a, p in attempts
        if a.state != "voided"
    )
    extension = ExtensionForm(prefix="ext")
    extension.attempt_id.choices = in_progress
    retake = RetakeForm(prefix="rt")
    retake.attempt_id.choices = retakeable
    retake.incident_id.choices = _incident_choices(db, candidate)
    sanction = SanctionForm(prefix="sn")
    sanction.incident_id.choices = retake.incident_id.choices
    return {"extension": extension, "retake": retake, "sanction": sanction}


@bp.get("/candidates/<int:candidate_id>")
@candidate_view("view")
def candidate_page(candidate: Candidate):
    db = get_session()
    attempts = _attempts(db, candidate)
    room = candidate.room_session
    return render_template(
        "proctor/candidate.html",
        candidate=candidate,
        room=room,
        attempts=attempts,
        check_in=db.scalar(
            select(CheckIn).where(
                CheckIn.candidate_id == candidate.id, CheckIn.room_session_id == room.id
            )
        ),
        retakes=list(db.scalars(select(Retake).where(Retake.candidate_id == candidate.id))),
        sanctions=list(db.scalars(select(Sanction).where(Sanction.candidate_id == candidate.id))),
        timeline=candidate_timeline(db, candidate),
        forms=_forms(db, candidate, attempts),
        move_form=MoveForm(),
        button=ButtonForm(),
    )


def _done(candidate: Candidate):
    return redirect(url_for("proctor.candidate_page", candidate_id=candidate.id))


def _refused(exc: ConsoleRefused, candidate: Candidate):
    get_session().rollback()
    flash(str(exc.message), "error")
    return _done(candidate)


def _decision(form) -> DecisionInput:
    return DecisionInput(form.decision_reference.data or "", form.decision_by.data or "")


@bp.post("/candidates/<int:candidate_id>/extension")
@candidate_view("extension")
def extension(candidate: Candidate):
    db = get_session()
    form = _forms(db, candidate, _attempts(db, candidate))["extension"]
    if not form.validate_on_submit():
        flash(_("Check the extension form: minutes and reason are needed."), "error")
        return _done(candidate)
    try:
        candidate_actions.grant_extension(
            db,
            candidate,
            attempt_id=form.attempt_id.data,
            minutes=form.minutes.data,
            reason=form.reason.data,
            decision=_decision(form),
            actor=current_user,
            now=now(),
        )
        db.commit()
    except ConsoleRefused as exc:
        return _refused(exc, candidate)
    flash(_("%(n)d minutes added to the candidate's time.", n=form.minutes.data), "ok")
    return _done(candidate)


@bp.post("/candidates/<int:candidate_id>/retake")
@candidate_view("retake")
def retake(candidate: Candidate):
    db = get_session()
    form = _forms(db, candidate, _attempts(db, candidate))["retake"]
    if not form.validate_on_submit():
        flash(_("Check the retake form: the attempt and the reason are needed."), "error")
        return _done(candidate)
    try:
        record = candidate_actions.order_retake(
            db,
            candidate,
            attempt_id=form.attempt_id.data,
            mode=form.mode.data,
            reason=form.reason.data,
            incident_id=form.incident_id.data or None,
            scheduled_at=to_utc(form.scheduled_at.data),
            decision=_decision(form),
            actor=current_user,
            now=now(),
        )
        db.commit()
    except ConsoleRefused as exc:
        return _refused(exc, candidate)
    if record.mode == "same_shift":
        flash(_("The old attempt is kept and voided; the retake is open on the spare form."), "ok")
    else:
        flash(_("The old attempt is kept and voided; the retake is scheduled."), "ok")
    return _done(candidate)


@bp.post("/candidates/<int:candidate_id>/retakes/<int:retake_id>/open")
@candidate_view("retake")
def open_retake(candidate: Candidate, retake_id: int):
    db = get_session()
    record = db.get(Retake, retake_id)
    if record is None or record.candidate_id != candidate.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        candidate_actions.open_retake(db, record, current_user, now())
        db.commit()
    except ConsoleRefused as exc:
        return _refused(exc, candidate)
    flash(_("The retake is open on the spare form."), "ok")
    return _done(candidate)


@bp.post("/candidates/<int:candidate_id>/sanction")
@candidate_view("sanction")
def sanction(candidate: Candidate):
    db = get_session()
    form = _forms(db, candidate, _attempts(db, candidate))["sanction"]
    if not form.validate_on_submit():
        flash(_("Check the sanction form: the reason and the witnesses are needed."), "error")
        return _done(candidate)
    if form.kind.data in ("suspension", "cancellation") and not can(
        g.room_role, "stopping_sanction"
    ):
        abort(403)
    try:
        candidate_actions.impose_sanction(
            db,
            candidate,
            kind=form.kind.data,
            reason=form.reason.data,
            witnesses=form.witnesses.data,
            incident_id=form.incident_id.data or None,
            actor=current_user,
            now=now(),
        )
        db.commit()
    except ConsoleRefused as exc:
        return _refused(exc, candidate)
    flash(_("The sanction is recorded."), "ok")
    return _done(candidate)
