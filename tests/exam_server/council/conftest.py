"""Council test wiring: the blueprint on the test app, signed-in staff, the PDF font."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import csrf_from
from tests.factories import make_staff

SYSTEM_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture
def app(app):
    # The composition root registers the council's blueprint; until it does, tests do.
    if "council" not in app.blueprints:
        from exam_server.council.views import bp

        app.register_blueprint(bp)
    return app


@pytest.fixture(autouse=True)
def pdf_font(monkeypatch):
    """Use the shipped font, or (tests only) the system's DejaVu Sans when it is not shipped."""
    from exam_server.council import exports

    if not exports.SHIPPED_FONT.is_file() and SYSTEM_FONT.is_file():
        monkeypatch.setattr(exports, "SHIPPED_FONT", SYSTEM_FONT)


def sign_in(client, db, clock, role, username=None):
    user = make_staff(db, clock.now, role, username=username or role)
    page = client.get("/staff/login")
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page.text),
            "username": user.username,
            "password": "correct-horse-42",
        },
    )
    return user
