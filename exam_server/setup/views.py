"""Exam administration pages: presets, parts and blueprints, publishing, candidates, rooms,
codes, printed documents and the form-equivalence report.

Each view: load or 404 → role check → WTForms → one service call → map domain errors →
commit once → redirect (or send the PDF).
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from exam_server.auth import now, staff_required
from exam_server.db import get_session
from exam_server.models import (
    Candidate,
    Exam,
    ExamPart,
    Form,
    Item,
    Room,
    RoomSession,
    Shift,
    Subject,
    Topic,
    User,
)
from exam_server.models.exams import RoomStaff
from exam_server.setup import documents, exams, pdfs, rooms
from exam_server.setup import webforms as wf
from exam_server.setup.candidates import (
    ImportRefused,
    candidates_in_order,
    import_candidates,
    issue_access_codes,
    regenerate_access_code,
)
from exam_server.setup.errors import SetupError
from exam_server.setup.forms import generate_forms
from exam_server.setup.presets import KIND_LABELS, instance_presets_file, load_presets
from exam_server.setup.publishing import PublishRefused, check_exam, publish_exam
from exam_server.setup.report import equivalence_pdf, exam_equivalence, summary_lines

bp = Blueprint(
    "setup",
    __name__,
    url_prefix="/staff/exams",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

EXAM_ADMIN_ROLES = ("admin", "council_member", "council_chair", "supervisor")
WRITE_ROLES = ("admin",)
PAGE_SIZE = 200


def _exam(exam_id: int) -> Exam:
    return get_session().get(Exam, exam_id) or abort(404)


def _actor() -> int:
    return current_user.id


def _rounds() -> int:
    return current_app.config["BCRYPT_ROUNDS_CANDIDATE"]


def _registry():
    return load_presets(instance_presets_file(current_app.instance_path))


def _refused(exc: SetupError) -> None:
    get_session().rollback()
    flash(str(exc.message), "error")


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def _utc(naive_local: dt.datetime) -> dt.datetime:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return naive_local.replace(tzinfo=zone).astimezone(dt.UTC)


# --- exams ---------------------------------------------------------------------------------------


@bp.get("/")
@staff_required(*EXAM_ADMIN_ROLES)
def exam_list():
    db = get_session()
    rows = db.execute(
        select(Exam, func.count(Candidate.id))
        .outerjoin(Candidate, Candidate.exam_id == Exam.id)
        .group_by(Exam.id)
        .order_by(Exam.created_at.desc())
    ).all()
    return render_template("setup/exam_list.html", rows=rows, kinds=KIND_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*WRITE_ROLES)
def exam_new():
    registry = _registry()
    form = wf.NewExamForm()
    form.preset.choices = wf.choices((name, str(p.label)) for name, p in registry.items())
    if form.validate_on_submit():
        db = get_session()
        try:
            exam = exams.create_exam(
                db,
                registry[form.preset.data],
                code=form.code.data,
                name=form.name.data,
                now=now(),
                actor_id=_actor(),
            )
            db.commit()
        except SetupError as exc:
            _refused(exc)
        else:
            flash(
                _("Exam %(code)s created from the preset; check its parts.", code=exam.code), "ok"
            )
            return redirect(url_for("setup.exam_detail", exam_id=exam.id))
    return render_template("setup/exam_new.html", form=form, presets=registry)


@bp.get("/<int:exam_id>")
@staff_required(*EXAM_ADMIN_ROLES)
def exam_detail(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    subjects = {s.id: s for s in db.scalars(select(Subject))}
    forms_by_part = dict(
        db.execute(
            select(Form.part_id, func.count(Form.id))
            .join(Candidate, Candidate.id == Form.candidate_id)
            .where(Candidate.exam_id == exam.id, Form.kind == "main")
            .group_by(Form.part_id)
        ).all()
    )
    candidates = db.scalar(select(func.count(Candidate.id)).where(Candidate.exam_id == exam.id))
    problems = check_exam(db, exam) if exam.status == "draft" else []
    return render_template(
        "setup/exam_detail.html",
        exam=exam,
        subjects=subjects,
        room_sessions=rooms.room_sessions_of(db, exam.id),
        candidate_count=candidates,
        forms_by_part=forms_by_part,
        problems=problems,
        gaps=rooms.staffing_gaps(db, exam),
        kinds=KIND_LABELS,
        next_status=exams.NEXT_STATUS.get(exam.status),
        action=wf.ActionForm(),
        advance=wf.AdvanceForm(target=exams.NEXT_STATUS.get(exam.status)),
        can_write=current_user.role in WRITE_ROLES,
    )


@bp.route("/<int:exam_id>/settings", methods=["GET", "POST"])
@staff_required(*WRITE_ROLES)
def exam_settings(exam_id: int):
    exam = _exam(exam_id)
    form = wf.ExamSettingsForm(obj=exam)
    if form.validate_on_submit():
        db = get_session()
        try:
            exams.update_exam(db, exam, form.data, now=now(), actor_id=_actor())
            db.commit()
        except SetupError as exc:
            _refused(exc)
        else:
            flash(_("The exam's settings are saved."), "ok")
            return redirect(url_for("setup.exam_detail", exam_id=exam.id))
    return render_template("setup/exam_settings.html", exam=exam, form=form)


@bp.post("/<int:exam_id>/publish")
@staff_required(*WRITE_ROLES)
def exam_publish(exam_id: int):
    exam = _exam(exam_id)
    if not wf.ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    try:
        made = publish_exam(db, exam, now=now(), actor_id=_actor())
        db.commit()
    except PublishRefused as exc:
        _refused(exc)
        for problem in exc.problems:
            flash(str(problem), "error")
    except SetupError as exc:
        _refused(exc)
    else:
        flash(_("The exam is published and frozen; %(count)d forms were stored.", count=made), "ok")
    return redirect(url_for("setup.exam_detail", exam_id=exam.id))


@bp.post("/<int:exam_id>/advance")
@staff_required(*WRITE_ROLES)
def exam_advance(exam_id: int):
    exam = _exam(exam_id)
    form = wf.AdvanceForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        exams.advance_status(db, exam, form.target.data, now=now(), actor_id=_actor())
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(_("The exam's status is changed."), "ok")
    return redirect(url_for("setup.exam_detail", exam_id=exam.id))


# --- parts and blueprints ---------------------------------------------------------------------


def _part(exam: Exam, part_id: int) -> ExamPart:
    part = get_session().get(ExamPart, part_id)
    if part is None or part.exam_id != exam.id:
        abort(404)
    return part


def _levels(db, part: ExamPart) -> list[int]:
    levels = {1, 2, 3}
    levels |= {int(c["difficulty"]) for c in part.blueprint}
    levels |= set(
        db.scalars(select(Item.difficulty).where(Item.subject_id == part.subject_id).distinct())
    )
    return sorted(level for level in levels if 1 <= level <= 5)


def _supply(db, part: ExamPart) -> dict:
    from exam_server.setup.forms import approved_type_counts

    counts = approved_type_counts(db, part.subject_id)
    return {
        key: sum(n for t, n in by_type.items() if t in part.allowed_types)
        for key, by_type in counts.items()
    }


@bp.route("/<int:exam_id>/parts/<int:part_id>", methods=["GET", "POST"])
@staff_required(*EXAM_ADMIN_ROLES)
def part_edit(exam_id: int, part_id: int):
    db = get_session()
    exam = _exam(exam_id)
    part = _part(exam, part_id)
    form = wf.PartForm(obj=part)
    form.subject_id.choices = wf.choices(
        (s.id, f"{s.name} ({s.code})") for s in db.scalars(select(Subject).order_by(Subject.name))
    )
    if form.validate_on_submit():
        if current_user.role not in WRITE_ROLES:
            abort(403)
        values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        for name, value in values.items():
            if isinstance(value, Decimal):
                values[name] = float(value)
        try:
            exams.update_part(db, part, values, now=now(), actor_id=_actor())
            db.commit()
        except SetupError as exc:
            _refused(exc)
        else:
            flash(_("The part's settings are saved."), "ok")
            return redirect(url_for("setup.part_edit", exam_id=exam.id, part_id=part.id))
    topics = list(
        db.scalars(select(Topic).where(Topic.subject_id == part.subject_id).order_by(Topic.name))
    )
    levels = _levels(db, part)
    blueprint = _blueprint_form(part, topics, levels)
    return render_template(
        "setup/part_edit.html",
        exam=exam,
        part=part,
        form=form,
        blueprint=blueprint,
        topics=topics,
        levels=levels,
        supply=_supply(db, part),
        total_items=exams.blueprint_item_total(part),
        total_points=exams.blueprint_points_total(part),
        action=wf.ActionForm(),
        can_write=current_user.role in WRITE_ROLES and exam.status == "draft",
    )


def _blueprint_form(part: ExamPart, topics, levels, formdata=None):
    cls = wf.blueprint_form_class(topics, levels)
    current = {(int(c["topic_id"]), int(c["difficulty"])): c for c in part.blueprint}
    data = {}
    for level in levels:
        points = [float(c["points"]) for (t, d), c in current.items() if d == level]
        data[f"points_{level}"] = Decimal(str(points[0])) if points else Decimal("1")
        for topic in topics:
            cell = current.get((topic.id, level))
            data[f"count_{topic.id}_{level}"] = int(cell["count"]) if cell else 0
    return cls(formdata=formdata, data=data) if formdata is not None else cls(data=data)


@bp.post("/<int:exam_id>/parts/<int:part_id>/blueprint")
@staff_required(*WRITE_ROLES)
def blueprint_save(exam_id: int, part_id: int):
    db = get_session()
    exam = _exam(exam_id)
    part = _part(exam, part_id)
    topics = list(db.scalars(select(Topic).where(Topic.subject_id == part.subject_id)))
    levels = _levels(db, part)
    form = _blueprint_form(part, topics, levels, formdata=request.form)
    if not form.validate():
        flash(_("Counts are whole numbers from 0; points from 0 to 100."), "error")
        return redirect(url_for("setup.part_edit", exam_id=exam.id, part_id=part.id))
    cells = [
        {
            "topic_id": topic.id,
            "difficulty": level,
            "count": form[f"count_{topic.id}_{level}"].data or 0,
            "points": float(form[f"points_{level}"].data),
        }
        for topic in topics
        for level in levels
    ]
    try:
        exams.set_blueprint(db, part, cells, now=now(), actor_id=_actor())
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(
            _(
                "The blueprint is saved: %(items)d items, %(points)s points.",
                items=exams.blueprint_item_total(part),
                points=f"{exams.blueprint_points_total(part):g}",
            ),
            "ok",
        )
    return redirect(url_for("setup.part_edit", exam_id=exam.id, part_id=part.id))


@bp.post("/<int:exam_id>/parts/<int:part_id>/blueprint/suggest")
@staff_required(*WRITE_ROLES)
def blueprint_suggest(exam_id: int, part_id: int):
    db = get_session()
    exam = _exam(exam_id)
    part = _part(exam, part_id)
    if not wf.ActionForm().validate_on_submit():
        abort(400)
    preset = _registry().get(exam.preset or "")
    groups = (
        preset.parts[part.position - 1].difficulty_groups
        if preset and part.position <= len(preset.parts)
        else None
    )
    if groups is None:
        from exam_server.setup.presets import DifficultyGroup

        groups = (
            DifficultyGroup(1, 0.4, 1.0),
            DifficultyGroup(2, 0.4, 1.0),
            DifficultyGroup(3, 0.2, 1.0),
        )
    cells = exams.suggest_blueprint(
        db, part.subject_id, part.item_count, groups, part.allowed_types
    )
    try:
        exams.set_blueprint(db, part, cells, now=now(), actor_id=_actor())
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(_("A blueprint was suggested from the approved bank; adjust it as needed."), "ok")
    return redirect(url_for("setup.part_edit", exam_id=exam.id, part_id=part.id))


# --- candidates ---------------------------------------------------------------------------------


@bp.route("/<int:exam_id>/candidates", methods=["GET", "POST"])
@staff_required(*EXAM_ADMIN_ROLES)
def candidates(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    form = wf.ImportForm()
    errors = []
    if form.validate_on_submit():
        if current_user.role not in WRITE_ROLES:
            abort(403)
        try:
            made = import_candidates(db, exam, form.file.data.read(), now=now(), actor_id=_actor())
            db.commit()
        except ImportRefused as exc:
            _refused(exc)
            errors = exc.errors
        except SetupError as exc:
            _refused(exc)
        else:
            flash(_("%(count)d candidates imported.", count=len(made)), "ok")
            return redirect(url_for("setup.candidates", exam_id=exam.id))
    listed = candidates_in_order(db, exam.id)
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(listed) // PAGE_SIZE))
    shown = listed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    places = {rs.id: rs for rs in rooms.room_sessions_of(db, exam.id)}
    return render_template(
        "setup/candidates.html",
        exam=exam,
        form=form,
        errors=errors,
        candidates=shown,
        total=len(listed),
        page=page,
        pages=pages,
        places=places,
        parts={p.id: p for p in exam.parts},
        action=wf.ActionForm(),
        can_write=current_user.role in WRITE_ROLES,
    )


@bp.post("/<int:exam_id>/candidates/codes")
@staff_required(*WRITE_ROLES)
def issue_codes(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    if not wf.ActionForm().validate_on_submit():
        abort(400)
    issued = issue_access_codes(db, exam, rounds=_rounds(), now=now(), actor_id=_actor())
    if not issued:
        flash(_("Every candidate already has an access code."), "info")
        return redirect(url_for("setup.candidates", exam_id=exam.id))
    data = pdfs.admission_slips_pdf(
        exam.name,
        documents.slips(
            db, [i.candidate for i in issued], {i.candidate.id: i.code for i in issued}
        ),
    )
    db.commit()
    return _pdf(data, f"{exam.code}-giay-bao-du-thi.pdf")


@bp.post("/<int:exam_id>/candidates/<int:candidate_id>/code")
@staff_required(*WRITE_ROLES)
def regenerate_code(exam_id: int, candidate_id: int):
    db = get_session()
    exam = _exam(exam_id)
    candidate = db.get(Candidate, candidate_id)
    if candidate is None or candidate.exam_id != exam.id:
        abort(404)
    if not wf.ActionForm().validate_on_submit():
        abort(400)
    code = regenerate_access_code(db, candidate, rounds=_rounds(), now=now(), actor_id=_actor())
    data = pdfs.admission_slips_pdf(
        exam.name, documents.slips(db, [candidate], {candidate.id: code})
    )
    db.commit()
    return _pdf(data, f"{candidate.registration_number}-giay-bao-du-thi.pdf")


@bp.get("/<int:exam_id>/slips.pdf")
@staff_required(*WRITE_ROLES)
def slips_pdf(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    data = pdfs.admission_slips_pdf(
        exam.name, documents.slips(db, candidates_in_order(db, exam.id))
    )
    return _pdf(data, f"{exam.code}-giay-bao-du-thi.pdf")


# --- rooms, shifts, seating, staff, session codes ------------------------------------------------


def _room_session_choices(db, exam: Exam):
    return wf.choices(
        (rs.id, f"{rs.shift.name} — {rs.room.name}") for rs in rooms.room_sessions_of(db, exam.id)
    )


def _rooms_page_forms(db, exam: Exam):
    assign = wf.AssignForm(prefix="assign")
    assign.shifts.choices = wf.choices(
        (s.id, s.name) for s in db.scalars(select(Shift).where(Shift.exam_id == exam.id))
    )
    assign.rooms.choices = wf.choices(
        (r.id, f"{r.code} — {r.name}") for r in db.scalars(select(Room).order_by(Room.code))
    )
    move = wf.MoveForm(prefix="move")
    move.room_session_id.choices = _room_session_choices(db, exam)
    staff = wf.StaffForm(prefix="staff")
    staff.room_session_id.choices = move.room_session_id.choices
    staff.user_id.choices = wf.choices(
        (u.id, f"{u.full_name} ({u.role})")
        for u in db.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.role.in_(["head_proctor", "proctor", "technician", "admin"]),
            )
            .order_by(User.full_name)
        )
    )
    return {
        "shift_form": wf.ShiftForm(prefix="shift"),
        "room_form": wf.RoomForm(prefix="room"),
        "assign_form": assign,
        "move_form": move,
        "staff_form": staff,
    }


@bp.get("/<int:exam_id>/rooms")
@staff_required(*EXAM_ADMIN_ROLES)
def rooms_page(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    room_sessions = rooms.room_sessions_of(db, exam.id)
    seated = dict(
        db.execute(
            select(Candidate.room_session_id, func.count(Candidate.id))
            .where(Candidate.exam_id == exam.id, Candidate.room_session_id.is_not(None))
            .group_by(Candidate.room_session_id)
        ).all()
    )
    unseated = db.scalar(
        select(func.count(Candidate.id)).where(
            Candidate.exam_id == exam.id,
            (Candidate.room_session_id.is_(None)) | (Candidate.seat.is_(None)),
        )
    )
    return render_template(
        "setup/rooms.html",
        exam=exam,
        shifts=list(
            db.scalars(select(Shift).where(Shift.exam_id == exam.id).order_by(Shift.starts_at))
        ),
        all_rooms=list(db.scalars(select(Room).order_by(Room.code))),
        room_sessions=room_sessions,
        staff={rs.id: rooms.staff_of(db, rs.id) for rs in room_sessions},
        seated=seated,
        unseated=unseated,
        gaps=rooms.staffing_gaps(db, exam),
        local=_local,
        action=wf.ActionForm(),
        can_write=current_user.role in WRITE_ROLES,
        **_rooms_page_forms(db, exam),
    )


def _back(exam: Exam):
    return redirect(url_for("setup.rooms_page", exam_id=exam.id))


def _form_errors(form) -> None:
    for field, messages in form.errors.items():
        label = getattr(form, field).label.text if hasattr(form, field) else field
        for message in messages:
            flash(f"{label}: {message}", "error")


@bp.post("/<int:exam_id>/shifts")
@staff_required(*WRITE_ROLES)
def shift_add(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    form = wf.ShiftForm(prefix="shift")
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(exam)
    try:
        rooms.save_shift(
            db,
            exam,
            name=form.name.data,
            starts_at=_utc(form.starts_at.data),
            now=now(),
            actor_id=_actor(),
        )
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(_("Shift “%(name)s” saved.", name=form.name.data), "ok")
    return _back(exam)


@bp.post("/<int:exam_id>/rooms")
@staff_required(*WRITE_ROLES)
def room_add(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    form = wf.RoomForm(prefix="room")
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(exam)
    existing = db.scalar(select(Room).where(Room.code == form.code.data.strip().upper()))
    try:
        rooms.save_room(
            db,
            code=form.code.data,
            name=form.name.data,
            capacity=form.capacity.data,
            seats_per_row=form.seats_per_row.data,
            spare_terminals=form.spare_terminals.data,
            terminal_ips=(form.terminal_ips.data or "").split(),
            room=existing,
            now=now(),
            actor_id=_actor(),
        )
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(_("Room %(code)s saved.", code=form.code.data.strip().upper()), "ok")
    return _back(exam)


@bp.post("/<int:exam_id>/assign")
@staff_required(*WRITE_ROLES)
def seat_assign(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    forms = _rooms_page_forms(db, exam)
    form = forms["assign_form"]
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(exam)
    chosen_shifts = [db.get(Shift, i) for i in form.shifts.data]
    chosen_rooms = [db.get(Room, i) for i in form.rooms.data]
    try:
        result = rooms.auto_assign(
            db,
            exam,
            shifts=[s for s in chosen_shifts if s and s.exam_id == exam.id],
            rooms=[r for r in chosen_rooms if r],
            now=now(),
            actor_id=_actor(),
            reseat_all=form.reseat_all.data,
        )
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(_("%(count)d candidates were given a seat.", count=result.candidates), "ok")
    return _back(exam)


@bp.post("/<int:exam_id>/move")
@staff_required(*WRITE_ROLES)
def seat_move(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    form = _rooms_page_forms(db, exam)["move_form"]
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(exam)
    candidate = db.scalar(
        select(Candidate).where(
            Candidate.exam_id == exam.id,
            Candidate.registration_number == form.registration_number.data.strip().upper(),
        )
    )
    room_session = db.get(RoomSession, form.room_session_id.data)
    if candidate is None or room_session is None:
        flash(_("No candidate has that SBD in this exam."), "error")
        return _back(exam)
    try:
        rooms.move_candidate(
            db, candidate, room_session, form.seat.data, now=now(), actor_id=_actor()
        )
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(
            _(
                "%(sbd)s now sits in seat %(seat)d.",
                sbd=candidate.registration_number,
                seat=form.seat.data,
            ),
            "ok",
        )
    return _back(exam)


@bp.post("/<int:exam_id>/staff")
@staff_required(*WRITE_ROLES)
def staff_add(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    form = _rooms_page_forms(db, exam)["staff_form"]
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(exam)
    room_session = db.get(RoomSession, form.room_session_id.data)
    user = db.get(User, form.user_id.data)
    try:
        rooms.assign_staff(db, room_session, user, form.duty.data, now=now(), actor_id=_actor())
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(_("%(name)s is on duty.", name=user.full_name), "ok")
    return _back(exam)


@bp.post("/<int:exam_id>/staff/<int:assignment_id>/remove")
@staff_required(*WRITE_ROLES)
def staff_remove(exam_id: int, assignment_id: int):
    db = get_session()
    exam = _exam(exam_id)
    assignment = db.get(RoomStaff, assignment_id) or abort(404)
    if assignment.room_session_id not in {rs.id for rs in rooms.room_sessions_of(db, exam.id)}:
        abort(404)
    if not wf.ActionForm().validate_on_submit():
        abort(400)
    rooms.remove_staff(db, assignment, now=now(), actor_id=_actor())
    db.commit()
    flash(_("The duty was removed."), "ok")
    return _back(exam)


@bp.post("/<int:exam_id>/session-codes")
@staff_required(*WRITE_ROLES)
def session_codes(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    if not wf.ActionForm().validate_on_submit():
        abort(400)
    try:
        issued = rooms.issue_session_codes(db, exam, rounds=_rounds(), now=now(), actor_id=_actor())
    except SetupError as exc:
        _refused(exc)
        return _back(exam)
    data = pdfs.session_code_sheets_pdf(exam.name, documents.session_code_sheets(db, exam, issued))
    db.commit()
    return _pdf(data, f"{exam.code}-ma-ca-thi.pdf")


@bp.get("/<int:exam_id>/room-lists.pdf")
@staff_required(*EXAM_ADMIN_ROLES, "head_proctor", "technician")
def room_lists(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    return _pdf(
        pdfs.room_lists_pdf(exam.name, documents.room_sheets(db, exam)),
        f"{exam.code}-danh-sach-phong-thi.pdf",
    )


# --- forms -------------------------------------------------------------------------------------


@bp.get("/<int:exam_id>/forms")
@staff_required(*EXAM_ADMIN_ROLES)
def forms_report(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    reports = exam_equivalence(db, exam)
    return render_template(
        "setup/forms_report.html",
        exam=exam,
        reports=reports,
        lines={r.position: summary_lines(r) for r in reports},
        png=lambda data: "data:image/png;base64," + base64.b64encode(data).decode("ascii"),
        action=wf.ActionForm(),
        can_write=current_user.role in WRITE_ROLES,
    )


@bp.get("/<int:exam_id>/forms/report.pdf")
@staff_required(*EXAM_ADMIN_ROLES)
def forms_report_pdf(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    return _pdf(
        equivalence_pdf(exam, exam_equivalence(db, exam)), f"{exam.code}-tuong-duong-de.pdf"
    )


@bp.post("/<int:exam_id>/forms/generate")
@staff_required(*WRITE_ROLES)
def forms_generate(exam_id: int):
    db = get_session()
    exam = _exam(exam_id)
    if not wf.ActionForm().validate_on_submit():
        abort(400)
    try:
        made = generate_forms(db, exam, now())
        db.commit()
    except SetupError as exc:
        _refused(exc)
    else:
        flash(_("%(count)d forms were drawn and stored.", count=made), "ok")
    return redirect(url_for("setup.forms_report", exam_id=exam.id))
