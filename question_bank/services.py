"""Writing and finding items: create, edit (a new version), list with filters and search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Item, ItemVersion, Subject, Topic, User
from exam_server.models.bank import ItemTag, MediaFile, Tag, fold_for_search
from exam_server.text import nfc, sanitize_html
from question_bank import media as media_store
from question_bank import messages
from question_bank.errors import BankError, InvalidItem, NotFound
from question_bank.item_types import REGISTRY, Issue, clean_content, errors_of
from question_bank.permissions import require_author, visible_subject_ids
from question_bank.review import record_transition
from question_bank.subjects import TagResolver, descendant_ids, difficulty_count
from question_bank.versions import latest_subquery, latest_version

# Statuses an edit sends back to draft: a changed question must be reviewed again.
REVIEWED_STATUSES = ("in_review", "approved")


@dataclass
class ItemDraft:
    """What an author submits: the versioned part (type, stem, content) and the item's data."""

    item_type: str
    stem: str
    content: dict[str, Any]
    topic_id: int
    difficulty: int
    tags: list[str] = field(default_factory=list)
    source: str | None = None
    note: str | None = None


def check_draft(session: Session, subject: Subject, draft: ItemDraft) -> list[Issue]:
    """Return every problem of a draft (errors and warnings), content already cleaned."""
    item_type = REGISTRY.get(draft.item_type)
    if item_type is None:
        return [Issue("type", messages.TYPE_UNKNOWN, {"value": draft.item_type})]
    issues = item_type.validate(draft.stem, draft.content)
    topic = session.get(Topic, draft.topic_id) if draft.topic_id else None
    if topic is None or topic.subject_id != subject.id:
        issues.append(Issue("topic", messages.TOPIC_REQUIRED))
    levels = difficulty_count(subject)
    if not 1 <= int(draft.difficulty or 0) <= levels:
        issues.append(
            Issue(
                "difficulty",
                messages.DIFFICULTY_OUT_OF_SCALE,
                {"value": draft.difficulty, "levels": levels},
            )
        )
    issues += _media_issues(session, draft)
    return issues


def _media_issues(session: Session, draft: ItemDraft) -> list[Issue]:
    texts = [draft.stem, *(o.get("text", "") for o in draft.content.get("options", []))]
    issues = []
    for text in texts:
        for src in media_store.image_sources(text):
            if src.startswith("data:"):
                continue
            sha = media_store.stored_hash(src) if src.startswith("/bank/media/") else None
            if sha and session.get(MediaFile, sha) is not None:
                continue
            message = (
                messages.MEDIA_EXTERNAL
                if src.lower().startswith(("http://", "https://", "//"))
                else messages.MEDIA_MISSING
            )
            issues.append(Issue("stem", message, {"name": src}))
    for entry in draft.content.get("media", []):
        if session.get(MediaFile, entry.get("sha256", "")) is None:
            issues.append(Issue("media", messages.MEDIA_MISSING, {"name": entry.get("name")}))
    return issues


def _normalise(draft: ItemDraft) -> ItemDraft:
    return ItemDraft(
        item_type=draft.item_type,
        stem=sanitize_html(draft.stem).strip(),
        content=clean_content(draft.item_type, draft.content),
        topic_id=draft.topic_id,
        difficulty=int(draft.difficulty),
        tags=list(draft.tags),
        source=nfc(draft.source).strip()[:300] if draft.source else None,
        note=nfc(draft.note).strip()[:500] if draft.note else None,
    )


def _refuse_errors(issues: list[Issue]) -> None:
    errors = errors_of(issues)
    if errors:
        raise InvalidItem(_l("The question has errors; nothing was saved."), errors)


def create_item(
    session: Session, subject: Subject, draft: ItemDraft, *, actor: User, now: dt.datetime
) -> Item:
    """Create a draft item with its first version; raise InvalidItem with every problem."""
    require_author(session, actor, subject.id)
    draft = _normalise(draft)
    issues = check_draft(session, subject, draft)
    _refuse_errors(issues)
    item = Item(
        subject_id=subject.id,
        topic_id=draft.topic_id,
        difficulty=draft.difficulty,
        status="draft",
        source=draft.source,
        created_by_id=actor.id,
        created_at=now,
    )
    item.tags = TagResolver(session).resolve(draft.tags)
    session.add(item)
    session.flush()
    version = _add_version(session, item, draft, 1, actor, now)
    record_transition(
        session,
        item,
        to_status="draft",
        actor=actor,
        now=now,
        comment=draft.note,
        version_no=version.version_no,
        initial=True,
    )
    _audit(session, actor, now, "bank_item_created", item.id, {"version": 1})
    return item


