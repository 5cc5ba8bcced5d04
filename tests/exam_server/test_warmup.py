"""The server's warm-up before its workers fork: the open rooms' items ready, nothing written."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from exam_server.delivery import warmup
from exam_server.delivery.views import SHOWN_VERSIONS
from exam_server.models import AnswerEvent, Attempt, Form, FormItem
from tests.factories import make_sitting


def test_the_warm_up_prepares_the_items_of_open_rooms_and_writes_nothing(app, db, clock):
    waiting = make_sitting(db, clock.now, room_state="waiting", code="OPEN1")
    closed = make_sitting(db, clock.now, room_state="closed", code="DONE1")
    db.flush()
    open_versions = set(
        db.scalars(
            select(FormItem.item_version_id)
            .join(Form, Form.id == FormItem.form_id)
            .where(Form.part_id == waiting.part.id)
        )
    )
    closed_versions = set(
        db.scalars(
            select(FormItem.item_version_id)
            .join(Form, Form.id == FormItem.form_id)
            .where(Form.part_id == closed.part.id)
        )
    )
    assert open_versions and closed_versions and not open_versions & closed_versions

    warmup.warm_up(app)

    versions = app.extensions[SHOWN_VERSIONS]
    assert len(versions) == len(open_versions)
    assert db.scalar(select(func.count()).select_from(Attempt)) == 0
    assert db.scalar(select(func.count()).select_from(AnswerEvent)) == 0


def test_a_failed_warm_up_is_logged_and_the_server_starts_all_the_same(app, caplog, monkeypatch):
    def unreachable(*_args):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(warmup, "_statements_and_items", unreachable)
    with caplog.at_level(logging.WARNING):
        warmup.warm_up(app)  # does not raise
    assert "warm-up skipped: database unreachable" in caplog.text
