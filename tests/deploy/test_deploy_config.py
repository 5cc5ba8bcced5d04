"""The deployment files agree with the app and with each other.

gunicorn.conf.py is loaded as gunicorn loads it; its hooks run against a real app. The nginx
site must serve from disk exactly the folders Flask serves; env.example must pass the app's own
validation; PostgreSQL must have room for the workers' connections and keep commits durable.
"""

from __future__ import annotations

import os
import re
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask, jsonify, request
from sqlalchemy import text
from werkzeug.test import Client

from exam_server.app import create_app
from exam_server.config import SETTINGS, load_config
from exam_server.db import SAVE_POOL_SIZE
from exam_server.gunicorn_worker import WORKER_CLASS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
LOCATIONS = DEPLOY / "nginx" / "snippets" / "exam-locations.conf"
SITE = DEPLOY / "nginx" / "exam.conf"
PG_CONF = DEPLOY / "postgres" / "exam.conf"


def gunicorn_settings(monkeypatch, **environ) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_BIND", "EXAM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def nginx_value(path: Path, directive: str) -> str:
    match = re.search(rf"^\s*{directive}\s+([^;]+);", path.read_text(), re.M)
    assert match, f"{directive} not in {path.name}"
    return match.group(1).strip()


def seconds(value: str) -> int:
    return int(value.removesuffix("s"))


def postgres_settings() -> dict[str, str]:
    settings = {}
    for line in PG_CONF.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, value = (part.strip() for part in line.split("=", 1))
            settings[name] = value.strip("'")
    return settings


# --- gunicorn -------------------------------------------------------------------------------


def test_workers_follow_the_cores_on_postgresql_and_stay_two_on_sqlite(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    on_pg = gunicorn_settings(monkeypatch, EXAM_DATABASE_URL="postgresql+psycopg://exam@/exam")
    assert on_pg["workers"] == 2 * cores + 1
    assert on_pg["default_workers"]("postgresql+psycopg://x@y/z", 8) == 17
    assert gunicorn_settings(monkeypatch, EXAM_DATABASE_URL="sqlite:////x.db")["workers"] == 2
    assert gunicorn_settings(monkeypatch)["workers"] == 2  # no URL: the app's SQLite default
    chosen = gunicorn_settings(monkeypatch, WEB_CONCURRENCY="7", GUNICORN_THREADS="8")
    assert (chosen["workers"], chosen["threads"]) == (7, 8)


def test_threaded_preloaded_workers_behind_nginx(monkeypatch):
    settings = gunicorn_settings(monkeypatch)
    assert settings["worker_class"] == WORKER_CLASS and settings["threads"] == 16
    assert settings["preload_app"] is True
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert f"server {settings['bind'][0]};" in SITE.read_text()
    # nginx closes idle upstream connections before gunicorn does, and waits longer for an
    # answer than gunicorn lets a request run.
    assert settings["keepalive"] > seconds(nginx_value(SITE, "keepalive_timeout"))
    proxy = DEPLOY / "nginx" / "snippets" / "exam-proxy.conf"
    assert settings["timeout"] < seconds(nginx_value(proxy, "proxy_read_timeout"))


def test_post_fork_gives_the_worker_a_fresh_connection_pool(monkeypatch, tmp_path):
    settings = gunicorn_settings(monkeypatch)
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/fork.sqlite3", "SECRET_KEY": "x", "ENV": "testing"}
    )
    engine = app.extensions["exam_db"].engine
    with engine.connect() as connection:  # the parent process used the database
        connection.execute(text("SELECT 1"))
    inherited = engine.pool
    assert inherited.checkedin() == 1
    # The loaded app may be wrapped in middleware; the hook finds the Flask app inside.
    worker = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: SimpleNamespace(app=app)))
    settings["post_fork"](None, worker)
    assert engine.pool is not inherited and engine.pool.checkedin() == 0
    inherited.dispose()
    engine.dispose()


def echo_app() -> Flask:
    app = Flask("echo")

    @app.get("/")
    def echo():
        return jsonify(addr=request.remote_addr, scheme=request.scheme)

    return app


@pytest.mark.parametrize(
    ("peer", "trusted", "expected"),
    [
        ("127.0.0.1", ["127.0.0.1", "::1"], ("10.0.0.7", "https")),  # nginx on this machine
        ("10.10.0.5", ["10.10.0.0/24"], ("10.0.0.7", "https")),  # nginx on another host
        ("10.0.0.9", ["127.0.0.1"], ("10.0.0.9", "http")),  # a terminal posing as a proxy
    ],
)
def test_the_client_address_is_taken_from_trusted_proxies_only(
    monkeypatch, peer, trusted, expected
):
    settings = gunicorn_settings(monkeypatch)
    worker = SimpleNamespace(wsgi=echo_app(), cfg=SimpleNamespace(forwarded_allow_ips=trusted))
    settings["post_worker_init"](worker)
    seen = (
        Client(worker.wsgi)
        .get(
            "/",
            environ_base={"REMOTE_ADDR": peer},
            headers={"X-Forwarded-For": "10.0.0.7", "X-Forwarded-Proto": "https"},
        )
        .json
    )
    assert (seen["addr"], seen["scheme"]) == expected


