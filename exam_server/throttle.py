"""Slow down repeated wrong passwords or codes for one account, never for a room.

Keyed by account only: a room of identical PCs behind one address, signing in together,
is never slowed by each other's typos. Delays double after the free failures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_server.models import LoginThrottle


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    window: dt.timedelta
    max_delay: dt.timedelta
    code_rounds: int = 8  # cost of the stand-in hash checked for unknown accounts

    @classmethod
    def from_config(cls, config) -> ThrottlePolicy:
        return cls(
            config["LOGIN_FREE_FAILURES"],
            dt.timedelta(minutes=config["LOGIN_WINDOW_MINUTES"]),
            dt.timedelta(seconds=config["LOGIN_MAX_DELAY_SECONDS"]),
            config["BCRYPT_ROUNDS_CANDIDATE"],
        )

    def delay_after(self, failures: int) -> dt.timedelta:
        """Return the wait after `failures` failures: none, then 2, 4, 8 … seconds up to the cap."""
        extra = failures - self.free_failures
        if extra <= 0:
            return dt.timedelta(0)
        return min(dt.timedelta(seconds=2**extra), self.max_delay)


class Throttled(Exception):
    def __init__(self, wait_seconds: int):
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


def check(session: Session, key: str, now: dt.datetime) -> None:
    """Raise Throttled if this account must wait before its next try."""
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.account_key == key))
    if row is not None and row.blocked_until is not None and row.blocked_until > now:
        raise Throttled(int((row.blocked_until - now).total_seconds()) + 1)


def record_failure(session: Session, key: str, now: dt.datetime, policy: ThrottlePolicy) -> None:
    """Count a failure and set the time before which the next try is refused."""
    row = _row_for_update(session, key, now)
    if now - row.first_failure_at > policy.window:
        row.failures, row.first_failure_at = 0, now
    row.failures += 1
    delay = policy.delay_after(row.failures)
    row.blocked_until = now + delay if delay else None


def reset(session: Session, key: str) -> None:
    """Forget the failures of an account after a successful sign-in."""
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.account_key == key))
    if row is not None:
        session.delete(row)


def _row_for_update(session: Session, key: str, now: dt.datetime) -> LoginThrottle:
    query = select(LoginThrottle).where(LoginThrottle.account_key == key).with_for_update()
    row = session.scalar(query)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(account_key=key, failures=0, first_failure_at=now)
            session.add(row)
        return row
    except IntegrityError:  # another worker created it first
        return session.scalar(query)
