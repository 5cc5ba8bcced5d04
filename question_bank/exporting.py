"""Export a subject's questions (latest versions) to a file format; every export is logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from exam_server.models import Item, ItemVersion, Subject, User
from exam_server.models.bank import MediaFile
from question_bank import media as media_store
from question_bank.access_log import log_access
from question_bank.errors import BankError
from question_bank.formats import FORMATS, QuestionRecord, export
from question_bank.item_types import to_record
from question_bank.permissions import require_subject
from question_bank.subjects import topic_paths
from question_bank.versions import latest_subquery

EXPORT_FORMATS = tuple(name for name, fmt in FORMATS.items() if fmt.exporter is not None)


@dataclass(frozen=True)
class ExportResult:
    data: bytes
    filename: str
    media_type: str
    count: int
    item_ids: tuple[int, ...]


def subject_records(
    session: Session,
    subject: Subject,
    *,
    statuses: Iterable[str] | None = None,
    item_ids: Iterable[int] | None = None,
) -> tuple[list[QuestionRecord], dict[str, bytes], list[int]]:
    """Return the subject's latest versions as records, the media they show, and item ids."""
    latest = latest_subquery()
    query = (
        select(Item, ItemVersion)
        .join(latest, latest.c.item_id == Item.id)
        .join(
            ItemVersion,
            (ItemVersion.item_id == Item.id) & (ItemVersion.version_no == latest.c.version_no),
        )
        .where(Item.subject_id == subject.id)
        .options(selectinload(Item.tags))
        .order_by(Item.id)
    )
    statuses = list(statuses or [])
    if statuses:
        query = query.where(Item.status.in_(statuses))
    if item_ids is not None:
        query = query.where(Item.id.in_(list(item_ids)))
    rows = session.execute(query).all()
    paths = topic_paths(session, subject.id)
    needed: set[str] = set()
    for _item, version in rows:
        needed |= media_store.referenced_hashes(version.stem, version.content)
    stored = {
        media.sha256: media
        for media in session.scalars(select(MediaFile).where(MediaFile.sha256.in_(needed)))
    }
    names = {sha: media_store.file_name(media) for sha, media in stored.items()}
    mapping = {media_store.media_url(sha): name for sha, name in names.items()}
    records = []
    for item, version in rows:
        stem = _rename(version.stem, mapping)
        content = dict(version.content)
        content["options"] = [
            {**option, "text": _rename(option["text"], mapping)}
            for option in version.content.get("options", [])
        ]
        shown = media_store.referenced_hashes(version.stem, version.content)
        records.append(
            to_record(
                version.item_type,
                stem,
                content,
                category=paths.get(item.topic_id),
                difficulty=item.difficulty if item.difficulty <= 3 else None,
                tags=tuple(tag.name for tag in item.tags),
                media=tuple(names[sha] for sha in sorted(shown) if sha in names),
                source=item.source,
            )
        )
    media = {names[sha]: stored[sha].data for sha in names}
    return records, media, [item.id for item, _version in rows]


def _rename(text: str, mapping: dict[str, str]) -> str:
    """Point stored-file URLs at the portable names the export carries."""
    for src in set(media_store.image_sources(text)):
        if src in mapping:
            text = text.replace(f'src="{src}"', f'src="{mapping[src]}"')
    return text


def export_subject(
    session: Session,
    subject: Subject,
    fmt: str,
    *,
    actor: User | None,
    now: dt.datetime,
    statuses: Iterable[str] | None = None,
    lang: str = "vi",
    remote_addr: str | None = None,
) -> ExportResult:
    """Write the subject's questions in `fmt`; raise formats.ExportError for unwritable ones."""
    if actor is not None:
        require_subject(session, actor, subject.id)
    statuses = sorted(statuses or [])
    if fmt not in EXPORT_FORMATS:
        raise BankError(_l("Questions cannot be exported as %(format)s.", format=fmt))
    records, media, item_ids = subject_records(session, subject, statuses=statuses)
    data = export(records, fmt, media=media, lang=lang)
    log_access(
        session,
        user_id=actor.id if actor else None,
        action="export",
        now=now,
        item_ids=item_ids,
        subject_id=subject.id,
        details={
            "format": fmt,
            "statuses": statuses,
            "via": "web" if actor else "cli",
        },
        remote_addr=remote_addr,
    )
    target = FORMATS[fmt]
    return ExportResult(
        data,
        f"{subject.code}{target.extension}",
        target.media_type,
        len(records),
        tuple(item_ids),
    )
