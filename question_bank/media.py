"""Images and audio, stored once by the SHA-256 of their bytes, served only to those entitled.

Stems and options refer to stored files as <img src="/bank/media/<sha256>">; audio for
listening items (and any file not shown inline) is listed in content["media"].
The type is decided from the bytes, never from the name or the uploader's claim, and only
raster images and common audio pass (no SVG: it can carry script).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from exam_server.models import Form, FormItem, Item, ItemVersion, User
from exam_server.models.bank import ItemVersionMedia, MediaFile
from question_bank import messages
from question_bank.permissions import BANK_ROLES, visible_subject_ids

MEDIA_URL_PREFIX = "/bank/media/"
MAX_MEDIA_BYTES = 10 * 1024 * 1024
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/mp4": "m4a",
}
_SHA = re.compile(r"[0-9a-f]{64}")
_HASH_NAME = re.compile(r"(?:.*/)?([0-9a-f]{64})(?:\.[A-Za-z0-9]{1,5})?")
_IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')


def sniff(data: bytes) -> str | None:
    """Return the content type the bytes really are, if it is an allowed one."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"mp42", b"isom", b"M4B "):
        return "audio/mp4"
    return None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def media_url(sha256: str) -> str:
    return f"{MEDIA_URL_PREFIX}{sha256}"


def file_name(media: MediaFile) -> str:
    """Return the portable name a stored file gets in exports: <sha256>.<ext>."""
    return f"{media.sha256}.{EXTENSIONS.get(media.content_type, 'bin')}"


def store(
    session: Session,
    data: bytes,
    *,
    name: str | None,
    actor_id: int | None,
    now: dt.datetime,
    known: dict[str, MediaFile] | None = None,
) -> MediaFile:
    """Store bytes once (by hash) and return the row; the caller checked them with check()."""
    sha = sha256_of(data)
    if known is not None and sha in known:
        return known[sha]
    media = session.get(MediaFile, sha)
    if media is None:
        media = MediaFile(
            sha256=sha,
            content_type=sniff(data) or "application/octet-stream",
            size=len(data),
            data=data,
            original_name=(name or "")[:255] or None,
            created_by_id=actor_id,
            created_at=now,
        )
        session.add(media)
    if known is not None:
        known[sha] = media
    return media


@dataclass(frozen=True)
class MediaProblem:
    name: str
    message_id: str
    params: dict


