"""Candidate pages and the terminal's JSON endpoints (thin: validate, call a service, commit)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from exam_server import lifecycle
from exam_server.auth import (
    attempt_api,
    attempt_token,
    candidate_ids_required,
    candidate_required,
    now,
    sign_in_candidate,
    sign_out_candidate,
    signed_out,
)
from exam_server.chain import receipt_code
from exam_server.clock import seconds_left
from exam_server.db import get_session
from exam_server.delivery import autosave, media, services
from exam_server.delivery.changes import parse_changes
from exam_server.delivery.combiner import Combiner
from exam_server.delivery.errors import DeliveryError
from exam_server.delivery.exam_texts import exam_script_texts
from exam_server.delivery.forms import CandidateLoginForm, ConfirmForm, StartForm
from exam_server.delivery.paper import ShownVersions, exam_page_read, paper, review_rows
from exam_server.models import Attempt, Exam, ExamPart
from exam_server.throttle import ThrottlePolicy

bp = Blueprint("delivery", __name__)

TERMINAL_COOKIE = "exam_terminal"
SAVE_COMBINER = "exam_save_combiner"
SHOWN_VERSIONS = "exam_shown_versions"


@bp.record_once
def _one_combiner_per_app(state) -> None:
    # Saves from this worker's threads share transactions (see combiner.py).
    state.app.extensions[SAVE_COMBINER] = Combiner()
    state.app.extensions[SHOWN_VERSIONS] = ShownVersions()


def _terminal_id() -> str:
    """Return this browser's terminal id (a random cookie, set once per browser)."""
    return request.cookies.get(TERMINAL_COOKIE) or secrets.token_urlsafe(18)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = CandidateLoginForm()
    error, status = None, 200
    terminal = _terminal_id()
    if form.validate_on_submit():
        session = get_session()
        try:
            current = now()
            candidate = services.authenticate_candidate(
                session,
                form.registration_number.data,
                form.access_code.data,
                current,
                ThrottlePolicy.from_config(current_app.config),
            )
            services.check_terminal_address(candidate, request.remote_addr)
            services.check_entry_window(
                session, candidate, current, current_app.config["LOGIN_OPENS_MINUTES"]
            )
            services.claim_terminal(session, candidate, terminal, current)
            session.commit()
        except DeliveryError as exc:
            session.commit()  # keeps the failure count and the audit row of a refused terminal
            error, status = str(exc.message), exc.status
        else:
            sign_in_candidate(candidate, terminal)
            response = redirect(url_for("delivery.waiting"))
            response.set_cookie(
                TERMINAL_COOKIE, terminal, httponly=True, samesite="Strict", max_age=86400 * 365
            )
            return response
    return render_template("delivery/login.html", form=form, error=error), status


@bp.post("/logout")
@candidate_required
def logout():
    sign_out_candidate()
    return redirect(url_for("delivery.login", signed_out=1))


def _overview(candidate) -> dict[str, Any]:
    session = get_session()
    exam = session.get(Exam, candidate.exam_id)
    room = candidate.room_session
    attempts = services.attempts_by_part(session, candidate.id)
    current = now()
    parts = []
    for part in exam.parts:
        attempt = attempts.get(part.id)
        if attempt is not None and room is not None:
            lifecycle.finalise_if_due(session, attempt, room, exam, current)
        parts.append(
            {
                "part": part,
                "attempt": attempt,
                "exempt": part.id in (candidate.exempt_part_ids or []),
                "visible": bool(
                    attempt and room and lifecycle.results_visible(exam, attempt, room, current)
                ),
            }
        )
    session.commit()
    return {"exam": exam, "room": room, "parts": parts}


@bp.get("/wait")
@candidate_required
def waiting():
    overview = _overview(g.candidate)
    if any(p["attempt"] and p["attempt"].state == "in_progress" for p in overview["parts"]):
        return redirect(url_for("delivery.exam_page"))
    finished = all(
        p["exempt"] or (p["attempt"] and p["attempt"].state != "in_progress")
        for p in overview["parts"]
    )
    return render_template(
        "delivery/wait.html",
        candidate=g.candidate,
        finished=finished,
        form=StartForm(),
        code_needed=not finished and services.session_code_needed(get_session(), g.candidate),
        **overview,
    )


@bp.get("/api/candidate/status")
@candidate_ids_required
def candidate_status():
    # Every waiting terminal asks every 3 s (wait.js), right up to the start stampede: the
    # session's id and one small query, no candidate loaded.
    state = services.room_state(get_session(), g.candidate_id)
    if state is None:
        abort(401)
    return jsonify(room_state=state)


@bp.post("/start")
@candidate_required
def start():
    session = get_session()
    form = StartForm()
    if not form.validate_on_submit():
        return redirect(url_for("delivery.waiting"))
    try:
        current = now()
        if form.session_code.data and services.session_code_needed(session, g.candidate):
            services.enter_session_code(
                session,
                g.candidate,
                form.session_code.data,
                current,
                ThrottlePolicy.from_config(current_app.config),
            )
        services.start_next_part(session, g.candidate, current)
        session.commit()
    except DeliveryError as exc:
        session.commit()
        return render_template("delivery/message.html", message=exc.message), exc.status
    return redirect(url_for("delivery.exam_page"))


def _current_attempt() -> Attempt | None:
    return get_session().scalar(
        select(Attempt).where(
            Attempt.candidate_id == g.candidate.id, Attempt.state == "in_progress"
        )
    )


