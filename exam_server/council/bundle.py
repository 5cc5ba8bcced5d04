"""Signed results bundles: the exports, a manifest of SHA-256 digests, an Ed25519 signature.

A bundle is a zip holding the export files, `manifest.json` (exam, time, key fingerprint and
the SHA-256 and size of every file) and `manifest.sig` (the base64 Ed25519 signature of the
manifest's exact bytes). `public_key.pem` travels along for convenience only: a verifier
checks against a key it already trusts (the council's published key), never the bundle's.
The council's private key lives in the instance folder, readable by the service user only.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from exam_server import signing
from exam_server.signing import fingerprint, public_pem

KEY_FILE = "council_signing_key.pem"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
RESERVED = (MANIFEST, SIGNATURE, PUBLIC_KEY)
FORMAT = "exam-results-bundle/1"


class BundleError(ValueError):
    """A bundle cannot be read at all (not a zip, no manifest…)."""


# --- keys ------------------------------------------------------------------------------------


def load_or_create_key(instance_path: str | Path) -> Ed25519PrivateKey:
    """Return the council's signing key, creating it (mode 600) on first use."""
    return _keys(signing.load_or_create_private_key, Path(instance_path) / KEY_FILE)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    return _keys(signing.load_private_key, path)


def trusted_public_key(instance_path: str | Path) -> Ed25519PublicKey | None:
    """Return the public half of the instance's signing key, if there is one."""
    path = Path(instance_path) / KEY_FILE
    return load_private_key(path).public_key() if path.exists() else None


def load_public_key(data: bytes) -> Ed25519PublicKey:
    return _keys(signing.public_key_from_pem, data)


def _keys(load, source):
    try:
        return load(source)
    except signing.SigningKeyError as exc:
        raise BundleError(str(exc)) from None


# --- building ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    data: bytes  # the zip
    manifest: bytes
    manifest_sha256: str
    signature: str  # base64
    key_fingerprint: str


def build_bundle(
    files: dict[str, bytes], meta: dict, key: Ed25519PrivateKey, created_at: str
) -> Built:
    """Zip the files with a signed manifest of their digests."""
    for name in files:
        if name in RESERVED or "/" in name or "\\" in name or name.startswith("."):
            raise BundleError(f"file name not allowed in a bundle: {name!r}")
    public = key.public_key()
    manifest = {
        "format": FORMAT,
        **meta,
        "created_at": created_at,
        "key_fingerprint": fingerprint(public),
        "files": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        ],
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    signature = base64.b64encode(key.sign(manifest_bytes)).decode("ascii")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr(MANIFEST, manifest_bytes)
        archive.writestr(SIGNATURE, signature + "\n")
        archive.writestr(PUBLIC_KEY, public_pem(public))
    return Built(
        buffer.getvalue(),
        manifest_bytes,
        hashlib.sha256(manifest_bytes).hexdigest(),
        signature,
        fingerprint(public),
    )


# --- checking ---------------------------------------------------------------------------------


@dataclass
class BundleCheck:
    """What verification found; `problems` are (code, file name or None)."""

    manifest: dict = field(default_factory=dict)
    signature_ok: bool = False
    checked_files: list[str] = field(default_factory=list)
    problems: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.signature_ok and not self.problems


def read_members(path: Path) -> dict[str, bytes]:
    """Read a bundle from a zip file or from a folder it was unpacked into."""
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
    try:
        with zipfile.ZipFile(path) as archive:
            members = {}
            for info in archive.infolist():
                if info.is_dir():
                    continue
                members[info.filename] = archive.read(info)
            return members
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"not a readable bundle: {exc}") from None


def verify_bundle(path: Path, key: Ed25519PublicKey) -> BundleCheck:
    """Check the manifest's signature with a trusted key, then every file's digest.

    Problem codes: bad_signature, wrong_key (signed by another key than the trusted one),
    missing (a listed file is absent), altered (digest or size differs), unlisted (a file
    the manifest does not name).
    """
    members = read_members(path)
    if MANIFEST not in members or SIGNATURE not in members:
        raise BundleError("the bundle has no manifest or no signature")
    check = BundleCheck()
    manifest_bytes = members[MANIFEST]
    try:
        check.manifest = json.loads(manifest_bytes)
    except ValueError as exc:
        raise BundleError(f"the manifest is not JSON: {exc}") from None
    try:
        key.verify(base64.b64decode(members[SIGNATURE].strip(), validate=True), manifest_bytes)
        check.signature_ok = True
    except (InvalidSignature, ValueError):
        check.problems.append(("bad_signature", SIGNATURE))
    if check.manifest.get("key_fingerprint") != fingerprint(key):
        check.problems.append(("wrong_key", MANIFEST))
    listed = {entry.get("name"): entry for entry in check.manifest.get("files", [])}
    for name, entry in sorted(listed.items()):
        data = members.get(name)
        if data is None:
            check.problems.append(("missing", name))
            continue
        check.checked_files.append(name)
        if hashlib.sha256(data).hexdigest() != entry.get("sha256") or len(data) != entry.get(
            "size"
        ):
            check.problems.append(("altered", name))
    for name in sorted(set(members) - set(listed) - set(RESERVED)):
        check.problems.append(("unlisted", name))
    return check
