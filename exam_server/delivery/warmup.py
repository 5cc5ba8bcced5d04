"""Ready before the first candidate: what each worker would otherwise prepare on its first papers.

A room opens its papers at once. A fresh worker compiles the candidate pages' templates and
SQL statements, loads the catalogues and sanitises the items of the room's forms on its first
requests, while those candidates wait: in the start benchmark the first 0.4 s ran at three
times the cost of the rest, and those papers were the slowest of the thousand. Done once in
the server process before it forks its workers, the work is shared by all of them.

Only reads, with ids that match nothing (the statements compile; no row is read or written),
and the items of forms whose room is not closed.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, get_translations
from sqlalchemy import select

from exam_server.auth import SIGNED_IN_CANDIDATE
from exam_server.db import database
from exam_server.delivery import autosave, services
from exam_server.delivery.paper import EXAM_PAGE, PLACEMENT_WITH_ANSWERS, ShownVersions
from exam_server.delivery.views import SHOWN_VERSIONS
from exam_server.i18n import SUPPORTED_LOCALES
from exam_server.models import Candidate, Form, FormItem, ItemVersion, RoomSession

CANDIDATE_TEMPLATES = (
    "delivery/login.html",
    "delivery/wait.html",
    "delivery/exam.html",
    "delivery/review.html",
    "delivery/result.html",
    "delivery/message.html",
)
NOTHING = -1  # an id no row has

# The item versions of every form whose candidate's room is not closed yet: the papers about
# to be opened.
ITEMS_OF_OPEN_ROOMS = (
    select(ItemVersion.id, ItemVersion.item_id, ItemVersion.version_no, ItemVersion.created_at)
    .distinct()
    .join(FormItem, FormItem.item_version_id == ItemVersion.id)
    .join(Form, Form.id == FormItem.form_id)
    .join(Candidate, Candidate.id == Form.candidate_id)
    .join(RoomSession, RoomSession.id == Candidate.room_session_id)
    .where(RoomSession.state != "closed")
)


def warm_up(app: Flask) -> None:
    """Compile the candidate pages and hot statements; sanitise the open rooms' items.

    A failure is logged and ignored: the workers then do the same work on first use.
    """
    versions = app.extensions[SHOWN_VERSIONS]
    try:
        for name in CANDIDATE_TEMPLATES:
            app.jinja_env.get_template(name)
        with app.test_request_context("/"):
            for locale in SUPPORTED_LOCALES:
                with force_locale(locale):
                    get_translations()
        with app.app_context():
            _statements_and_items(app, versions)
    except Exception as exc:  # noqa: BLE001 - the server must start all the same
        app.logger.warning("warm-up skipped: %s", exc)


def _statements_and_items(app: Flask, versions: ShownVersions) -> None:
    db = database(app)
    session = db.session_factory()
    try:
        dialect = session.get_bind().dialect.name
        session.execute(SIGNED_IN_CANDIDATE, {"id": NOTHING}).all()
        session.execute(
            services.START_PLAN,
            {"exam_id": NOTHING, "candidate_id": NOTHING, "shift_id": NOTHING},
        ).all()
        connection = session.connection()
        reads = [
            (
                services.FORM_AND_NEXT_ID.get(dialect, services.FORM_AND_NEXT_ID["sqlite"]),
                {"candidate_id": NOTHING, "part_id": NOTHING},
            ),
            (services.ROOM_STATE, {"candidate_id": NOTHING}),
            (EXAM_PAGE, {"candidate_id": NOTHING}),
            (PLACEMENT_WITH_ANSWERS, {"form_id": NOTHING, "attempt_id": NOTHING}),
            (autosave.READ_ATTEMPT_NO_LOCK, {"attempt_id": NOTHING}),
        ]
        for statement, parameters in reads:
            connection.execute(statement, parameters).all()
        keys = {tuple(row) for row in connection.execute(ITEMS_OF_OPEN_ROOMS)}
        for chunk in _chunks(sorted(keys)[: ShownVersions.SIZE], 500):
            versions.get(session, set(chunk))
    finally:
        session.rollback()
        session.close()


def _chunks(rows: list, size: int):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
