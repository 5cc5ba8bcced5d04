"""bcrypt hashing for staff passwords, candidate access codes and session codes."""

from __future__ import annotations

import functools
import secrets

import bcrypt

# No 0/O, 1/I/L: codes are read off paper slips by nervous candidates.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def hash_secret(secret: str, rounds: int) -> str:
    """Hash a secret with bcrypt at the given cost."""
    return bcrypt.hashpw(secret.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def check_secret(secret: str, hashed: str | None) -> bool:
    """Check a secret against a bcrypt hash (constant time inside bcrypt)."""
    if not hashed:
        return False
    try:
        return bcrypt.checkpw(secret.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def generate_code(length: int = 8) -> str:
    """Return a random code from an alphabet without look-alike characters."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(typed: str) -> str:
    """Normalise a typed code: trim, upper-case, drop spaces and dashes."""
    return "".join(ch for ch in typed.strip().upper() if ch not in " -")


@functools.lru_cache(maxsize=4)
def dummy_hash(rounds: int) -> str:
    """A hash checked when an account does not exist, so a wrong name costs the same time."""
    return hash_secret(secrets.token_urlsafe(12), rounds)
