"""Staff account services: create, authenticate, password policy."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models import STAFF_ROLES, User
from exam_server.passwords import check_secret, dummy_hash, hash_secret

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A refused account operation; `message` is shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def password_problem(password: str) -> str | None:
    """Return why a staff password is too weak, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if password.isdigit() or password.isalpha():
        return str(_l("The password must mix letters with digits or symbols."))
    return None


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str,
    rounds: int,
    now: dt.datetime,
) -> User:
    """Create a staff account after checking role, uniqueness and the password policy."""
    if role not in STAFF_ROLES:
        raise AccountError(_l("Unknown role %(role)s.", role=role))
    if session.scalar(select(User.id).where(User.username == username)):
        raise AccountError(_l("The username %(name)s is taken.", name=username))
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        password_hash=hash_secret(password, rounds),
        created_at=now,
    )
    session.add(user)
    return user


def authenticate_staff(session: Session, username: str, password: str, rounds: int) -> User | None:
    """Return the active user with this username and password (one bcrypt check)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_secret(password, dummy_hash(rounds))  # same cost if the name is unknown
        return None
    if not user.active or not check_secret(password, user.password_hash):
        return None
    return user
