"""Configuration is validated and the app factory does no I/O."""

from __future__ import annotations

import pytest

from exam_server.app import create_app
from exam_server.config import ConfigError, load_config
from tests.conftest import csrf_from


def test_a_missing_secret_key_stops_start_up():
    with pytest.raises(ConfigError, match="EXAM_SECRET_KEY"):
        load_config({})


def test_production_needs_a_database_url():
    with pytest.raises(ConfigError, match="EXAM_DATABASE_URL"):
        load_config({"EXAM_ENV": "production", "EXAM_SECRET_KEY": "x"})


def test_unknown_exam_settings_are_refused_so_typos_show():
    with pytest.raises(ConfigError, match="EXAM_SECRT_KEY"):
        load_config({"EXAM_SECRT_KEY": "x", "EXAM_SECRET_KEY": "x"})


def test_values_are_typed_from_the_environment():
    config = load_config(
        {
            "EXAM_SECRET_KEY": "x",
            "EXAM_BCRYPT_ROUNDS_CANDIDATE": "8",
            "EXAM_SESSION_COOKIE_SECURE": "yes",
        }
    )
    assert config["BCRYPT_ROUNDS_CANDIDATE"] == 8
    assert config["SESSION_COOKIE_SECURE"] is True
    with pytest.raises(ConfigError, match="EXAM_BCRYPT_ROUNDS_STAFF"):
        load_config({"EXAM_SECRET_KEY": "x", "EXAM_BCRYPT_ROUNDS_STAFF": "many"})
    with pytest.raises(ConfigError, match="between 4 and 16"):
        load_config({"EXAM_SECRET_KEY": "x", "EXAM_BCRYPT_ROUNDS_STAFF": "30"})


def test_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("EXAM_SECRET_KEY", "from-env")
    monkeypatch.setenv("EXAM_DEFAULT_LOCALE", "en")
    config = load_config(
        {"EXAM_SECRET_KEY": "from-env", "EXAM_DEFAULT_LOCALE": "en"}, {"DEFAULT_LOCALE": "vi"}
    )
    assert config["DEFAULT_LOCALE"] == "vi"


def test_the_factory_touches_no_file_and_opens_no_connection(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"SECRET_KEY": "x", "ENV": "testing"}, instance_path=str(instance))
    assert not instance.exists()  # no folder, no SQLite file created
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance}/exam.sqlite3"
    assert app.extensions["exam_db"].engine.pool.checkedout() == 0


def test_vietnamese_is_the_default_language(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Đăng nhập dành cho thí sinh" in page.text


def test_english_is_available(client):
    token = csrf_from(client.get("/login").text)
    client.post("/lang/en", data={"csrf_token": token})
    page = client.get("/login")
    assert '<html lang="en">' in page.text and "Candidate sign-in" in page.text


def test_security_headers_are_set(client):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
