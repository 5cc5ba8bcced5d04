"""Images and listening audio for candidates: only their own paper's files, plays counted."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server.delivery.errors import DeliveryError
from exam_server.models import Attempt, ExamPart, FormItem, ItemVersion, MediaPlay
from exam_server.models.bank import ItemVersionMedia, MediaFile

BANK_MEDIA_PREFIX = 'src="/bank/media/'
CANDIDATE_MEDIA_PREFIX = 'src="/media/'


class PlaysUsedUp(DeliveryError):
    code = "plays_used_up"
    status = 409
    message = _l("You have used every play of this recording.")


def for_candidates(stem_html: str) -> str:
    """Point the stem's images at the candidate-side media route."""
    return stem_html.replace(BANK_MEDIA_PREFIX, CANDIDATE_MEDIA_PREFIX)


def audio_of(content: dict) -> list[str]:
    """Return the SHA-256 of each audio file of an item version."""
    return [
        m["sha256"]
        for m in content.get("media", [])
        if str(m.get("content_type", "")).startswith("audio/")
    ]


def candidate_file(session: Session, candidate_id: int, sha256: str) -> MediaFile | None:
    """Return a file only if it belongs to the paper the candidate is sitting now."""
    return session.scalar(
        select(MediaFile)
        .join(ItemVersionMedia, ItemVersionMedia.sha256 == MediaFile.sha256)
        .join(FormItem, FormItem.item_version_id == ItemVersionMedia.item_version_id)
        .join(Attempt, Attempt.form_id == FormItem.form_id)
        .where(
            MediaFile.sha256 == sha256,
            Attempt.candidate_id == candidate_id,
            Attempt.state == "in_progress",
        )
        .limit(1)
    )


def plays_used(session: Session, attempt_id: int) -> dict[int, int]:
    return dict(
        session.execute(
            select(MediaPlay.position, func.count(MediaPlay.id))
            .where(MediaPlay.attempt_id == attempt_id)
            .group_by(MediaPlay.position)
        ).all()
    )


def grant_play(session: Session, attempt: Attempt, position: int, now: dt.datetime) -> int | None:
    """Record one play of the audio at `position`; return the plays left (None: no limit).

    The caller holds the attempt's row lock, so two quick clicks cannot both take the last play.
    """
    part = session.get(ExamPart, attempt.part_id)
    version = session.scalar(
        select(ItemVersion)
        .join(FormItem, FormItem.item_version_id == ItemVersion.id)
        .where(FormItem.form_id == attempt.form_id, FormItem.position == position)
    )
    if version is None or not audio_of(version.content):
        raise PlaysUsedUp()
    used = plays_used(session, attempt.id).get(position, 0)
    limit = part.audio_play_limit
    if limit is not None and used >= limit:
        raise PlaysUsedUp()
    session.add(MediaPlay(attempt_id=attempt.id, position=position, at=now))
    return None if limit is None else limit - used - 1