# --- nginx ----------------------------------------------------------------------------------


def test_nginx_serves_from_disk_exactly_the_folders_flask_serves(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
            "SECRET_KEY": "x",
            "ENV": "testing",
            "SERVER_ROLE": "combined",
        }
    )
    flask_static = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            blueprint = rule.endpoint.rpartition(".")[0]
            folder = (app.blueprints[blueprint] if blueprint else app).static_folder
            flask_static[rule.rule.removesuffix("<path:filename>")] = Path(folder)
    nginx_static = dict(
        re.findall(r"location (\S+) \{\s*alias /opt/exam/static/([\w.]+)/;", LOCATIONS.read_text())
    )
    assert set(nginx_static) == set(flask_static)
    for prefix, link in nginx_static.items():
        # install.sh links /opt/exam/static/a.b to a/b/static in the installed packages.
        package_folder = flask_static[prefix].parent
        assert package_folder.relative_to(ROOT) == Path(*link.split("."))
        assert flask_static[prefix].name == "static"


def test_upload_limit_matches_the_app_and_env_example():
    limit = nginx_value(LOCATIONS, "client_max_body_size")
    default = next(s.default for s in SETTINGS if s.name == "MAX_UPLOAD_MB")
    assert limit == f"{default}m"
    assert f"EXAM_MAX_UPLOAD_MB={default}" in (DEPLOY / "env.example").read_text()


# --- environment file -----------------------------------------------------------------------


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            values[name] = value
    return values


def test_env_example_passes_the_apps_own_validation():
    values = env_example()
    config = load_config(values)  # raises on an unknown EXAM_ name or a bad value
    assert config["ENV"] == "production" and config["SERVER_ROLE"] == "exam"
    assert config["DATABASE_URL"].startswith("postgresql+psycopg://")
    # gunicorn reads WEB_CONCURRENCY with int(): never present and empty.
    assert values.get("WEB_CONCURRENCY", "5") != ""


# --- PostgreSQL -----------------------------------------------------------------------------


def test_postgresql_keeps_commits_durable():
    settings = postgres_settings()
    # An answer is acknowledged only after its commit is on disk.
    assert settings["synchronous_commit"] == "on"
    assert settings["fsync"] == "on" and settings["full_page_writes"] == "on"


def test_postgresql_has_room_for_two_app_servers_of_the_default_size(monkeypatch):
    gunicorn = gunicorn_settings(monkeypatch, EXAM_DATABASE_URL="postgresql+psycopg://x@/y")
    # Each worker: a connection per thread, and the answer-save batches' own pool.
    per_server = gunicorn["default_workers"]("postgresql", 2) * (
        gunicorn["threads"] + SAVE_POOL_SIZE
    )
    assert int(postgres_settings()["max_connections"]) >= 2 * per_server + 20


def test_every_postgresql_setting_exists_on_the_suites_server(connection):
    """On PostgreSQL runs, the names in exam.conf are the server's own."""
    if connection.dialect.name != "postgresql":
        assert all(re.fullmatch(r"[a-z_]+", name) for name in postgres_settings())
        return
    known = {name.lower() for name in connection.scalars(text("SELECT name FROM pg_settings"))}
    assert set(postgres_settings()) <= known  # names are case-insensitive (TimeZone)


# --- systemd --------------------------------------------------------------------------------


def unit(name: str) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            entries.setdefault(key, []).append(value)
    return entries


def test_the_app_starts_only_after_its_migrations():
    app = unit("exam.service")
    assert "exam-migrate.service" in " ".join(app["Requires"])
    assert "exam-migrate.service" in " ".join(app["After"])
    assert app["ExecStart"][0].endswith(
        "gunicorn --config /etc/exam/gunicorn.conf.py exam_server.wsgi:app"
    )
    migrate = unit("exam-migrate.service")
    assert migrate["Type"] == ["oneshot"] and migrate["ExecStart"][0].endswith("examctl db upgrade")


def test_backups_and_collection_run_on_timers():
    backup = unit("exam-backup.service")
    assert "examctl backup -o " in backup["ExecStart"][0]
    assert unit("exam-backup.timer")["OnCalendar"]
    assert unit("exam-finalise.service")["ExecStart"][0].endswith("examctl finalise-due")
    assert unit("exam-finalise.timer")["OnCalendar"] == ["*:*:00"]
    for name in ("exam.service", "exam-migrate.service", "exam-backup.service"):
        assert unit(name)["EnvironmentFile"] == ["/etc/exam/exam.env"]