@bp.get("/exam")
@candidate_ids_required
def exam_page():
    session = get_session()
    shown = exam_page_read(session, g.candidate_id)
    if shown is None:
        return signed_out()
    if shown.attempt is None:
        return redirect(url_for("delivery.waiting"))
    attempt = shown.attempt
    versions = current_app.extensions[SHOWN_VERSIONS]
    data = paper(session, attempt, shown.part, shown.room, now(), versions)
    data["token"] = attempt_token(attempt.id, g.candidate_id, g.terminal)
    return render_template(
        "delivery/exam.html",
        candidate=shown,
        part=shown.part,
        paper=data,
        texts=exam_script_texts(),
        heartbeat_seconds=current_app.config["HEARTBEAT_SECONDS"],
    )


def _error_json(exc: DeliveryError):
    return jsonify(ok=False, error=exc.code, message=str(exc.message)), exc.status


@bp.post("/api/attempts/<int:attempt_id>/changes")
@attempt_api
def save_changes(attempt_id: int):
    session = get_session()
    try:
        ack = services.save_changes(
            session,
            attempt_id=attempt_id,
            candidate_id=g.candidate_id,
            terminal=g.terminal,
            changes=parse_changes(request.get_json(silent=True)),
            now=now(),
            grace_seconds=current_app.config["SAVE_GRACE_SECONDS"],
            combiner=current_app.extensions[SAVE_COMBINER],
        )  # acknowledged only after commit: services commits
    except DeliveryError as exc:
        session.rollback()
        return _error_json(exc)
    return jsonify(ok=True, acked_seq=ack.acked_seq, seconds_left=ack.seconds_left, state=ack.state)


@bp.post("/api/attempts/<int:attempt_id>/heartbeat")
@attempt_api
def heartbeat(attempt_id: int):
    session = get_session()
    current = now()
    grace = current_app.config["SAVE_GRACE_SECONDS"]
    outcome, row, left = autosave.pulse(
        session,
        attempt_id=attempt_id,
        candidate_id=g.candidate_id,
        terminal=g.terminal,
        now=current,
        grace_seconds=grace,
    )
    if outcome == autosave.Outcome.NOT_FOUND:
        return jsonify(ok=False, error="not_found"), 404
    state = row.state
    if outcome == autosave.Outcome.CLOSED and state == "in_progress":
        state = services.collect_if_due(session, attempt_id, current, grace)
    session.commit()
    return jsonify(
        ok=True,
        state=state,
        paused=row.room_state == "paused",
        acked_seq=row.last_seq,
        seconds_left=left if state == "in_progress" else 0,
        replaced=outcome == autosave.Outcome.REPLACED,
    )


@bp.get("/media/<sha256>")
@candidate_ids_required
def media_file(sha256: str):
    stored = media.candidate_file(get_session(), g.candidate_id, sha256)
    if stored is None:
        abort(404)
    response = make_response(stored.data)
    response.headers["Content-Type"] = stored.content_type
    response.headers["Cache-Control"] = "no-store"  # nothing of the paper stays on the terminal
    return response


@bp.post("/api/attempts/<int:attempt_id>/plays/<int:position>")
@attempt_api
def play(attempt_id: int, position: int):
    session = get_session()
    try:
        attempt = services.lock_own_attempt(session, attempt_id, g.candidate_id, g.terminal)
        left = media.grant_play(session, attempt, position, now())
        session.commit()
    except DeliveryError as exc:
        session.rollback()
        return _error_json(exc)
    return jsonify(ok=True, plays_left=left)


@bp.get("/exam/review")
@candidate_required
def review():
    attempt = _current_attempt()
    if attempt is None:
        return redirect(url_for("delivery.waiting"))
    session = get_session()
    part = session.get(ExamPart, attempt.part_id)
    rows = review_rows(session, attempt, part.item_count)
    return render_template(
        "delivery/review.html",
        candidate=g.candidate,
        part=part,
        attempt=attempt,
        rows=rows,
        unanswered=[r["position"] for r in rows if not r["answered"]],
        flagged=[r["position"] for r in rows if r["flagged"]],
        form=ConfirmForm(),
        seconds_left=seconds_left(lifecycle.clock_state(attempt, g.candidate.room_session), now()),
    )


@bp.post("/exam/submit")
@candidate_required
def submit():
    form = ConfirmForm()
    attempt = _current_attempt()
    if attempt is None or not form.validate_on_submit():
        return redirect(url_for("delivery.waiting"))
    session = get_session()
    try:
        services.submit(
            session,
            attempt_id=attempt.id,
            candidate_id=g.candidate.id,
            terminal=g.terminal,
            now=now(),
        )
        session.commit()
    except DeliveryError as exc:
        session.commit()
        return render_template("delivery/message.html", message=exc.message), exc.status
    return redirect(url_for("delivery.waiting", submitted=attempt.part_id))


@bp.get("/result")
@candidate_required
def result():
    overview = _overview(g.candidate)
    receipts = {}
    for entry in overview["parts"]:
        attempt = entry["attempt"]
        if attempt is not None and attempt.state == "finalised":
            receipts[attempt.id] = receipt_code(attempt.last_hash)
    return render_template(
        "delivery/result.html",
        candidate=g.candidate,
        receipts=receipts,
        form=ConfirmForm(),
        printed_title=_("Result slip"),
        **overview,
    )
