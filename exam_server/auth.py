"""Who is asking: staff through Flask-Login, candidates through a terminal-bound session."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from exam_server.db import get_session, utcnow
from exam_server.models import Candidate, User
from exam_server.security import csrf

login_manager = LoginManager()


def init_app(app: Flask) -> None:
    """Wire Flask-Login for staff and the idle timeout."""
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "basic"
    app.session_interface = TerminalSessionInterface()
    app.before_request(_expire_idle_staff)


@login_manager.user_loader
def _load_user(user_key: str) -> User | None:
    try:
        user_id, epoch = (int(part) for part in user_key.split(":"))
    except ValueError:
        return None
    user = get_session().get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return user


def _expire_idle_staff() -> None:
    if "_user_id" not in session:
        return
    now = utcnow().timestamp()
    seen = session.get("staff_seen", now)
    idle_limit = current_app.config["STAFF_IDLE_MINUTES"] * 60
    if now - seen > idle_limit:
        logout_user()
        session.pop("staff_seen", None)
        return
    session["staff_seen"] = now


def staff_required(*roles: str) -> Callable:
    """Allow signed-in staff, optionally only those with one of `roles`."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles or ("any_staff",)  # read by the authorization-matrix test
        return wrapped

    return decorator


def sign_in_candidate(candidate: Candidate, terminal: str) -> None:
    """Start a fresh candidate session bound to one terminal token."""
    session.clear()
    session["candidate_id"] = candidate.id
    session["terminal"] = terminal
    session["lang"] = session.get("lang") or current_app.config["DEFAULT_LOCALE"]


def sign_out_candidate() -> None:
    session.pop("candidate_id", None)
    session.pop("terminal", None)


# Every candidate page needs the room too: one query for both. Built once: Session.get with
# loader options builds and keys its statement on every call, a third of the load's cost.
SIGNED_IN_CANDIDATE = (
    select(Candidate)
    .options(joinedload(Candidate.room_session))
    .where(Candidate.id == bindparam("id"))
)


def candidate_required(view: Callable) -> Callable:
    """Load the signed-in candidate into g.candidate or send them to the login page."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        candidate_id = session.get("candidate_id")
        candidate = (
            get_session().execute(SIGNED_IN_CANDIDATE, {"id": candidate_id}).scalar_one_or_none()
            if candidate_id
            else None
        )
        if candidate is None:
            return signed_out()
        g.candidate = candidate
        g.terminal = session.get("terminal")
        return view(*args, **kwargs)

    wrapped.allowed_roles = ("candidate",)
    return wrapped


def signed_out() -> Any:
    """Terminal requests of scripts (the API, media) get 401; pages go to the login page."""
    if request.path.startswith(("/api/", "/media/")):
        abort(401)
    return redirect(url_for("delivery.login"))


def candidate_ids_required(view: Callable) -> Callable:
    """For the terminal's hot requests: the session's candidate and terminal ids only.

    No database read here; the endpoint's own query checks that the candidate exists and,
    for an attempt, that it belongs to this candidate and this terminal (one round trip
    instead of two). A view that finds no candidate returns `signed_out()`.
    """

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        candidate_id = session.get("candidate_id")
        if candidate_id is None:
            return signed_out()
        g.candidate_id = candidate_id
        g.terminal = session.get("terminal")
        return view(*args, **kwargs)

    wrapped.allowed_roles = ("candidate",)
    return wrapped


# --- the exam page's attempt token ------------------------------------------------------
#
# Answer saves and heartbeats are most of an exam's requests. The exam page sends them with
# a token naming its attempt, candidate and terminal, signed with the app's secret: checking
# it is one HMAC, where the session cookie and the CSRF token are two signed, compressed
# documents to decode on every save. A header no other site can make a browser send is
# also what CSRF protection needs. Whether the attempt is still this terminal's is checked
# against the database on every request, as before.

ATTEMPT_TOKEN_HEADER = "X-Attempt-Token"
_TOKEN_KEY = "exam_attempt_token_key"


def _token_key(app: Flask) -> bytes:
    key = app.extensions.get(_TOKEN_KEY)
    if key is None:
        secret = app.config["SECRET_KEY"].encode()
        key = app.extensions[_TOKEN_KEY] = hmac.new(
            secret, b"exam-attempt-token", hashlib.sha256
        ).digest()
    return key


def _token_signature(app: Flask, attempt_id: int, candidate_id: int, terminal: str) -> str:
    message = f"{attempt_id}.{candidate_id}.{terminal}".encode()
    digest = hmac.new(_token_key(app), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def attempt_token(attempt_id: int, candidate_id: int, terminal: str) -> str:
    """The token the exam page sends with its saves and heartbeats for this attempt."""
    signature = _token_signature(current_app, attempt_id, candidate_id, terminal)
    return f"{candidate_id}.{terminal}.{signature}"


def read_attempt_token(
    token: str, attempt_id: int, app: Flask | None = None
) -> tuple[int, str] | None:
    """Return (candidate id, terminal) from a genuine token for `attempt_id`, else None.

    `app` is the current app's when not given (the save fast path runs outside Flask)."""
    candidate_part, _dot, rest = token.partition(".")
    terminal, _dot, signature = rest.rpartition(".")
    if not candidate_part.isdigit() or not terminal or not signature:
        return None
    candidate_id = int(candidate_part)
    expected = _token_signature(app or current_app, attempt_id, candidate_id, terminal)
    if not hmac.compare_digest(expected, signature):
        return None
    return candidate_id, terminal


def attempt_api(view: Callable) -> Callable:
    """For /api/attempts/<attempt_id>/…: the attempt token, or the session with CSRF.

    The token is what exam pages send. The session cookie with the X-CSRFToken header still
    works for any other client (and for an exam page loaded before an upgrade).
    """

    @functools.wraps(view)
    def wrapped(attempt_id: int, *args: Any, **kwargs: Any) -> Any:
        token = request.headers.get(ATTEMPT_TOKEN_HEADER)
        if token is not None:
            ids = read_attempt_token(token, attempt_id)
            if ids is None:
                abort(401)
            g.candidate_id, g.terminal = ids
        else:
            csrf.protect()
            candidate_id = session.get("candidate_id")
            if candidate_id is None:
                abort(401)
            g.candidate_id, g.terminal = candidate_id, session.get("terminal")
        return view(attempt_id, *args, **kwargs)

    wrapped.allowed_roles = ("candidate",)
    return csrf.exempt(wrapped)  # checked above, for the cookie path only


class TerminalSessionInterface(SecureCookieSessionInterface):
    """Leave the session cookie unread on requests that carry an attempt token."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if ATTEMPT_TOKEN_HEADER in request.headers and request.path.startswith("/api/attempts/"):
            return self.null_session_class()
        return super().open_session(app, request)


def now() -> dt.datetime:
    """The request's notion of now (one place, so tests can freeze it)."""
    clock = current_app.extensions.get("exam_clock", utcnow)
    return clock()
