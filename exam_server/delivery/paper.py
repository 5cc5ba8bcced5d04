"""What a terminal may see of an attempt: the form as displayed, never a key or a credit."""

from __future__ import annotations

import datetime as dt
import string
import threading
from collections import OrderedDict
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from exam_server.clock import seconds_left
from exam_server.delivery import media
from exam_server.lifecycle import clock_state
from exam_server.models import (
    Answer,
    Attempt,
    Candidate,
    ExamPart,
    FormItem,
    ItemVersion,
    RoomSession,
)
from exam_server.text import sanitize_html

LETTERS = string.ascii_uppercase


def public_item(
    position: int, version_type: str, stem: str, content: dict, option_order: list[str]
) -> dict:
    """Return one item as shown: stem and options in display order, labelled A, B, C…"""
    return _as_placed(position, _shown_version(version_type, stem, content), option_order)


def _shown_version(version_type: str, stem: str, content: dict) -> dict:
    """What a candidate may see of an item version, before its options are placed."""
    return {
        "type": version_type,
        "stem_html": media.for_candidates(sanitize_html(stem)),
        "options_html": {
            option["id"]: media.for_candidates(sanitize_html(option["text"]))
            for option in content.get("options", [])
        },
        "blanks": len(content.get("blanks", [])),
        "audio": [f"/media/{sha256}" for sha256 in media.audio_of(content)],
    }


def _as_placed(position: int, shown: dict, option_order: list[str]) -> dict:
    return {
        "position": position,
        "type": shown["type"],
        "stem_html": shown["stem_html"],
        "options": [
            {"letter": LETTERS[index], "html": shown["options_html"][option_id]}
            for index, option_id in enumerate(option_order)
        ],
        "blanks": shown["blanks"],
        "audio": list(shown["audio"]),
    }


class ShownVersions:
    """Item versions as candidates see them, sanitised once per worker.

    Versions used by a form never change, and a shift's forms draw from one bank: a room
    opening its papers at once would otherwise sanitise the same items once per candidate.
    The key includes the version's item, number and creation time, so a database that
    reuses the id of a deleted draft never gets another version's text.
    """

    SIZE = 20_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: OrderedDict[tuple, dict] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def get(self, session: Session, keys: set[tuple]) -> dict[tuple, dict]:
        with self._lock:
            found = {key: self._held[key] for key in keys if key in self._held}
        missing = {key[0]: key for key in keys - found.keys()}
        if missing:
            rows = session.execute(
                select(
                    ItemVersion.id, ItemVersion.item_type, ItemVersion.stem, ItemVersion.content
                ).where(ItemVersion.id.in_(missing))
            )
            fresh = {
                missing[vid]: _shown_version(kind, stem, content)
                for vid, kind, stem, content in rows
            }
            found.update(fresh)
            with self._lock:
                self._held.update(fresh)
                while len(self._held) > self.SIZE:
                    self._held.popitem(last=False)
        return found


# The stored form as placed, with the answer and flag the server holds at each position, in
# one round trip (answers are only ever stored at positions of the attempt's form).
PLACEMENT_WITH_ANSWERS = (
    select(
        FormItem.position,
        FormItem.option_order,
        ItemVersion.id,
        ItemVersion.item_id,
        ItemVersion.version_no,
        ItemVersion.created_at,
        Answer.response,
        Answer.flagged,
    )
    .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
    .outerjoin(
        Answer,
        and_(Answer.attempt_id == bindparam("attempt_id"), Answer.position == FormItem.position),
    )
    .where(FormItem.form_id == bindparam("form_id"))
    .order_by(FormItem.position)
)


class ShownPart(NamedTuple):
    """What the paper page shows of the part being sat."""

    title: str
    position: int
    audio_play_limit: int | None


class ShownRoom(NamedTuple):
    """What the paper page needs of the candidate's room: its state and its clock."""

    state: str
    paused_seconds: int
    paused_at: dt.datetime | None


class ExamPageRead(NamedTuple):
    """Everything the exam page shows but the items, read in one round trip."""

    full_name: str
    registration_number: str
    room: ShownRoom | None
    attempt: Any  # a row with the attempt's id, form, state, last_seq and clock columns
    part: ShownPart | None


