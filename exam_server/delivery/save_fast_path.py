"""The answer save, served in front of Flask when it is simply acknowledged.

Answer saves are most of an exam's requests (DESIGN.md: at least half the throughput of a
bare Flask route). Once the save itself is a share of one read and one write per batch,
what is left is Flask's work around it: the request context, the app's hooks (CSRF, staff
networks, idle staff, locale), the response object, teardown. A terminal's save with its
attempt token needs none of it, so this WSGI layer serves it directly: the token, the JSON
body, the same autosave call and commit, the same security headers.

Anything else goes on to the Flask view (delivery.views.save_changes), which stays the
reference: requests without a token, bad tokens or bodies, and every save that is not
acknowledged (a closed, paused or moved attempt, an invalid change). Those wrote nothing
here, so the view simply runs them again, with its translated messages, the finalisation
of a paper whose time is over and the logged refusal of a late save.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from flask import Flask

from exam_server.auth import ATTEMPT_TOKEN_HEADER, read_attempt_token
from exam_server.db import database, utcnow
from exam_server.delivery import autosave
from exam_server.delivery.changes import clean_change, parse_changes
from exam_server.delivery.errors import DeliveryError
from exam_server.security import response_headers

SAVE_PATH = re.compile(r"/api/attempts/(\d+)/changes")
_TOKEN_KEY = "HTTP_" + ATTEMPT_TOKEN_HEADER.upper().replace("-", "_")


class AnswerSaveFastPath:
    """WSGI middleware: acknowledged answer saves here, every other request to `wsgi_app`."""

    def __init__(self, app: Flask, wsgi_app: Any, combiner: Any):
        self.app = app
        self.wsgi_app = wsgi_app
        self.combiner = combiner
        self.headers = [("Content-Type", "application/json"), *response_headers()]

    def __call__(self, environ: dict, start_response: Any) -> Any:
        match = SAVE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        token = environ.get(_TOKEN_KEY)
        if match is None or token is None or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        body = self._read_body(environ)
        if body is None:
            return self.wsgi_app(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)  # the view may read it again
        answer = self._save(int(match.group(1)), token, body)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        payload = json.dumps(answer).encode()
        start_response("200 OK", [*self.headers, ("Content-Length", str(len(payload)))])
        return [payload]

    def _read_body(self, environ: dict) -> bytes | None:
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None  # chunked or missing: Flask knows how
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        if length < 0 or (limit is not None and length > limit):
            return None  # Flask answers 413
        return environ["wsgi.input"].read(length)

    def _save(self, attempt_id: int, token: str, body: bytes) -> dict | None:
        """The acknowledgement to send, or None when the Flask view must answer."""
        ids = read_attempt_token(token, attempt_id, self.app)
        if ids is None:
            return None
        try:
            changes = parse_changes(json.loads(body))
        except (ValueError, DeliveryError):
            return None
        candidate_id, terminal = ids
        clock = self.app.extensions.get("exam_clock", utcnow)  # tests freeze it there
        db = database(self.app)
        sessions = _OnDemandSession(db.session_factory)
        try:
            result = autosave.save(
                sessions.open,
                autosave.SaveRequest(
                    attempt_id,
                    candidate_id,
                    terminal,
                    changes,
                    clock(),
                    self.app.config["SAVE_GRACE_SECONDS"],
                    clean_change,
                ),
                self.combiner,
                db.autocommit_engine.connect if db.autocommit_engine is not None else None,
            )  # committed when it returns
        except DeliveryError:
            sessions.rollback()
            return None
        finally:
            sessions.close()
        if result.outcome != autosave.Outcome.ACKED:
            return None
        return {
            "ok": True,
            "acked_seq": result.acked_seq,
            "seconds_left": result.seconds_left,
            "state": "in_progress",
        }


class _OnDemandSession:
    """A database session made only when asked for: most saves ride on another's batch."""

    def __init__(self, factory: Any):
        self.factory = factory
        self.session: Any = None

    def open(self) -> Any:
        if self.session is None:
            self.session = self.factory()
        return self.session

    def rollback(self) -> None:
        if self.session is not None:
            self.session.rollback()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
