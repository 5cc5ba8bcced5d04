"""Factories for bank tests: subjects with topics, staff with assignments, item drafts."""

from __future__ import annotations

import io

import openpyxl

from exam_server.models import Subject, Topic
from question_bank.services import ItemDraft, create_item
from question_bank.subjects import TopicResolver, assign, create_subject
from tests.factories import make_staff


def bank_subject(db, now, code="ENG", kind="foreign_language", topics=("Grammar",)) -> Subject:
    subject = create_subject(db, code=code, name=f"Subject {code}", kind=kind, actor=None, now=now)
    resolver = TopicResolver(db, subject)
    for path in topics:
        resolver.resolve(path)
    return subject


def topic_of(db, subject: Subject, code: str = "grammar") -> Topic:
    from sqlalchemy import select

    return db.scalar(select(Topic).where(Topic.subject_id == subject.id, Topic.code == code))


def staff(db, now, role, username=None, subjects=()):
    user = make_staff(db, now, role, username=username or role)
    for subject in subjects:
        assign(db, subject, user, actor=None, now=now)
    db.flush()
    return user


def choice_content(texts=("Paris", "London", "Rome", "Berlin"), correct=0, pinned=()):
    return {
        "options": [
            {
                "id": f"o{i}",
                "text": text,
                "fraction": 1.0 if i - 1 == correct else 0.0,
                "pinned": (i - 1) in pinned,
            }
            for i, text in enumerate(texts, start=1)
        ],
        "blanks": [],
    }


def draft(topic, stem="What is the capital of France?", item_type="single_choice", **extra):
    content = extra.pop("content", None)
    if content is None:
        content = choice_content()
    return ItemDraft(
        item_type=item_type,
        stem=stem,
        content=content,
        topic_id=topic.id,
        difficulty=extra.pop("difficulty", 1),
        tags=extra.pop("tags", []),
        source=extra.pop("source", None),
        note=extra.pop("note", None),
    )


def new_item(db, now, subject, topic, author, **extra):
    return create_item(db, subject, draft(topic, **extra), actor=author, now=now)


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER_EN = (
    "type",
    "stem",
    "option_a",
    "option_b",
    "option_c",
    "option_d",
    "correct",
    "category",
    "difficulty",
    "tags",
)
