"""The composition root: build the app, bind infrastructure, register every blueprint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, url_for

from exam_server import auth, db, i18n, labels, security
from exam_server.config import environ_snapshot, load_config


def create_app(
    overrides: Mapping[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Create the application; does no I/O (no migrations, no files, no network)."""
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    settings = load_config(environ_snapshot(), overrides)
    if not settings.get("DATABASE_URL"):
        settings["DATABASE_URL"] = default_sqlite_url(app.instance_path)
    app.config.update(settings)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        TESTING=settings["ENV"] == "testing",
    )

    if settings["PROXY_COUNT"]:
        # Behind nginx the client's address (terminal binding, staff networks) is in
        # X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = settings["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    db.init_app(app)
    i18n.init_app(app, feature_catalogues())
    auth.init_app(app)
    security.init_app(app)
    labels.init_app(app)
    _register_blueprints(app)
    if "delivery.save_changes" in app.view_functions:
        from exam_server.delivery.save_fast_path import AnswerSaveFastPath
        from exam_server.delivery.views import SAVE_COMBINER

        app.wsgi_app = AnswerSaveFastPath(app, app.wsgi_app, app.extensions[SAVE_COMBINER])
    # Templates link to other features only where this server role has them.
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions

    @app.get("/")
    def index():  # terminals start at the candidate login; an office server at staff sign-in
        if "delivery.login" in app.view_functions:
            return redirect(url_for("delivery.login"))
        return redirect(url_for("staff.login"))

    return app


def default_sqlite_url(instance_path: str) -> str:
    return f"sqlite:///{instance_path}/exam.sqlite3"


# Packages with a catalogue of their own, besides exam_server's (see deploy/i18n.py).
CATALOGUE_PACKAGES = (
    "exam_server.setup",
    "exam_server.council",
    "question_bank",
    "proctor_console",
)


def feature_catalogues() -> list[str]:
    """Return the translation folders of the packages that have one."""
    import importlib.util
    import os

    folders = []
    for package in CATALOGUE_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        folder = os.path.join(os.path.dirname(spec.origin), "translations")
        if os.path.isdir(folder):
            folders.append(folder)
    return folders


# Which features each kind of server exposes (EXAM_SERVER_ROLE). The office server holds the
# bank and the council's work; the isolated exam server only runs shifts from a sealed package.
ROLE_FEATURES = {
    "office": {"staff", "setup", "bank", "council"},
    "exam": {"staff", "setup", "delivery", "proctor"},
    "combined": {"staff", "setup", "delivery", "proctor", "bank", "council"},
}


def _register_blueprints(app: Flask) -> None:
    # Imported here: features depend on the core, never the other way round.
    from exam_server.council.views import bp as council_bp
    from exam_server.delivery.views import bp as delivery_bp
    from exam_server.setup.views import bp as setup_bp
    from exam_server.staff_views import bp as staff_bp
    from proctor_console.views import bp as proctor_bp
    from question_bank.views import bp as bank_bp

    features = ROLE_FEATURES[app.config["SERVER_ROLE"]]
    for name, blueprint in (
        ("staff", staff_bp),
        ("setup", setup_bp),
        ("delivery", delivery_bp),
        ("proctor", proctor_bp),
        ("bank", bank_bp),
        ("council", council_bp),
    ):
        if name in features:
            app.register_blueprint(blueprint)
