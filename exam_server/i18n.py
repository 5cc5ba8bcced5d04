"""Flask-Babel wiring: Vietnamese by default, English on request, times in Việt Nam's zone."""

from __future__ import annotations

import os

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale

SUPPORTED_LOCALES = ("vi", "en")


def select_locale() -> str:
    chosen = session.get("lang") if has_request_context() else None
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


CORE_CATALOGUE = os.path.join(os.path.dirname(__file__), "translations")


def init_app(app: Flask, feature_catalogues: list[str] = ()) -> None:
    """Attach Babel with the core's and each feature's catalogue, and a language switch.

    Every package owns its catalogue (`<package>/translations/vi/LC_MESSAGES/messages.po`),
    so features translate their own strings; Babel merges them per request.
    """
    directories = [CORE_CATALOGUE, *feature_catalogues]
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=";".join(directories),
        default_domain="messages",
    )
    app.jinja_env.globals["get_locale"] = get_locale

    @app.post("/lang/<code>")
    def set_language(code: str):
        from flask import redirect

        if code in SUPPORTED_LOCALES:
            session["lang"] = code
        target = request.referrer or "/"
        # Only redirect within this site.
        if not target.startswith(request.host_url):
            target = "/"
        return redirect(target)
