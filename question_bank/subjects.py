"""Subjects, their topic trees and difficulty scales, tags, and examiner assignments."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Item, Subject, Topic, User
from exam_server.models.bank import SUBJECT_KINDS, SubjectAssignment, Tag, fold_for_search
from exam_server.text import nfc
from question_bank import labels
from question_bank.errors import BankError, NotFound
from question_bank.formats.metadata import split_tags
from question_bank.permissions import require_manager

TOPIC_SEPARATOR = "/"
DEFAULT_TOPIC_CODE = "general"
MAX_LEVELS = 10
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


# --- subjects ------------------------------------------------------------------------------


def difficulty_labels(subject: Subject) -> list[str]:
    """Return the labels of the subject's difficulty levels 1..n (default: easy/medium/hard)."""
    if subject.difficulty_levels:
        return list(subject.difficulty_levels)
    return [str(label) for label in labels.DEFAULT_DIFFICULTY]


def difficulty_count(subject: Subject) -> int:
    return len(subject.difficulty_levels or labels.DEFAULT_DIFFICULTY)


def create_subject(
    session: Session,
    *,
    code: str,
    name: str,
    kind: str,
    actor: User | None,
    now: dt.datetime,
    difficulty_levels: list[str] | None = None,
) -> Subject:
    """Create a subject (administrators only; the CLI passes actor=None)."""
    if actor is not None:
        require_manager(actor)
    code = nfc(code).strip()
    if not code or len(code) > 40:
        raise BankError(_l("A subject code has 1 to 40 characters."))
    if kind not in SUBJECT_KINDS:
        raise BankError(_l("Unknown subject kind %(kind)s.", kind=kind))
    if session.scalar(select(Subject.id).where(Subject.code == code)):
        raise BankError(_l("The subject code %(code)s is taken.", code=code))
    subject = Subject(
        code=code,
        name=nfc(name).strip() or code,
        kind=kind,
        difficulty_levels=_levels(difficulty_levels),
    )
    session.add(subject)
    session.flush()
    _audit(session, actor, now, "bank_subject_created", subject.id, {"code": code, "kind": kind})
    return subject


def update_subject(
    session: Session,
    subject: Subject,
    *,
    name: str,
    kind: str,
    difficulty_levels: list[str] | None,
    actor: User,
    now: dt.datetime,
) -> None:
    """Change a subject's name, kind or difficulty scale."""
    require_manager(actor)
    if kind not in SUBJECT_KINDS:
        raise BankError(_l("Unknown subject kind %(kind)s.", kind=kind))
    levels = _levels(difficulty_levels)
    used = session.scalar(
        select(Item.difficulty)
        .where(Item.subject_id == subject.id)
        .order_by(Item.difficulty.desc())
        .limit(1)
    )
    if used and used > len(levels or labels.DEFAULT_DIFFICULTY):
        raise BankError(
            _l("Questions use difficulty %(level)s; keep at least that many levels.", level=used)
        )
    subject.name = nfc(name).strip() or subject.name
    subject.kind = kind
    subject.difficulty_levels = levels
    _audit(session, actor, now, "bank_subject_updated", subject.id, {"kind": kind})


def _levels(levels: list[str] | None) -> list[str] | None:
    if not levels:
        return None
    cleaned = [nfc(level).strip() for level in levels if level and level.strip()]
    if not 2 <= len(cleaned) <= MAX_LEVELS:
        raise BankError(_l("A difficulty scale has 2 to %(n)d levels.", n=MAX_LEVELS))
    return cleaned


def subject_by_code(session: Session, code: str) -> Subject:
    subject = session.scalar(select(Subject).where(Subject.code == nfc(code).strip()))
    if subject is None:
        raise NotFound(_l("No subject with code %(code)s.", code=code))
    return subject


# --- topics ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicNode:
    topic: Topic
    path: str
    depth: int


def topic_tree(session: Session, subject_id: int) -> list[TopicNode]:
    """Return the subject's topics depth-first, each with its full path."""
    topics = list(
        session.scalars(select(Topic).where(Topic.subject_id == subject_id).order_by(Topic.name))
    )
    children: dict[int | None, list[Topic]] = {}
    for topic in topics:
        children.setdefault(topic.parent_id, []).append(topic)
    nodes: list[TopicNode] = []

    def walk(parent_id: int | None, prefix: str, depth: int) -> None:
        for topic in children.get(parent_id, []):
            path = f"{prefix}{TOPIC_SEPARATOR}{topic.name}" if prefix else topic.name
            nodes.append(TopicNode(topic, path, depth))
            walk(topic.id, path, depth + 1)

    walk(None, "", 0)
    return nodes


def topic_paths(session: Session, subject_id: int) -> dict[int, str]:
    """Return {topic id: "Parent/Child"} for a subject."""
    return {node.topic.id: node.path for node in topic_tree(session, subject_id)}


def descendant_ids(session: Session, topic: Topic) -> set[int]:
    """Return the topic and every topic below it."""
    rows = session.execute(
        select(Topic.id, Topic.parent_id).where(Topic.subject_id == topic.subject_id)
    ).all()
    found = {topic.id}
    changed = True
    while changed:
        changed = False
        for topic_id, parent_id in rows:
            if parent_id in found and topic_id not in found:
                found.add(topic_id)
                changed = True
    return found


