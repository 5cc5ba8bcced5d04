"""Who may see and change which part of the bank.

- admin: every subject; manages subjects and assignments; may not approve.
- examiner, reviewer: only the subjects assigned to them; reviewers approve and retire.
- everybody else (proctors, technicians, council, supervisors) and candidates: no bank at all.
Nobody approves an item they created or wrote a version of.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models import Item, ItemVersion, User
from exam_server.models.bank import SubjectAssignment
from question_bank.errors import NotAllowed, NotFound

BANK_ROLES = ("admin", "examiner", "reviewer")
AUTHOR_ROLES = ("admin", "examiner", "reviewer")
REVIEWER_ROLES = ("reviewer",)
MANAGER_ROLES = ("admin",)


def sees_every_subject(user: User) -> bool:
    return user.role == "admin"


def require_bank_role(user: User) -> None:
    """Refuse anyone who has no business with the bank."""
    if user is None or user.role not in BANK_ROLES:
        raise NotAllowed(_l("Only examiners, reviewers and administrators use the bank."))


def visible_subject_ids(session: Session, user: User) -> set[int] | None:
    """Return the subjects the user may see, or None for all of them."""
    require_bank_role(user)
    if sees_every_subject(user):
        return None
    return set(
        session.scalars(
            select(SubjectAssignment.subject_id).where(SubjectAssignment.user_id == user.id)
        )
    )


def can_see_subject(session: Session, user: User, subject_id: int) -> bool:
    subjects = visible_subject_ids(session, user)
    return subjects is None or subject_id in subjects


def require_subject(session: Session, user: User, subject_id: int) -> None:
    """Refuse a subject the user is not assigned to (reported as not found: it is secret)."""
    if not can_see_subject(session, user, subject_id):
        raise NotFound(_l("No such subject in your part of the bank."))


def require_author(session: Session, user: User, subject_id: int) -> None:
    """Refuse writing items of a subject the user may not edit."""
    require_subject(session, user, subject_id)
    if user.role not in AUTHOR_ROLES:
        raise NotAllowed(_l("Your role cannot write questions."))


def require_manager(user: User) -> None:
    if user is None or user.role not in MANAGER_ROLES:
        raise NotAllowed(_l("Only an administrator manages subjects and assignments."))


def authors_of(session: Session, item: Item) -> set[int]:
    """Return the users who created the item or wrote any of its versions."""
    authors = set(
        session.scalars(
            select(ItemVersion.created_by_id).where(
                ItemVersion.item_id == item.id, ItemVersion.created_by_id.is_not(None)
            )
        )
    )
    if item.created_by_id is not None:
        authors.add(item.created_by_id)
    return authors


def load_item(session: Session, user: User, item_id: int) -> Item:
    """Return an item the user may see, or raise NotFound."""
    item = session.get(Item, item_id)
    if item is None or not can_see_subject(session, user, item.subject_id):
        raise NotFound(_l("No such question in your part of the bank."))
    return item
