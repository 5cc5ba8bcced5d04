"""What a terminal may see of an attempt: the form as displayed, never a key or a credit."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.clock import seconds_left
from exam_server.delivery import media
from exam_server.lifecycle import clock_state, form_with_versions
from exam_server.models import Answer, Attempt, ExamPart, RoomSession
from exam_server.text import sanitize_html

LETTERS = string.ascii_uppercase


def public_item(
    position: int, version_type: str, stem: str, content: dict, option_order: list[str]
) -> dict:
    """Return one item as shown: stem and options in display order, labelled A, B, C…"""
    by_id = {option["id"]: option for option in content.get("options", [])}
    return {
        "position": position,
        "type": version_type,
        "stem_html": media.for_candidates(sanitize_html(stem)),
        "options": [
            {
                "letter": LETTERS[index],
                "html": media.for_candidates(sanitize_html(by_id[option_id]["text"])),
            }
            for index, option_id in enumerate(option_order)
        ],
        "blanks": len(content.get("blanks", [])),
        "audio": [f"/media/{sha256}" for sha256 in media.audio_of(content)],
    }


def paper(
    session: Session, attempt: Attempt, part: ExamPart, room: RoomSession, now: dt.datetime
) -> dict[str, Any]:
    """Return the candidate-facing paper with the answers and flags the server holds."""
    items = [
        public_item(
            form_item.position,
            version.item_type,
            version.stem,
            version.content,
            form_item.option_order,
        )
        for form_item, version in form_with_versions(session, attempt.form_id)
    ]
    answers = session.scalars(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    used = media.plays_used(session, attempt.id)
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
        "answers": {str(a.position): a.response for a in answers if a.response is not None},
        "flags": sorted(a.position for a in answers if a.flagged),
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