def edit_item(
    session: Session, item: Item, draft: ItemDraft, *, actor: User, now: dt.datetime
) -> ItemVersion | None:
    """Apply an edit: a changed question becomes a new version (stored versions never change).

    Changing the question, its topic or its difficulty sends a reviewed item back to
    draft; tags and source are bookkeeping and change in place. Returns the new
    version, or None when the question text and key did not change.
    """
    require_author(session, actor, item.subject_id)
    if item.status == "retired":
        raise BankError(_l("A retired question cannot be edited; restore it first."))
    subject = session.get(Subject, item.subject_id)
    draft = _normalise(draft)
    issues = check_draft(session, subject, draft)
    _refuse_errors(issues)
    current = latest_version(session, item.id)
    content_changed = current is None or (
        current.item_type != draft.item_type
        or current.stem != draft.stem
        or current.content != draft.content
    )
    changes: dict[str, Any] = {}
    if item.topic_id != draft.topic_id:
        changes["topic_id"] = [item.topic_id, draft.topic_id]
    if item.difficulty != draft.difficulty:
        changes["difficulty"] = [item.difficulty, draft.difficulty]
    new_version = None
    if content_changed:
        number = (current.version_no if current else 0) + 1
        new_version = _add_version(session, item, draft, number, actor, now)
        changes["version"] = number
    if (content_changed or "topic_id" in changes or "difficulty" in changes) and (
        item.status in REVIEWED_STATUSES
    ):
        record_transition(
            session,
            item,
            to_status="draft",
            actor=actor,
            now=now,
            comment=draft.note or str(_l("Edited; needs review again.")),
            version_no=new_version.version_no if new_version else current.version_no,
        )
    item.topic_id = draft.topic_id
    item.difficulty = draft.difficulty
    old_tags = sorted(tag.name for tag in item.tags)
    item.tags = TagResolver(session).resolve(draft.tags)
    if old_tags != sorted(tag.name for tag in item.tags):
        changes["tags"] = [old_tags, sorted(tag.name for tag in item.tags)]
    if (item.source or None) != draft.source:
        changes["source"] = [item.source, draft.source]
        item.source = draft.source
    if changes:
        _audit(session, actor, now, "bank_item_edited", item.id, changes)
    return new_version


def _add_version(
    session: Session, item: Item, draft: ItemDraft, number: int, actor: User | None, now
) -> ItemVersion:
    version = ItemVersion(
        item_id=item.id,
        version_no=number,
        item_type=draft.item_type,
        stem=draft.stem,
        content=draft.content,
        change_note=draft.note,
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    session.add(version)
    session.flush()
    media_store.link_version(session, version)
    return version


def _audit(session, actor, now, action, item_id, details) -> None:
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor else "system",
        actor_id=actor.id if actor else None,
        action=action,
        target_type="item",
        target_id=item_id,
        details=details,
    )


# --- finding items ----------------------------------------------------------------------------


@dataclass
class ItemFilter:
    subject_id: int | None = None
    topic_id: int | None = None
    difficulty: int | None = None
    item_type: str | None = None
    status: str | None = None
    tag: str | None = None
    text: str | None = None


@dataclass
class ItemRow:
    item: Item
    version: ItemVersion


@dataclass
class Page:
    rows: list[ItemRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def item_query(session: Session, user: User, flt: ItemFilter):
    """Return a select of (Item, latest ItemVersion) matching the filter and the user's scope."""
    latest = latest_subquery()
    query = (
        select(Item, ItemVersion)
        .join(latest, latest.c.item_id == Item.id)
        .join(
            ItemVersion,
            (ItemVersion.item_id == Item.id) & (ItemVersion.version_no == latest.c.version_no),
        )
    )
    subjects = visible_subject_ids(session, user)
    if subjects is not None:
        query = query.where(Item.subject_id.in_(subjects or {-1}))
    if flt.subject_id:
        query = query.where(Item.subject_id == flt.subject_id)
    if flt.topic_id:
        topic = session.get(Topic, flt.topic_id)
        if topic is None:
            raise NotFound(_l("No such topic."))
        query = query.where(Item.topic_id.in_(descendant_ids(session, topic)))
    if flt.difficulty:
        query = query.where(Item.difficulty == flt.difficulty)
    if flt.item_type:
        query = query.where(ItemVersion.item_type == flt.item_type)
    if flt.status:
        query = query.where(Item.status == flt.status)
    if flt.tag:
        tagged = (
            select(ItemTag.item_id)
            .join(Tag, Tag.id == ItemTag.tag_id)
            .where(Tag.name == nfc(flt.tag).strip())
        )
        query = query.where(Item.id.in_(tagged))
    if flt.text and flt.text.strip():
        words = fold_for_search(flt.text).split()
        for word in words:
            condition = ItemVersion.search_text.contains(word, autoescape=True)
            if word.lstrip("#").isdigit():
                condition = or_(condition, Item.id == int(word.lstrip("#")))
            query = query.where(condition)
    return query


ORDERS = {
    "newest": (Item.id.desc(),),
    "oldest": (Item.id,),
    "difficulty": (Item.difficulty, Item.id.desc()),
    "status": (Item.status, Item.id.desc()),
    "type": (ItemVersion.item_type, Item.id.desc()),
}


def search_items(
    session: Session,
    user: User,
    flt: ItemFilter,
    *,
    page: int = 1,
    per_page: int = 50,
    order: str = "newest",
) -> Page:
    """Return one page of matching items in the given order, and the total count."""
    query = item_query(session, user, flt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    rows = session.execute(
        query.order_by(*ORDERS.get(order, ORDERS["newest"]))
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page([ItemRow(item, version) for item, version in rows], total, page, per_page)


def review_queue(session: Session, user: User) -> list[ItemRow]:
    """Return the items waiting for review in the user's subjects, oldest first."""
    query = item_query(session, user, ItemFilter(status="in_review"))
    return [ItemRow(item, version) for item, version in session.execute(query.order_by(Item.id))]
