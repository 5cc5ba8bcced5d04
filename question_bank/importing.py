"""Import a question file into one subject: parse everything, check everything, write once.

All or nothing: if the file (or its media, or a duplicate against the bank) has any error,
nothing is written and the report lists every error with its file, line/row and field.
Imported questions start as drafts: they still go through review before any exam uses them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Item, ItemVersion, Subject, User
from exam_server.models.bank import (
    ItemTag,
    ItemTransition,
    ItemVersionMedia,
    MediaFile,
    version_search_text,
)
from question_bank import media as media_store
from question_bank import messages
from question_bank.formats import (
    ImportErrorRecord,
    QuestionRecord,
    UnknownFormatError,
    detect_format,
    duplicate_key,
    parse,
)
from question_bank.item_types import REGISTRY, from_record, to_record
from question_bank.permissions import require_author
from question_bank.subjects import TagResolver, TopicResolver, difficulty_count
from question_bank.versions import latest_subquery

FORMAT_CHOICES = ("auto", "xlsx", "csv", "gift", "moodle-xml", "aiken", "qti")


@dataclass
class ImportReport:
    """What an import found and (unless it was a dry run or had errors) wrote."""

    filename: str
    format: str | None
    records: list[QuestionRecord] = field(default_factory=list)
    errors: list[ImportErrorRecord] = field(default_factory=list)
    warnings: list[ImportErrorRecord] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return bool(self.item_ids)

    def to_json(self, gettext: Callable[[str], str] | None = None) -> dict[str, Any]:
        """Return {"items": [...], "errors": [...]}; messages in gettext's language."""
        return {
            "items": [record.to_json() for record in self.records],
            "errors": [_error_json(error, gettext) for error in self.errors],
        }


def _error_json(error: ImportErrorRecord, gettext) -> dict[str, Any]:
    data = error.to_json()
    data["message"] = error.render(gettext)
    return data


@dataclass
class _Prepared:
    record: QuestionRecord
    item_type: str
    stem: str
    content: dict[str, Any]
    hashes: set[str]


