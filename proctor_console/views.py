"""Room console pages: rooms, a room's live grid and actions, the envelope, check-in.

Candidate actions, incidents and the result list live in views_candidate and views_records;
they register on the same blueprint.
"""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from exam_server.auth import now, staff_required
from exam_server.db import get_session
from exam_server.labels import ROOM_STATE
from exam_server.models import Candidate, Exam, RoomSession
from exam_server.models.proctor import EnvelopeOpening
from proctor_console import services
from proctor_console.access import CONSOLE_ROLES, can, room_role
from proctor_console.blueprint import back_or, bp, room_view
from proctor_console.checkin import ORDERS, CheckInInput, check_in, late_entry_closes_at, room_list
from proctor_console.decisions import DecisionInput
from proctor_console.errors import ConsoleRefused
from proctor_console.forms import CheckInForm, EnvelopeForm, MoveForm, RoomActionForm, choices
from proctor_console.queries import room_grid, rooms_visible_to

__all__ = ["bp"]


def stale_after() -> int:
    """A terminal is out of touch after missing about three heartbeats (from the setting)."""
    return 3 * current_app.config["HEARTBEAT_SECONDS"]


@bp.get("/exams/<int:exam_id>/rooms")
@staff_required(*CONSOLE_ROLES)
def rooms(exam_id: int):
    db = get_session()
    exam = db.get(Exam, exam_id) or abort(404)
    current = now()
    visible = rooms_visible_to(db, current_user, exam.id)
    roles = {room.id: room_role(db, current_user, room) for room in visible}
    grids = {room.id: room_grid(db, room, current, stale_after()) for room in visible}
    return render_template(
        "proctor/rooms.html",
        exam=exam,
        rooms=visible,
        roles=roles,
        grids=grids,
        action_form=RoomActionForm(),
    )


@bp.get("/rooms/<int:room_id>")
@room_view("view")
def room_page(room: RoomSession):
    db = get_session()
    exam = db.get(Exam, room.shift.exam_id)
    envelope = db.scalar(select(EnvelopeOpening).where(EnvelopeOpening.room_session_id == room.id))
    present = [
        candidate
        for candidate, record in room_list(db, room, "sbd")
        if record is not None and record.present
    ]
    envelope_form = EnvelopeForm()
    witnesses = choices((c.id, f"{c.registration_number} — {c.full_name}") for c in present)
    envelope_form.witness_1.choices = witnesses
    envelope_form.witness_2.choices = witnesses
    return render_template(
        "proctor/room.html",
        exam=exam,
        room=room,
        tiles=room_grid(db, room, now(), stale_after()),
        envelope=envelope,
        envelope_needed=services.needs_envelope(room, exam),
        envelope_form=envelope_form,
        action_form=RoomActionForm(),
        late_until=late_entry_closes_at(room, exam),
    )


@bp.post("/rooms/<int:room_id>/action")
@room_view("view")
def room_action(room: RoomSession):
    db = get_session()
    form = RoomActionForm()
    if not form.validate_on_submit():
        abort(400)
    action = form.action.data
    if not can(room_role(db, current_user, room), action):
        abort(403)
    try:
        services.change_room_state(db, room, action, current_user, now(), form.reason.data or "")
        db.commit()
    except ConsoleRefused as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("Done: the room is now %(state)s.", state=str(ROOM_STATE.get(room.state))), "ok")
    return back_or("proctor.room_page", room_id=room.id)


@bp.get("/rooms/<int:room_id>/grid")
@room_view("view")
def grid(room: RoomSession):
    tiles = room_grid(get_session(), room, now(), stale_after())
    response = jsonify(state=room.state, tiles=tiles)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/rooms/<int:room_id>/envelope")
