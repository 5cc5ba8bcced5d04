"""Room records: incidents (with their history), the result list, the room record PDF."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from exam_server.auth import now
from exam_server.db import get_session
from exam_server.models import Exam, RoomSession, User
from exam_server.models.proctor import Incident
from proctor_console.access import can
from proctor_console.blueprint import bp, incident_view, room_view, to_local_naive, to_utc
from proctor_console.checkin import ORDERS, room_list
from proctor_console.errors import ConsoleRefused
from proctor_console.forms import AmendIncidentForm, IncidentForm, SignaturesForm, choices
from proctor_console.incidents import (
    IncidentData,
    amend_incident,
    report_incident,
    room_incidents,
    versions_of,
)
from proctor_console.record import room_record
from proctor_console.record_pdf import render_room_record
from proctor_console.result_list import record_signatures, result_rows


def _candidate_choices(room: RoomSession) -> list:
    return choices(
        (c.id, f"{c.registration_number} {c.full_name}")
        for c, _record in room_list(get_session(), room, "sbd")
    )


def _incident_data(form: IncidentForm) -> IncidentData:
    return IncidentData(
        occurred_at=to_utc(form.occurred_at.data),
        kind=form.kind.data,
        candidate_ids=tuple(form.candidates.data or ()),
        sanction=form.sanction.data or None,
        description=form.description.data or "",
        action_taken=form.action_taken.data or "",
        staff=form.staff.data or "",
    )


@bp.route("/rooms/<int:room_id>/incidents", methods=["GET", "POST"])
@room_view("view")
def incidents(room: RoomSession):
    db = get_session()
    form = IncidentForm()
    form.candidates.choices = _candidate_choices(room)
    if request.method == "POST":
        if not can(g.room_role, "incident"):
            abort(403)
        if form.validate_on_submit():
            try:
                incident = report_incident(db, room, _incident_data(form), current_user, now())
                db.commit()
            except ConsoleRefused as exc:
                db.rollback()
                flash(str(exc.message), "error")
            else:
                flash(_("Incident #%(n)d is recorded.", n=incident.id), "ok")
                return redirect(url_for("proctor.incidents", room_id=room.id))
        else:
            flash(_("Check the incident form: the time and a description are needed."), "error")
    elif form.occurred_at.data is None:
        form.occurred_at.data = to_local_naive(now())
    rows = room_incidents(db, room)
    return render_template(
        "proctor/incidents.html",
        room=room,
        rows=rows,
        form=form,
        names={c.id: f"{c.registration_number} {c.full_name}" for c, _r in room_list(db, room)},
        staff_names=_staff_names(db),
    )


@bp.route("/incidents/<int:incident_id>", methods=["GET", "POST"])
@incident_view("view")
def incident_page(incident: Incident):
    db = get_session()
    room = db.get(RoomSession, incident.room_session_id)
    history = versions_of(db, [incident.id])[incident.id]
    current = history[-1]
    form = AmendIncidentForm()
    form.candidates.choices = _candidate_choices(room)
    if request.method == "POST":
        if not can(g.room_role, "incident"):
            abort(403)
        if form.validate_on_submit():
            try:
                amend_incident(
                    db,
                    incident,
                    _incident_data(form),
                    form.amendment_reason.data,
                    current_user,
                    now(),
                )
                db.commit()
            except ConsoleRefused as exc:
                db.rollback()
                flash(str(exc.message), "error")
            else:
                flash(_("The amendment is recorded; the earlier text is kept."), "ok")
                return redirect(url_for("proctor.incident_page", incident_id=incident.id))
        else:
            flash(_("Check the form: say why the record is amended."), "error")
    else:
        form.occurred_at.data = to_local_naive(current.occurred_at)
        form.kind.data = current.kind
        form.candidates.data = current.candidate_ids
        form.sanction.data = current.sanction or ""
        form.description.data = current.description
        form.action_taken.data = current.action_taken
        form.staff.data = current.staff
    return render_template(
        "proctor/incident.html",
        room=room,
        incident=incident,
        history=list(reversed(history)),
        form=form,
        names={c.id: f"{c.registration_number} {c.full_name}" for c, _r in room_list(db, room)},
        staff_names=_staff_names(db),
    )


def _staff_names(db) -> dict[int, str]:
    return dict(db.execute(select(User.id, User.full_name)).all())


# --- the result list -----------------------------------------------------------------------


@bp.route("/rooms/<int:room_id>/results", methods=["GET", "POST"])
@room_view("view")
def results(room: RoomSession):
    db = get_session()
    order = request.args.get("order", "sbd")
    if order not in ORDERS:
        order = "sbd"
    parts, rows = result_rows(db, room, order)
    form = SignaturesForm()
    form.unsigned.choices = choices(
        (row.candidate.id, row.candidate.registration_number) for row in rows
    )
    if request.method == "POST":
        if not can(g.room_role, "signatures"):
            abort(403)
        if form.validate_on_submit():
            try:
                unsigned = record_signatures(
                    db,
                    room,
                    unsigned_ids=set(form.unsigned.data or ()),
                    note=form.note.data or "",
                    actor=current_user,
                    now=now(),
                )
                db.commit()
            except ConsoleRefused as exc:
                db.rollback()
                flash(str(exc.message), "error")
            else:
                flash(
                    _("Signatures recorded: %(n)d candidates did not sign.", n=len(unsigned)),
                    "ok",
                )
                return redirect(url_for("proctor.results", room_id=room.id, order=order))
    return render_template(
        "proctor/results.html",
        exam=db.get(Exam, room.shift.exam_id),
        room=room,
        parts=parts,
        rows=rows,
        order=order,
        form=form,
        printed_at=now(),
    )


# --- the room record -----------------------------------------------------------------------


@bp.get("/rooms/<int:room_id>/record.pdf")
@room_view("view")
def record_pdf(room: RoomSession):
    record = room_record(get_session(), room)

    def fmt(value: dt.datetime | None) -> str:
        return format_datetime(value, "HH:mm dd/MM/yyyy") if value else "—"

    pdf = render_room_record(record, fmt, now())
    filename = f"bien-ban-{room.room.code}-{room.shift.id}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