# Every terminal of a room loads this page at the same moment: the candidate, the room's
# clock and the attempt in progress with its part come in one statement, as plain rows.
EXAM_PAGE = (
    select(
        Candidate.full_name,
        Candidate.registration_number,
        RoomSession.id.label("room_id"),
        RoomSession.state.label("room_state"),
        RoomSession.paused_seconds,
        RoomSession.paused_at,
        Attempt.id,
        Attempt.part_id,
        Attempt.form_id,
        Attempt.state,
        Attempt.last_seq,
        Attempt.deadline_base_at,
        Attempt.paused_seconds_at_start,
        Attempt.extension_seconds,
        ExamPart.title,
        ExamPart.position,
        ExamPart.audio_play_limit,
    )
    .select_from(Candidate)
    .outerjoin(RoomSession, RoomSession.id == Candidate.room_session_id)
    .outerjoin(Attempt, and_(Attempt.candidate_id == Candidate.id, Attempt.state == "in_progress"))
    .outerjoin(ExamPart, ExamPart.id == Attempt.part_id)
    .where(Candidate.id == bindparam("candidate_id"))
)


def exam_page_read(session: Session, candidate_id: int) -> ExamPageRead | None:
    """The signed-in candidate with their room and attempt in progress; None: no candidate.

    `attempt` and `part` are None when no part is in progress (or the candidate has no room).
    """
    # Plain reads go through the connection: the ORM's execution layer has nothing to add.
    row = session.connection().execute(EXAM_PAGE, {"candidate_id": candidate_id}).first()
    if row is None:
        return None
    room = (
        None
        if row.room_id is None
        else ShownRoom(row.room_state, row.paused_seconds, row.paused_at)
    )
    if row.id is None or room is None:
        return ExamPageRead(row.full_name, row.registration_number, room, None, None)
    part = ShownPart(row.title, row.position, row.audio_play_limit)
    return ExamPageRead(row.full_name, row.registration_number, room, row, part)


def paper(
    session: Session,
    attempt: Attempt | Any,
    part: ExamPart | ShownPart,
    room: RoomSession | ShownRoom,
    now: dt.datetime,
    versions: ShownVersions | None = None,
) -> dict[str, Any]:
    """Return the candidate-facing paper with the answers and flags the server holds.

    `attempt` may be an Attempt or a row with its id, form, state, last_seq and clock columns.
    """
    rows = (
        session.connection()
        .execute(PLACEMENT_WITH_ANSWERS, {"form_id": attempt.form_id, "attempt_id": attempt.id})
        .all()
    )
    shown = (ShownVersions() if versions is None else versions).get(
        session, {tuple(row[2:6]) for row in rows}
    )
    items = [_as_placed(row.position, shown[tuple(row[2:6])], row.option_order) for row in rows]
    used = media.plays_used(session, attempt.id) if any(i["audio"] for i in items) else {}
    for item in items:
        if item["audio"]:
            limit = part.audio_play_limit
            item["plays_left"] = (
                None if limit is None else max(0, limit - used.get(item["position"], 0))
            )
    return {
        "attempt_id": attempt.id,
        "part": {"title": part.title, "position": part.position},
        "items": items,
        "answers": {str(r.position): r.response for r in rows if r.response is not None},
        "flags": [r.position for r in rows if r.flagged],
        "last_seq": attempt.last_seq,
        "seconds_left": seconds_left(clock_state(attempt, room), now),
        "paused": room.state == "paused",
        "state": attempt.state,
    }


def review_rows(session: Session, attempt: Attempt, item_count: int) -> list[dict[str, Any]]:
    """Return each position's answered and flagged state, from the server's records."""
    held = {
        a.position: a
        for a in session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }
    rows = []
    for position in range(1, item_count + 1):
        answer = held.get(position)
        rows.append(
            {
                "position": position,
                "answered": bool(answer and answer.response not in (None, [])),
                "flagged": bool(answer and answer.flagged),
            }
        )
    return rows
