"""Council pages: results and counts, exports, decisions, approval, item statistics, re-check."""

from __future__ import annotations

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
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from exam_server.auth import now, staff_required
from exam_server.council import exports, queries, services
from exam_server.council.charts import histogram_png, item_map_png
from exam_server.council.forms import (
    ApproveForm,
    ButtonForm,
    DecisionForm,
    PlacesForm,
    RevokeForm,
)
from exam_server.council.labels import (
    DECISION_KIND,
    FLAG,
    OVERALL,
    PART_STATUS,
    SANCTION,
    label,
)
from exam_server.council.messages import mismatch_message
from exam_server.council.reports import verify_report_rows
from exam_server.db import get_session
from exam_server.models import Attempt, Candidate, Exam, ExamPart, ItemVersion, User
from exam_server.models.council import Decision, PositionQuota, ResultsBundle
from scoring import FlagRules, histogram, summary

bp = Blueprint(
    "council",
    __name__,
    url_prefix="/council",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

VIEW_ROLES = ("council_member", "council_chair", "supervisor", "admin")
DECIDE_ROLES = ("council_chair", "admin")
ITEM_ROLES = (*VIEW_ROLES, "examiner", "reviewer")
FACILITY_ROLES = ("council_chair", "admin", "reviewer")
EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


@bp.app_template_filter("council_score")
def council_score(value) -> str:
    """Show a score with 2 decimals in the user's number format (vi: 56,25)."""
    return "—" if value is None else format_decimal(value, format="0.00")


@bp.context_processor
def council_labels():
    return {
        "part_status_label": lambda code: label(PART_STATUS, code),
        "overall_label": lambda code: label(OVERALL, code),
        "sanction_label": lambda code: label(SANCTION, code),
        "decision_kind_label": lambda code: label(DECISION_KIND, code),
        "flag_label": lambda code: label(FLAG, code),
        "mismatch_text": lambda m: mismatch_message(m.code, m.position, m.field),
        "can_decide": current_user.is_authenticated and current_user.role in DECIDE_ROLES,
    }


def load_exam(exam_id: int) -> Exam:
    return get_session().get(Exam, exam_id) or abort(404)


def load_part(exam: Exam, part_id: int) -> ExamPart:
    part = get_session().get(ExamPart, part_id)
    if part is None or part.exam_id != exam.id:
        abort(404)
    return part


# --- overview ---------------------------------------------------------------------------------


@bp.get("/")
@staff_required(*ITEM_ROLES)
def index():
    db = get_session()
    exams = db.execute(
        select(Exam, func.count(Candidate.id))
        .outerjoin(Candidate, Candidate.exam_id == Exam.id)
        .group_by(Exam.id)
        .order_by(Exam.created_at.desc())
    ).all()
    return render_template("council/index.html", exams=exams)


@bp.get("/exams/<int:exam_id>")
@staff_required(*VIEW_ROLES)
def exam_overview(exam_id: int):
    db = get_session()
    exam = load_exam(exam_id)
    rows = queries.result_rows(db, exam)
    parts = list(exam.parts)
    distributions = {part.id: summary(queries.part_scores(rows, part.id)) for part in parts}
    bundles = db.scalars(
        select(ResultsBundle)
        .where(ResultsBundle.exam_id == exam.id)
        .order_by(ResultsBundle.created_at.desc())
    ).all()
    return render_template(
        "council/exam.html",
        exam=exam,
        parts=parts,
        compiled=queries.is_compiled(db, exam),
        counts=queries.count(rows, parts),
        distributions=distributions,
        approval=services.latest_approval(db, exam),
        changed=services.changed_since_approval(db, exam),
        pending=db.scalar(
            select(func.count(Decision.id)).where(
                Decision.exam_id == exam.id,
                Decision.confirmed_at.is_(None),
                Decision.revoked_at.is_(None),
            )
        ),
        bundles=bundles,
        button=ButtonForm(),
        approve_form=ApproveForm(),
    )


@bp.post("/exams/<int:exam_id>/compile")
@staff_required(*DECIDE_ROLES)
def compile_results(exam_id: int):
    db = get_session()
    exam = load_exam(exam_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        changes = services.compile_results(db, exam, current_user, now())
        db.commit()
    except services.CouncilError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("Results compiled; %(n)d part results changed.", n=len(changes)), "ok")
    return redirect(url_for("council.exam_overview", exam_id=exam.id))


@bp.post("/exams/<int:exam_id>/approve")
@staff_required(*DECIDE_ROLES)
def approve(exam_id: int):
    db = get_session()
    exam = load_exam(exam_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        approval = services.approve_results(db, exam, current_user, now(), form.note.data or "")
        db.commit()
    except services.CouncilError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(
            _(
                "The results are approved and frozen (digest %(sha)s).",
                sha=approval.results_sha256[:16],
            ),
            "ok",
        )
    return redirect(url_for("council.exam_overview", exam_id=exam.id))


@bp.get("/exams/<int:exam_id>/parts/<int:part_id>/histogram.png")
@staff_required(*VIEW_ROLES)
def part_histogram(exam_id: int, part_id: int):
    exam = load_exam(exam_id)
    part = load_part(exam, part_id)
    rows = queries.result_rows(get_session(), exam)
    mark = part.pass_threshold if part.pass_basis == "points" else None
    png = histogram_png(
        histogram(queries.part_scores(rows, part.id)),
        title=exports.part_title(part),
        xlabel=_("Score (of 100)"),
        ylabel=_("Candidates"),
        pass_mark=mark,
        pass_label=_("Pass mark"),
    )
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


# --- results and exports -------------------------------------------------------------------------


@bp.get("/exams/<int:exam_id>/results")
@staff_required(*VIEW_ROLES)
def results(exam_id: int):
    db = get_session()
    exam = load_exam(exam_id)
    sort = request.args.get("sort", "sbd")
    if sort not in queries.SORTS:
        sort = "sbd"
    only_passed = request.args.get("passed") == "1"
    room = request.args.get("room", type=int)
    rows = queries.result_rows(db, exam, sort=sort, only_passed=only_passed, room_session_id=room)
    attempts = {
        (a.candidate_id, a.part_id): a.id
        for a in db.scalars(
            select(Attempt)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .where(Candidate.exam_id == exam.id)
            .order_by(Attempt.attempt_no)
        )
    }
    return render_template(
        "council/results.html",
        exam=exam,
        parts=list(exam.parts),
        rows=rows,
        sort=sort,
        only_passed=only_passed,
        room=room,
        rooms=queries.room_labels(db, exam),
        attempts=attempts,
        compiled=queries.is_compiled(db, exam),
        round_two=any(r.result and r.result.total is not None for r in rows),
        positions=sorted({c.position_applied for c in exam_candidates(exam) if c.position_applied}),
        quotas={
            q.position: q.places
            for q in db.scalars(select(PositionQuota).where(PositionQuota.exam_id == exam.id))
        },
        places_form=PlacesForm(),
    )


def exam_candidates(exam: Exam) -> list[Candidate]:
    return list(get_session().scalars(select(Candidate).where(Candidate.exam_id == exam.id)))


@bp.post("/exams/<int:exam_id>/places")
@staff_required(*DECIDE_ROLES)
def set_places(exam_id: int):
    db = get_session()
    exam = load_exam(exam_id)
    form = PlacesForm()
    if not form.validate_on_submit():
        flash(_("Give the position and a number of places of 0 or more."), "error")
        return redirect(url_for("council.results", exam_id=exam.id))
    try:
        services.set_places(db, exam, form.position.data, form.places.data, current_user, now())
        db.commit()
    except services.CouncilError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(
            _(
                "%(position)s: %(n)d places; the ranking is updated.",
                position=form.position.data,
                n=form.places.data,
            ),
            "ok",
        )
    return redirect(url_for("council.results", exam_id=exam.id, sort="sbd"))


@bp.get("/exams/<int:exam_id>/export.<kind>")
@staff_required(*VIEW_ROLES)
def export(exam_id: int, kind: str):
    db = get_session()
    exam = load_exam(exam_id)
    if kind not in EXPORT_TYPES:
        abort(404)
    sort = request.args.get("sort", "sbd")
    data = exports.gather(
        db,
        exam,
        now(),
        sort=sort if sort in queries.SORTS else "sbd",
        approval=services.latest_approval(db, exam),
    )
    try:
        body = {"xlsx": exports.to_xlsx, "csv": exports.to_csv, "pdf": exports.to_pdf}[kind](data)
    except exports.ExportUnavailable as exc:
        flash(str(exc), "error")
        return redirect(url_for("council.exam_overview", exam_id=exam.id))
    return Response(
        body,
        mimetype=EXPORT_TYPES[kind],
        headers={
            "Content-Disposition": f'attachment; filename="{exports.download_name(exam, kind)}"'
        },
    )


@bp.post("/exams/<int:exam_id>/bundle")
@staff_required(*DECIDE_ROLES)
def bundle(exam_id: int):
    from exam_server.council.bundling import make_bundle

    db = get_session()
    exam = load_exam(exam_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        filename, built = make_bundle(db, exam, current_user, now(), current_app.instance_path)
    except exports.ExportUnavailable as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("council.exam_overview", exam_id=exam.id))
    db.commit()
    return Response(
        built.data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- audit -------------------------------------------------------------------------------------


@bp.get("/exams/<int:exam_id>/verify")
@staff_required(*VIEW_ROLES)
def verify(exam_id: int):
    from exam_server.audit_verify import verify_exam

    db = get_session()
    exam = load_exam(exam_id)
    report = verify_exam(db, exam)
    return render_template(
        "council/verify.html", exam=exam, report=report, rows=verify_report_rows(report)
    )


@bp.get("/attempts/<int:attempt_id>")
@staff_required(*VIEW_ROLES)
def recheck(attempt_id: int):
    from exam_server.council.recheck import build

    db = get_session()
    attempt = db.get(Attempt, attempt_id) or abort(404)
    return render_template("council/recheck.html", r=build(db, attempt))


# --- decisions ---------------------------------------------------------------------------------


def decision_form(exam: Exam) -> DecisionForm:
    form = DecisionForm()
    form.part_id.choices = [SelectChoice("", _("Every part"))] + [
        SelectChoice(str(p.id), exports.part_title(p)) for p in exam.parts
    ]
    return form


@bp.get("/exams/<int:exam_id>/decisions")
@staff_required(*VIEW_ROLES)
def decisions(exam_id: int):
    exam = load_exam(exam_id)
    form = decision_form(exam)
    if request.args.get("item_version_id", type=int):
        form.item_version_id.data = request.args.get("item_version_id", type=int)
        form.kind.data = request.args.get("kind", "faulty_item")
    if request.args.get("sbd"):
        form.registration_number.data = request.args["sbd"]
        form.kind.data = request.args.get("kind", "sanction")
    return render_decisions(exam, form)


def render_decisions(exam: Exam, form: DecisionForm, status: int = 200):
    db = get_session()
    rows = db.scalars(
        select(Decision).where(Decision.exam_id == exam.id).order_by(Decision.decided_at.desc())
    ).all()
    users = {u.id: u for u in db.scalars(select(User))}
    candidates = {
        c.id: c for c in db.scalars(select(Candidate).where(Candidate.exam_id == exam.id))
    }
    return (
        render_template(
            "council/decisions.html",
            exam=exam,
            decisions=rows,
            users=users,
            candidates=candidates,
            parts={p.id: p for p in exam.parts},
            form=form,
            button=ButtonForm(),
            revoke_form=RevokeForm(),
        ),
        status,
    )


@bp.post("/exams/<int:exam_id>/decisions")
@staff_required(*DECIDE_ROLES)
def record_decision(exam_id: int):
    db = get_session()
    exam = load_exam(exam_id)
    form = decision_form(exam)
    if not form.validate_on_submit():
        return render_decisions(exam, form, 400)
    candidate_id = None
    if form.registration_number.data:
        candidate_id = db.scalar(
            select(Candidate.id).where(
                Candidate.exam_id == exam.id,
                Candidate.registration_number == form.registration_number.data.strip().upper(),
            )
        )
        if candidate_id is None:
            form.registration_number.errors.append(_("No candidate with this SBD in the exam."))
            return render_decisions(exam, form, 400)
    draft = services.DecisionDraft(
        kind=form.kind.data,
        reason=form.reason.data,
        candidate_id=candidate_id,
        part_id=int(form.part_id.data) if form.part_id.data else None,
        item_version_id=form.item_version_id.data,
        value=decision_value(form),
        record_ref=form.record_ref.data,
    )
    try:
        decision, changes = services.record_decision(db, exam, draft, current_user, now())
        db.commit()
    except services.CouncilError as exc:
        db.rollback()
        flash(str(exc.message), "error")
        return render_decisions(exam, form, 400)
    flash(
        _(
            "Decision recorded: %(kind)s. %(n)d part results changed.",
            kind=label(DECISION_KIND, decision.kind),
            n=len(changes),
        ),
        "ok",
    )
    return redirect(url_for("council.decisions", exam_id=exam.id) + f"#decision-{decision.id}")


def decision_value(form: DecisionForm) -> dict:
    kind = form.kind.data
    if kind == "sanction":
        return {"sanction": form.sanction.data, "deduction": form.deduction.data or None}
    if kind == "interview":
        return {"score": form.number.data}
    if kind == "priority":
        return {"points": form.number.data}
    if kind == "extension":
        return {"minutes": form.number.data}
    if kind == "accept_option":
        return {"option_id": option_id(form)}
    if kind == "accept_text":
        blank = form.blank.data
        return {"blank": (blank - 1) if blank else 0, "text": form.text.data or ""}
    return {}


def option_id(form: DecisionForm) -> str:
    """Accept the option's letter in the bank's order (A, B…) or its id."""
    raw = (form.option_id.data or "").strip()
    version = get_session().get(ItemVersion, form.item_version_id.data or 0)
    if version is not None and len(raw) == 1 and raw.upper().isalpha():
        options = version.content.get("options", [])
        index = ord(raw.upper()) - ord("A")
        if 0 <= index < len(options):
            return options[index]["id"]
    return raw


def load_decision(decision_id: int) -> Decision:
    return get_session().get(Decision, decision_id) or abort(404)


@bp.post("/decisions/<int:decision_id>/confirm")
@staff_required(*DECIDE_ROLES)
def confirm_decision(decision_id: int):
    db = get_session()
    decision = load_decision(decision_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        changes = services.confirm_decision(db, decision, current_user, now())
        db.commit()
    except services.CouncilError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("Decision confirmed; %(n)d part results changed.", n=len(changes)), "ok")
    return redirect(url_for("council.decisions", exam_id=decision.exam_id))


@bp.post("/decisions/<int:decision_id>/revoke")
@staff_required(*DECIDE_ROLES)
def revoke_decision(decision_id: int):
    db = get_session()
    decision = load_decision(decision_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for revoking the decision."), "error")
        return redirect(url_for("council.decisions", exam_id=decision.exam_id))
    try:
        changes = services.revoke_decision(db, decision, form.reason.data, current_user, now())
        db.commit()
    except services.CouncilError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("Decision revoked; %(n)d part results changed.", n=len(changes)), "ok")
    return redirect(url_for("council.decisions", exam_id=decision.exam_id))


# --- item statistics ---------------------------------------------------------------------------


def flag_rules() -> FlagRules:
    """The guidance thresholds, editable per page view through the query string."""
    defaults = FlagRules()

    def number(name: str, default: float) -> float:
        value = request.args.get(name, type=float)
        return default if value is None else value

    return FlagRules(
        min_facility=number("min_facility", defaults.min_facility),
        max_facility=number("max_facility", defaults.max_facility),
        min_discrimination=number("min_discrimination", defaults.min_discrimination),
        min_candidates=int(number("min_candidates", defaults.min_candidates)),
    )


@bp.get("/exams/<int:exam_id>/parts/<int:part_id>/items")
@staff_required(*ITEM_ROLES)
def items(exam_id: int, part_id: int):
    from exam_server.council.item_analysis import analyse_part

    exam = load_exam(exam_id)
    part = load_part(exam, part_id)
    rules = flag_rules()
    analysis = analyse_part(get_session(), exam, part, rules)
    return render_template(
        "council/items.html",
        exam=exam,
        part=part,
        analysis=analysis,
        rules=rules,
        button=ButtonForm(),
        can_write=current_user.role in FACILITY_ROLES,
        query=request.query_string.decode(),
    )


@bp.get("/exams/<int:exam_id>/parts/<int:part_id>/items.png")
@staff_required(*ITEM_ROLES)
def items_map(exam_id: int, part_id: int):
    from exam_server.council.item_analysis import analyse_part

    exam = load_exam(exam_id)
    part = load_part(exam, part_id)
    analysis = analyse_part(get_session(), exam, part, flag_rules())
    points = [
        (f"#{row.item.id}", row.stats.facility, row.stats.discrimination_index, bool(row.flags))
        for row in analysis.items
        if row.stats.facility is not None and row.stats.discrimination_index is not None
    ]
    png = item_map_png(
        points,
        title=exports.part_title(part),
        xlabel=_("Facility (share of the maximum)"),
        ylabel=_("Discrimination (item vs rest of test)"),
    )
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/exams/<int:exam_id>/parts/<int:part_id>/facility")
@staff_required(*FACILITY_ROLES)
def write_facility(exam_id: int, part_id: int):
    from exam_server.council.item_analysis import analyse_part
    from exam_server.council.item_analysis import write_facility as write

    db = get_session()
    exam = load_exam(exam_id)
    part = load_part(exam, part_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    written = write(db, exam, part, analyse_part(db, exam, part), current_user, now())
    db.commit()
    flash(_("Facility written to the bank for %(n)d items.", n=written), "ok")
    return redirect(url_for("council.items", exam_id=exam.id, part_id=part.id))
