"""Room console pages: the room list with its actions, and the live grid as JSON."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, Length

from exam_server.auth import now, staff_required
from exam_server.db import get_session
from exam_server.models import Candidate, Exam, RoomSession
from proctor_console import services
from proctor_console.queries import room_grid

bp = Blueprint(
    "proctor",
    __name__,
    url_prefix="/proctor",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

ROOM_ROLES = ("admin", "head_proctor", "proctor")
WATCH_ROLES = (*ROOM_ROLES, "technician", "supervisor", "council_chair")


class RoomActionForm(FlaskForm):
    action = HiddenField(validators=[AnyOf(tuple(services.TRANSITIONS))])
    reason = StringField(validators=[Length(max=500)])


class ApproveMoveForm(FlaskForm):
    """A button with its CSRF token."""


@bp.get("/exams/<int:exam_id>/rooms")
@staff_required(*WATCH_ROLES)
def rooms(exam_id: int):
    db = get_session()
    exam = db.get(Exam, exam_id) or abort(404)
    current = now()
    rooms = services.rooms_of_exam(db, exam.id)
    grids = {room.id: room_grid(db, room, current) for room in rooms}
    return render_template(
        "proctor/rooms.html",
        exam=exam,
        rooms=rooms,
        grids=grids,
        action_form=RoomActionForm(),
        approve_form=ApproveMoveForm(),
        can_act=current_user.role in ROOM_ROLES,
    )


@bp.post("/rooms/<int:room_id>/action")
@staff_required(*ROOM_ROLES)
def room_action(room_id: int):
    db = get_session()
    room = db.get(RoomSession, room_id) or abort(404)
    form = RoomActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_room_state(
            db, room, form.action.data, current_user, now(), form.reason.data or ""
        )
        db.commit()
    except services.RoomActionRefused as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("Done: the room is now %(state)s.", state=_room_state(room.state)), "ok")
    return redirect(url_for("proctor.rooms", exam_id=room.shift.exam_id))


def _room_state(state: str) -> str:
    from exam_server.labels import ROOM_STATE

    return str(ROOM_STATE.get(state, state))


@bp.post("/candidates/<int:candidate_id>/approve-move")
@staff_required("admin", "head_proctor", "proctor", "technician")
def approve_move(candidate_id: int):
    db = get_session()
    candidate = db.get(Candidate, candidate_id) or abort(404)
    if not ApproveMoveForm().validate_on_submit():
        abort(400)
    services.approve_terminal_move(db, candidate, current_user, now())
    db.commit()
    flash(
        _(
            "Candidate %(sbd)s may now sign in on another computer.",
            sbd=candidate.registration_number,
        ),
        "ok",
    )
    return redirect(request.referrer or url_for("staff.home"))


@bp.get("/rooms/<int:room_id>/grid")
@staff_required(*WATCH_ROLES)
def grid(room_id: int):
    db = get_session()
    room = db.get(RoomSession, room_id) or abort(404)
    return jsonify(state=room.state, tiles=room_grid(db, room, now()))
