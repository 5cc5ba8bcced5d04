"""Exam administration pages (read side for now: parts, rooms, candidates, forms)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import func, select

from exam_server.auth import staff_required
from exam_server.db import get_session
from exam_server.models import Candidate, Exam, Form, RoomSession, Shift, Subject

bp = Blueprint("setup", __name__, url_prefix="/staff/exams", template_folder="templates")

EXAM_ADMIN_ROLES = ("admin", "council_member", "council_chair", "supervisor")


@bp.get("/<int:exam_id>")
@staff_required(*EXAM_ADMIN_ROLES)
def exam_detail(exam_id: int):
    db = get_session()
    exam = db.get(Exam, exam_id) or abort(404)
    subjects = {s.id: s for s in db.scalars(select(Subject))}
    room_sessions = db.scalars(
        select(RoomSession).join(Shift).where(Shift.exam_id == exam.id).order_by(RoomSession.id)
    ).all()
    candidates = db.scalars(
        select(Candidate)
        .where(Candidate.exam_id == exam.id)
        .order_by(Candidate.registration_number)
    ).all()
    forms_by_part = dict(
        db.execute(
            select(Form.part_id, func.count(Form.id))
            .join(Candidate, Candidate.id == Form.candidate_id)
            .where(Candidate.exam_id == exam.id, Form.kind == "main")
            .group_by(Form.part_id)
        ).all()
    )
    return render_template(
        "setup/exam_detail.html",
        exam=exam,
        subjects=subjects,
        room_sessions=room_sessions,
        candidates=candidates,
        forms_by_part=forms_by_part,
    )
