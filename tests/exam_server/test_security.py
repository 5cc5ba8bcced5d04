"""Access hardening: staff networks, server roles, sign-out everywhere, the audit log."""

from __future__ import annotations

from exam_server.app import create_app
from exam_server.config import parse_networks
from tests.conftest import SECRET, csrf_from
from tests.factories import make_staff


def staff_sign_in(client, username, password="correct-horse-42", **kwargs):
    token = csrf_from(client.get("/staff/login", **kwargs).text)
    return client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username, "password": password},
        **kwargs,
    )


def test_staff_pages_can_be_limited_to_office_networks(app, client, db, clock):
    app.config["STAFF_NETWORK_LIST"] = parse_networks("10.10.0.0/16")
    outside = {"environ_base": {"REMOTE_ADDR": "192.168.5.9"}}
    inside = {"environ_base": {"REMOTE_ADDR": "10.10.3.4"}}
    assert client.get("/staff/login", **outside).status_code == 403
    assert client.get("/staff/login", **inside).status_code == 200
    assert client.get("/login", **outside).status_code == 200  # terminals are not staff pages


def test_each_server_role_exposes_only_its_features(tmp_path):
    def app_for(role):
        return create_app(
            {"SECRET_KEY": SECRET, "ENV": "testing", "SERVER_ROLE": role},
            instance_path=str(tmp_path),
        )

    office = set(app_for("office").view_functions)
    exam = set(app_for("exam").view_functions)
    assert "bank" in {e.split(".")[0] for e in office} and "delivery.login" not in office
    assert "delivery.login" in exam and "proctor.rooms" in exam
    assert not any(e.startswith("bank.") for e in exam)  # the bank never sits on the exam LAN
    assert app_for("office").test_client().get("/").headers["Location"].endswith("/staff/login")


def test_sign_out_everywhere_ends_other_sessions(app, db, clock):
    make_staff(db, clock.now, "admin", username="boss")
    db.commit()
    first, second = app.test_client(), app.test_client()
    staff_sign_in(first, "boss")
    staff_sign_in(second, "boss")
    assert second.get("/staff/").status_code == 200
    page = first.get("/staff/")
    first.post("/staff/logout-everywhere", data={"csrf_token": csrf_from(page.text)})
    assert second.get("/staff/").status_code == 302  # the other computer is signed out


def test_the_audit_log_is_for_admins_only(app, db, clock):
    make_staff(db, clock.now, "admin", username="boss")
    make_staff(db, clock.now, "proctor", username="gt2")
    db.commit()
    admin, proctor = app.test_client(), app.test_client()
    staff_sign_in(admin, "boss")
    staff_sign_in(proctor, "gt2")
    page = admin.get("/staff/audit")
    assert page.status_code == 200 and "staff_login" in page.text
    assert proctor.get("/staff/audit").status_code == 403


def test_oversized_uploads_are_refused(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    assert client.post("/login", data={"registration_number": "x" * 4096}).status_code == 413


def test_session_cookies_are_http_only_and_same_site(client):
    response = client.get("/login")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
