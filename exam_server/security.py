"""CSRF for forms and JSON alike, and the security headers on every response."""

from __future__ import annotations

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def init_app(app: Flask) -> None:
    """Enable CSRF checks (X-CSRFToken header for JSON) and add security headers."""
    csrf.init_app(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Exam pages and answers must not linger in the terminal's cache.
        if not response.headers.get("Cache-Control") and not _is_static(response):
            response.headers["Cache-Control"] = "no-store"
        return response


def _is_static(response: Response) -> bool:
    from flask import request

    return request.endpoint == "static" or (request.endpoint or "").endswith(".static")