def import_file(
    session: Session,
    *,
    data: bytes,
    filename: str,
    fmt: str = "auto",
    subject: Subject | None,
    actor: User | None,
    now: dt.datetime,
    files: Mapping[str, bytes] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Check a file and, when it is clean and not a dry run, add every question as a draft.

    `files` are extra media uploaded with the file (images, audio named by the questions).
    The caller commits once; on errors nothing has been added to the session.
    """
    if actor is not None and subject is not None:
        require_author(session, actor, subject.id)
    fmt = _detected(filename, data) if fmt == "auto" else fmt
    result = parse(data, filename, fmt or "auto")
    report = ImportReport(filename, fmt, list(result.records), list(result.errors))
    report.dry_run = dry_run
    if subject is None and not dry_run:
        report.errors.append(ImportErrorRecord(filename, None, "subject", messages.NO_SUBJECT))
    resolver = media_store.MediaResolver(session, {**(files or {}), **result.media})
    levels = difficulty_count(subject) if subject is not None else 3
    prepared = [_prepare(record, filename, resolver, levels, report) for record in report.records]
    if subject is not None:
        _check_bank_duplicates(session, subject, prepared, filename, report)
    if report.errors or dry_run:
        return report
    report.item_ids = _write(session, subject, prepared, resolver, actor, now, filename)
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor else "system",
        actor_id=actor.id if actor else None,
        action="bank_import",
        target_type="subject",
        target_id=subject.id,
        details={
            "file": filename,
            "format": fmt,
            "sha256": hashlib.sha256(data).hexdigest(),
            "items": len(report.item_ids),
        },
    )
    return report


def _detected(filename: str, data: bytes) -> str | None:
    try:
        return detect_format(filename, data)
    except UnknownFormatError:
        return None


def _place(record: QuestionRecord, filename: str) -> str:
    return f"{filename}/{record.location_file}" if record.location_file else filename


def _prepare(
    record: QuestionRecord,
    filename: str,
    resolver: media_store.MediaResolver,
    levels: int,
    report: ImportReport,
) -> _Prepared:
    here = _place(record, filename)
    mapping: dict[str, str] = {}
    for name in record.media:
        sha, problem = resolver.resolve(name)
        if problem:
            report.errors.append(
                ImportErrorRecord(
                    here, record.location, "media", problem.message_id, problem.params
                )
            )
        elif sha:
            mapping[name] = sha
    if record.difficulty is not None and not 1 <= record.difficulty <= levels:
        report.errors.append(
            ImportErrorRecord(
                here,
                record.location,
                "difficulty",
                messages.DIFFICULTY_OUT_OF_SCALE,
                {"value": record.difficulty, "levels": levels},
            )
        )
    item_type, stem, content = from_record(record)
    if mapping:
        stem = media_store.rewrite_sources(stem, mapping)
        for option in content["options"]:
            option["text"] = media_store.rewrite_sources(option["text"], mapping)
        shown = media_store.referenced_hashes(stem, content)
        extra = [(name, sha) for name, sha in mapping.items() if sha not in shown]
        if extra:
            content["media"] = [{"sha256": sha, "name": name} for name, sha in extra]
    for issue in REGISTRY[item_type].validate(stem, content):
        target = report.warnings if issue.warning else report.errors
        target.append(
            ImportErrorRecord(here, record.location, issue.field, issue.message_id, issue.params)
        )
    return _Prepared(record, item_type, stem, content, set(mapping.values()))


def _check_bank_duplicates(
    session: Session,
    subject: Subject,
    prepared: list[_Prepared],
    filename: str,
    report: ImportReport,
) -> None:
    latest = latest_subquery()
    rows = session.execute(
        select(Item.id, Item.status, ItemVersion.item_type, ItemVersion.stem, ItemVersion.content)
        .join(latest, latest.c.item_id == Item.id)
        .join(
            ItemVersion,
            (ItemVersion.item_id == Item.id) & (ItemVersion.version_no == latest.c.version_no),
        )
        .where(Item.subject_id == subject.id)
    ).all()
    if not rows:
        return
    existing = {
        duplicate_key(to_record(item_type, stem, content)): (item_id, status)
        for item_id, status, item_type, stem, content in rows
    }
    for entry in prepared:
        key = duplicate_key(to_record(entry.item_type, entry.stem, entry.content))
        if key in existing:
            item_id, status = existing[key]
            report.errors.append(
                ImportErrorRecord(
                    _place(entry.record, filename),
                    entry.record.location,
                    "stem",
                    messages.DUPLICATE_IN_BANK,
                    {"item_id": item_id, "status": status},
                )
            )


def _write(
    session: Session,
    subject: Subject,
    prepared: list[_Prepared],
    resolver: media_store.MediaResolver,
    actor: User | None,
    now: dt.datetime,
    filename: str,
) -> list[int]:
    actor_id = actor.id if actor else None
    known: dict[str, MediaFile] = {}
    for sha in sorted(set().union(*(entry.hashes for entry in prepared)) if prepared else ()):
        data = resolver.bytes_for(sha)
        if data is not None:
            name = next(n for n, s in resolver.by_name.items() if s == sha)
            media_store.store(session, data, name=name, actor_id=actor_id, now=now, known=known)
    for entry in prepared:
        for media_entry in entry.content.get("media", []):
            stored = known.get(media_entry["sha256"]) or session.get(
                MediaFile, media_entry["sha256"]
            )
            media_entry["content_type"] = stored.content_type if stored else None
    topics = TopicResolver(session, subject)
    tags = TagResolver(session)
    topic_ids = [topics.resolve(entry.record.category).id for entry in prepared]
    tag_lists = [tags.resolve(entry.record.tags) for entry in prepared]
    session.flush()  # new topics and tags get their ids
    # Bulk statements (not one ORM object per row): 5,000 questions must import in seconds.
    item_ids = list(
        session.scalars(
            insert(Item).returning(Item.id, sort_by_parameter_order=True),
            [
                {
                    "subject_id": subject.id,
                    "topic_id": topic_id,
                    "difficulty": entry.record.difficulty or 1,
                    "status": "draft",
                    "source": entry.record.source[:300] if entry.record.source else None,
                    "created_by_id": actor_id,
                    "created_at": now,
                }
                for entry, topic_id in zip(prepared, topic_ids, strict=True)
            ],
        )
    )
    pairs = {
        (item_id, tag.id)
        for item_id, item_tags in zip(item_ids, tag_lists, strict=True)
        for tag in item_tags
    }
    if pairs:
        session.execute(
            insert(ItemTag), [{"item_id": item, "tag_id": tag} for item, tag in sorted(pairs)]
        )
    version_ids = list(
        session.scalars(
            insert(ItemVersion).returning(ItemVersion.id, sort_by_parameter_order=True),
            [
                {
                    "item_id": item_id,
                    "version_no": 1,
                    "item_type": entry.item_type,
                    "stem": entry.stem,
                    "content": entry.content,
                    # Bulk inserts skip ORM events, so the search text is filled here.
                    "search_text": version_search_text(entry.stem, entry.content),
                    "created_by_id": actor_id,
                    "created_at": now,
                }
                for item_id, entry in zip(item_ids, prepared, strict=True)
            ],
        )
    )
    session.execute(
        insert(ItemTransition),
        [
            {
                "item_id": item_id,
                "version_no": 1,
                "from_status": None,
                "to_status": "draft",
                "actor_id": actor_id,
                "at": now,
                "comment": filename[:200],
            }
            for item_id in item_ids
        ],
    )
    links = [
        {"item_version_id": version_id, "sha256": sha}
        for version_id, entry in zip(version_ids, prepared, strict=True)
        for sha in sorted(entry.hashes)
    ]
    if links:
        session.execute(insert(ItemVersionMedia), links)
    return item_ids