def check(name: str, data: bytes, limit: int = MAX_MEDIA_BYTES) -> MediaProblem | None:
    """Return why a file cannot be stored, or None."""
    if len(data) > limit:
        return MediaProblem(
            name, messages.MEDIA_TOO_LARGE, {"name": name, "limit": limit // (1024 * 1024)}
        )
    if sniff(data) is None:
        return MediaProblem(name, messages.MEDIA_UNSAFE, {"name": name})
    return None


def stored_hash(name: str) -> str | None:
    """Return the hash a reference names (/bank/media/<sha>, <sha>.png), if any."""
    match = _HASH_NAME.fullmatch(name.strip())
    return match.group(1) if match else None


class MediaResolver:
    """Turn media names of an upload into stored hashes, collecting problems per name."""

    def __init__(self, session: Session, files: Mapping[str, bytes]) -> None:
        self.session = session
        self.files = dict(files)
        self.by_name: dict[str, str] = {}
        self._existing: dict[str, bool] = {}

    def _exists(self, sha: str) -> bool:
        if sha not in self._existing:
            self._existing[sha] = self.session.get(MediaFile, sha) is not None
        return self._existing[sha]

    def resolve(self, name: str) -> tuple[str | None, MediaProblem | None]:
        """Return (sha256, None) or (None, problem) for one referenced name."""
        if name in self.by_name:
            return self.by_name[name], None
        if name.startswith("data:"):
            return None, None  # inline data stays in the text; nothing to store
        data = self.files.get(name)
        if data is None and "/" in name:
            data = self.files.get(name.rsplit("/", 1)[1])
        if data is not None:
            problem = check(name, data)
            if problem:
                return None, problem
            sha = sha256_of(data)
            self.by_name[name] = sha
            return sha, None
        sha = stored_hash(name)
        if sha and self._exists(sha):
            self.by_name[name] = sha
            return sha, None
        if name.lower().startswith(("http://", "https://", "//")):
            return None, MediaProblem(name, messages.MEDIA_EXTERNAL, {"name": name})
        return None, MediaProblem(name, messages.MEDIA_MISSING, {"name": name})

    def bytes_for(self, sha: str) -> bytes | None:
        for name, stored in self.by_name.items():
            if stored == sha:
                data = self.files.get(name)
                if data is None and "/" in name:
                    data = self.files.get(name.rsplit("/", 1)[1])
                if data is not None:
                    return data
        return None


def rewrite_sources(text: str, mapping: Mapping[str, str]) -> str:
    """Point <img src> at stored files: name -> /bank/media/<sha>."""

    def replace(match: re.Match) -> str:
        name = html.unescape(match.group(2))
        sha = mapping.get(name)
        if sha is None:
            return match.group(0)
        return f"{match.group(1)}{media_url(sha)}{match.group(3)}"

    return _IMG_SRC.sub(replace, text)


def image_sources(text: str) -> list[str]:
    return [html.unescape(src) for src in (m.group(2) for m in _IMG_SRC.finditer(text)) if src]


def referenced_hashes(stem: str, content: Mapping) -> set[str]:
    """Return the stored files a version shows: images in texts and listed media."""
    texts = [stem, *(option.get("text", "") for option in content.get("options", []))]
    found = {
        src[len(MEDIA_URL_PREFIX) :]
        for text in texts
        for src in image_sources(text)
        if src.startswith(MEDIA_URL_PREFIX) and _SHA.fullmatch(src[len(MEDIA_URL_PREFIX) :])
    }
    found |= {entry["sha256"] for entry in content.get("media", []) if entry.get("sha256")}
    return found


def link_version(session: Session, version: ItemVersion) -> None:
    """Record which stored files a (flushed) version shows."""
    for sha in sorted(referenced_hashes(version.stem, version.content)):
        session.add(ItemVersionMedia(item_version_id=version.id, sha256=sha))


def export_names(texts: Iterable[str]) -> dict[str, str]:
    """Return {/bank/media/<sha>: <sha>} for the stored files the texts show."""
    return {
        src: src[len(MEDIA_URL_PREFIX) :]
        for text in texts
        for src in image_sources(text)
        if src.startswith(MEDIA_URL_PREFIX)
    }


# --- who may fetch a file ----------------------------------------------------------------------


def staff_may_fetch(session: Session, user: User, sha: str) -> bool:
    """Bank staff may fetch a file shown by an item of a subject they see (or they uploaded)."""
    if user is None or user.role not in BANK_ROLES:
        return False
    subjects = visible_subject_ids(session, user)
    if subjects is None:
        return True
    media = session.get(MediaFile, sha)
    if media is not None and media.created_by_id == user.id:
        return True
    if not subjects:
        return False
    return bool(
        session.scalar(
            select(
                exists()
                .where(ItemVersionMedia.sha256 == sha)
                .where(ItemVersion.id == ItemVersionMedia.item_version_id)
                .where(Item.id == ItemVersion.item_id)
                .where(Item.subject_id.in_(subjects))
            )
        )
    )


def candidate_may_fetch(session: Session, candidate_id: int, sha: str) -> bool:
    """A candidate may fetch a file only if one of their stored forms shows it."""
    return bool(
        session.scalar(
            select(
                exists()
                .where(ItemVersionMedia.sha256 == sha)
                .where(FormItem.item_version_id == ItemVersionMedia.item_version_id)
                .where(Form.id == FormItem.form_id)
                .where(Form.candidate_id == candidate_id)
            )
        )
    )
