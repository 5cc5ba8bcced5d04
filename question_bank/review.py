"""The review workflow: draft → in review → approved → retired, every step recorded.

Only approved items are drawn into forms (exam_server.setup reads Item.status).
Nobody approves an item they created or wrote a version of; only reviewers approve.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Item, User
from exam_server.models.bank import ItemTransition
from exam_server.text import nfc
from question_bank.errors import BankError, NotAllowed, TransitionRefused
from question_bank.labels import status_label
from question_bank.permissions import (
    AUTHOR_ROLES,
    REVIEWER_ROLES,
    authors_of,
    load_item,
    require_subject,
)
from question_bank.versions import latest_version


@dataclass(frozen=True)
class Action:
    name: str
    label: object
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    comment_required: bool = False


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("submit", _l("Send for review"), ("draft",), "in_review", AUTHOR_ROLES),
        Action("approve", _l("Approve"), ("in_review",), "approved", REVIEWER_ROLES),
        Action(
            "return",
            _l("Return to the author"),
            ("in_review",),
            "draft",
            ("reviewer", "admin"),
            comment_required=True,
        ),
        Action(
            "retire",
            _l("Retire"),
            ("draft", "in_review", "approved"),
            "retired",
            ("reviewer", "admin"),
        ),
        Action("restore", _l("Restore as draft"), ("retired",), "draft", ("reviewer", "admin")),
    )
}


def record_transition(
    session: Session,
    item: Item,
    *,
    to_status: str,
    actor: User | None,
    now: dt.datetime,
    comment: str | None,
    version_no: int,
    initial: bool = False,
) -> ItemTransition:
    """Write one transition row (who, when, from, to, why) and set the item's status."""
    transition = ItemTransition(
        item_id=item.id,
        version_no=version_no,
        from_status=None if initial else item.status,
        to_status=to_status,
        actor_id=actor.id if actor else None,
        at=now,
        comment=nfc(comment).strip() if comment else None,
    )
    item.status = to_status
    session.add(transition)
    return transition


def refusal(session: Session, item: Item, action: Action, actor: User) -> str | None:
    """Return why the actor may not take the action on the item now, or None."""
    if item.status not in action.sources:
        return str(
            _l(
                "This step is not possible while the question is “%(status)s”.",
                status=status_label(item.status),
            )
        )
    if actor.role not in action.roles:
        return str(_l("Your role cannot do this step."))
    if action.name == "approve" and actor.id in authors_of(session, item):
        return str(_l("Nobody approves their own question; another reviewer must do it."))
    return None


def transition(
    session: Session,
    item: Item,
    action_name: str,
    *,
    actor: User,
    now: dt.datetime,
    comment: str | None = None,
) -> ItemTransition:
    """Move an item one step through the workflow, or raise TransitionRefused/NotAllowed."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise BankError(_l("Unknown review step."))
    require_subject(session, actor, item.subject_id)
    reason = refusal(session, item, action, actor)
    if reason:
        error = NotAllowed if actor.role not in action.roles else TransitionRefused
        raise error(reason)
    if action.comment_required and not (comment and comment.strip()):
        raise TransitionRefused(_l("Say what the author should change."))
    version = latest_version(session, item.id)
    row = record_transition(
        session,
        item,
        to_status=action.target,
        actor=actor,
        now=now,
        comment=comment,
        version_no=version.version_no if version else 0,
    )
    audit.record(
        session,
        at=now,
        actor_kind="user",
        actor_id=actor.id,
        action=f"bank_item_{action.name}",
        target_type="item",
        target_id=item.id,
        details={"from": row.from_status, "to": row.to_status},
    )
    return row


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def bulk_transition(
    session: Session,
    item_ids: Iterable[int],
    action_name: str,
    *,
    actor: User,
    now: dt.datetime,
    comment: str | None = None,
) -> BulkResult:
    """Apply one step to many items; those refused are listed with the reason, not changed."""
    result = BulkResult()
    for item_id in sorted(set(item_ids)):
        try:
            item = load_item(session, actor, item_id)
            transition(session, item, action_name, actor=actor, now=now, comment=comment)
        except BankError as error:
            result.refused.append((item_id, str(error.message)))
        else:
            result.done.append(item_id)
    return result


def transitions_of(session: Session, item: Item) -> list[ItemTransition]:
    return list(
        session.scalars(
            select(ItemTransition)
            .where(ItemTransition.item_id == item.id)
            .order_by(ItemTransition.at, ItemTransition.id)
        )
    )


def available_actions(session: Session, item: Item, actor: User) -> list[Action]:
    """Return the steps the actor may take on the item now."""
    return [a for a in ACTIONS.values() if refusal(session, item, a, actor) is None]
