"""CSRF for forms and JSON alike, and the security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, abort, request
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


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)

STAFF_PREFIXES = ("/staff", "/proctor", "/bank", "/council")


def init_app(app: Flask) -> None:
    """Enable CSRF checks (X-CSRFToken header for JSON), limits and security headers."""
    csrf.init_app(app)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_MB"] * 1024 * 1024

    @app.before_request
    def _staff_networks():
        # Staff pages can be limited to the office or the exam-room workstation networks.
        networks = app.config["STAFF_NETWORK_LIST"]
        if networks and request.path.startswith(STAFF_PREFIXES):
            if not address_allowed(request.remote_addr, networks):
                abort(403)

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        # Exam pages and answers must not linger in the terminal's cache.
        if not response.headers.get("Cache-Control") and not _is_static(response):
            response.headers["Cache-Control"] = "no-store"
        return response


def response_headers() -> list[tuple[str, str]]:
    """The headers of a dynamic response made outside Flask (the answer-save fast path)."""
    return [*SECURITY_HEADERS, ("Cache-Control", "no-store")]


def address_allowed(address: str | None, networks) -> bool:
    """Whether `address` lies in one of `networks` (an unparseable address never does)."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _is_static(response: Response) -> bool:
    return request.endpoint == "static" or (request.endpoint or "").endswith(".static")