@room_view("open_envelope")
def open_envelope(room: RoomSession):
    db = get_session()
    form = EnvelopeForm()
    present_ids = [
        candidate.id for candidate, record in room_list(db, room) if record and record.present
    ]
    form.witness_1.choices = choices((cid, str(cid)) for cid in present_ids)
    form.witness_2.choices = form.witness_1.choices
    if not form.validate_on_submit():
        flash(_("Choose two candidates who are present as witnesses."), "error")
        return redirect(url_for("proctor.room_page", room_id=room.id))
    try:
        services.record_envelope_opening(
            db,
            room,
            witness_ids=(form.witness_1.data, form.witness_2.data),
            seal_intact=form.seal_intact.data,
            note=form.note.data or "",
            actor=current_user,
            now=now(),
        )
        db.commit()
    except ConsoleRefused as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("The opening of the envelope is recorded. Now announce the session code."), "ok")
    return redirect(url_for("proctor.room_page", room_id=room.id))


# --- check-in ------------------------------------------------------------------------------


@bp.get("/rooms/<int:room_id>/checkin")
@room_view("view")
def checkin_page(room: RoomSession):
    db = get_session()
    order = request.args.get("order", "sbd")
    if order not in ORDERS:
        order = "sbd"
    exam = db.get(Exam, room.shift.exam_id)
    rows = room_list(db, room, order)
    return render_template(
        "proctor/checkin.html",
        room=room,
        exam=exam,
        rows=rows,
        order=order,
        form=CheckInForm(),
        late_until=late_entry_closes_at(room, exam),
        now=now(),
        counts={
            "registered": len(rows),
            "present": sum(1 for _c, r in rows if r and r.present),
            "absent": sum(1 for _c, r in rows if r and not r.present),
        },
    )


@bp.post("/rooms/<int:room_id>/checkin/<int:candidate_id>")
@room_view("checkin")
def checkin_save(room: RoomSession, candidate_id: int):
    db = get_session()
    candidate = db.get(Candidate, candidate_id)
    if candidate is None or candidate.room_session_id != room.id:
        abort(404)
    form = CheckInForm()
    if not form.validate_on_submit():
        flash(
            _("Check the form: %(sbd)s was not saved.", sbd=candidate.registration_number), "error"
        )
        return redirect(url_for("proctor.checkin_page", room_id=room.id))
    data = CheckInInput(
        present=form.present.data == "1",
        id_checked=form.id_checked.data,
        seat=form.seat.data,
        terminal_label=form.terminal.data or "",
        late_decision=DecisionInput(
            form.decision_reference.data or "", form.decision_by.data or ""
        ),
    )
    try:
        record = check_in(db, room, candidate, data, current_user, now())
        db.commit()
    except ConsoleRefused as exc:
        db.rollback()
        flash(f"{candidate.registration_number}: {exc.message}", "error")
    else:
        flash(
            _("%(sbd)s: present.", sbd=candidate.registration_number)
            if record.present
            else _("%(sbd)s: absent.", sbd=candidate.registration_number),
            "ok",
        )
    order = request.args.get("order", "sbd")
    return redirect(
        url_for("proctor.checkin_page", room_id=room.id, order=order) + f"#candidate-{candidate.id}"
    )


# --- terminals -----------------------------------------------------------------------------


@bp.post("/candidates/<int:candidate_id>/approve-move")
@staff_required(*CONSOLE_ROLES)
def approve_move(candidate_id: int):
    db = get_session()
    candidate = db.get(Candidate, candidate_id) or abort(404)
    room = candidate.room_session or abort(404)
    role = room_role(db, current_user, room)
    if role is None:
        abort(404)
    if not can(role, "move"):
        abort(403)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    services.approve_terminal_move(db, candidate, current_user, now(), form.reason.data or "")
    db.commit()
    flash(
        _(
            "Candidate %(sbd)s may now sign in on another computer.",
            sbd=candidate.registration_number,
        ),
        "ok",
    )
    return back_or("proctor.candidate_page", candidate_id=candidate.id)


from proctor_console import views_candidate, views_records  # noqa: E402,F401