def topic_code(path: str) -> str:
    """Return a stable code for a topic path (ASCII, at most 80 characters)."""
    levels = [
        _SLUG_JUNK.sub("-", fold_for_search(level)).strip("-") or "x" for level in split_path(path)
    ]
    code = TOPIC_SEPARATOR.join(levels)
    if len(code) > 80:
        digest = hashlib.sha1(code.encode()).hexdigest()[:10]
        code = f"{code[:69]}-{digest}"
    return code


def split_path(path: str) -> list[str]:
    return [nfc(level).strip() for level in path.split(TOPIC_SEPARATOR) if level.strip()]


class TopicResolver:
    """Find or create topics by path within one subject (one query, then in memory)."""

    def __init__(self, session: Session, subject: Subject) -> None:
        self.session = session
        self.subject = subject
        self.by_code = {
            topic.code: topic
            for topic in session.scalars(select(Topic).where(Topic.subject_id == subject.id))
        }
        self.by_path: dict[str, Topic] = {}

    def resolve(self, path: str | None) -> Topic:
        """Return the topic for "A/B/C", creating missing levels; None means the default."""
        key = path or ""
        if key not in self.by_path:
            self.by_path[key] = self._resolve(key)
        return self.by_path[key]

    def _resolve(self, path: str) -> Topic:
        levels = split_path(path)
        if not levels:
            return self._get_or_create(DEFAULT_TOPIC_CODE, _("General"), None)
        parent: Topic | None = None
        for depth in range(1, len(levels) + 1):
            code = topic_code(TOPIC_SEPARATOR.join(levels[:depth]))
            parent = self._get_or_create(code, levels[depth - 1][:200], parent)
        assert parent is not None
        return parent

    def _get_or_create(self, code: str, name: str, parent: Topic | None) -> Topic:
        topic = self.by_code.get(code)
        if topic is None:
            topic = Topic(
                subject_id=self.subject.id,
                parent_id=parent.id if parent else None,
                code=code,
                name=name,
            )
            self.session.add(topic)
            self.session.flush()
            self.by_code[code] = topic
        return topic


def create_topic(
    session: Session,
    subject: Subject,
    *,
    name: str,
    parent: Topic | None,
    actor: User,
    now: dt.datetime,
) -> Topic:
    """Add a topic under `parent` (or at the top)."""
    name = nfc(name).strip()
    if not name or TOPIC_SEPARATOR in name:
        raise BankError(_l("A topic name is not empty and has no “/”."))
    if parent is not None and parent.subject_id != subject.id:
        raise NotFound(_l("No such topic."))
    parent_path = topic_paths(session, subject.id).get(parent.id, "") if parent else ""
    path = f"{parent_path}{TOPIC_SEPARATOR}{name}" if parent_path else name
    resolver = TopicResolver(session, subject)
    if topic_code(path) in resolver.by_code:
        raise BankError(_l("The topic %(path)s exists already.", path=path))
    topic = resolver.resolve(path)
    _audit(session, actor, now, "bank_topic_created", topic.id, {"path": path})
    return topic


# --- tags ------------------------------------------------------------------------------------


def clean_tags(values: Iterable[str]) -> list[str]:
    """Return unique, NFC, trimmed tags in the given order."""
    seen: dict[str, str] = {}
    for value in values:
        tag = " ".join(nfc(value).split())[:100]
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return list(seen.values())


def parse_tags(text: str) -> list[str]:
    """Read the edit form's tags field, as spreadsheets are read ("\\," keeps a comma)."""
    return clean_tags(split_tags(text))


class TagResolver:
    """Find or create tags by name (one query, then in memory)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_name = {tag.name: tag for tag in session.scalars(select(Tag))}

    def resolve(self, names: Iterable[str]) -> list[Tag]:
        tags = []
        for name in clean_tags(names):
            tag = self.by_name.get(name)
            if tag is None:
                tag = Tag(name=name)
                self.session.add(tag)
                self.by_name[name] = tag
            tags.append(tag)
        return tags


# --- assignments -----------------------------------------------------------------------------


def assign(
    session: Session, subject: Subject, user: User, *, actor: User | None, now: dt.datetime
) -> SubjectAssignment:
    """Let an examiner or reviewer work on a subject."""
    if actor is not None:
        require_manager(actor)
    if user.role not in ("examiner", "reviewer"):
        raise BankError(_l("Only examiners and reviewers are assigned to subjects."))
    existing = session.scalar(
        select(SubjectAssignment).where(
            SubjectAssignment.subject_id == subject.id, SubjectAssignment.user_id == user.id
        )
    )
    if existing:
        return existing
    assignment = SubjectAssignment(
        subject_id=subject.id,
        user_id=user.id,
        assigned_by_id=actor.id if actor else None,
        assigned_at=now,
    )
    session.add(assignment)
    _audit(session, actor, now, "bank_assigned", subject.id, {"user_id": user.id})
    return assignment


def unassign(
    session: Session, subject: Subject, user: User, *, actor: User, now: dt.datetime
) -> None:
    require_manager(actor)
    session.execute(
        delete(SubjectAssignment).where(
            SubjectAssignment.subject_id == subject.id, SubjectAssignment.user_id == user.id
        )
    )
    _audit(session, actor, now, "bank_unassigned", subject.id, {"user_id": user.id})


def assignees(session: Session, subject_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(SubjectAssignment, SubjectAssignment.user_id == User.id)
            .where(SubjectAssignment.subject_id == subject_id)
            .order_by(User.username)
        )
    )


def _audit(session, actor, now, action, target_id, details) -> None:
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor else "system",
        actor_id=actor.id if actor else None,
        action=action,
        target_type="subject" if "topic" not in action else "topic",
        target_id=target_id,
        details=details,
    )
