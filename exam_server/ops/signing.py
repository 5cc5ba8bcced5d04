"""Ed25519 keys for signing exam archives.

The exam server signs with a private key kept in a file readable by the service user only
(by default `archive_signing_key.pem` in the instance folder, created on first use). The
council checks archives against the public key it was given beforehand (print it with
`examctl archive public-key` and write its fingerprint into the minutes), never against a key
that travels inside the archive.
"""

from __future__ import annotations

from pathlib import Path

from exam_server import signing as core
from exam_server.ops.errors import OpsError
from exam_server.signing import fingerprint, public_pem, sign, signature_valid

__all__ = [
    "DEFAULT_KEY_FILE",
    "default_key_path",
    "fingerprint",
    "load_or_create_private_key",
    "load_private_key",
    "load_public_key",
    "public_pem",
    "sign",
    "signature_valid",
]

DEFAULT_KEY_FILE = "archive_signing_key.pem"


def default_key_path(instance_path: str | Path) -> Path:
    return Path(instance_path) / DEFAULT_KEY_FILE


def load_or_create_private_key(path: Path):
    try:
        return core.load_or_create_private_key(path)
    except core.SigningKeyError as exc:
        raise OpsError(str(exc)) from None


def load_private_key(path: Path):
    try:
        return core.load_private_key(path)
    except core.SigningKeyError as exc:
        raise OpsError(str(exc)) from None


def load_public_key(path: Path):
    try:
        return core.load_public_key(path)
    except core.SigningKeyError as exc:
        raise OpsError(str(exc)) from None
