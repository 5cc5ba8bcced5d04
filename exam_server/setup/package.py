"""The sealed exam package: a published exam carried from the office to the exam server.

Layout of a package file (all lengths big-endian):

    MAGIC | u32 header length | header (JSON) | u64 body length | body | Ed25519 signature (64)

- The body is the exam (items and keys used by its forms, forms, candidates with hashed codes,
  rooms, shifts), as zlib-compressed JSON encrypted with AES-256-GCM under a random content
  key; the header is the associated data, so it cannot be changed either.
- The content key is wrapped for the council's X25519 key: an ephemeral X25519 exchange,
  HKDF-SHA256, then AES-GCM (ECIES). Only the holder of the council's private key opens it.
- The signature (office signing key, Ed25519) covers everything before it. Import refuses a
  package whose signature does not verify against a trusted key, or that does not decrypt.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import struct
import zlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import (
    Candidate,
    Exam,
    ExamPart,
    Form,
    FormItem,
    Item,
    ItemVersion,
    Room,
    RoomSession,
    Shift,
    Subject,
    Topic,
)
from exam_server.models.exams import DataImport
from exam_server.setup.errors import SetupError
from exam_server.setup.forms import write_form_items

MAGIC = b"EXAMPKG1\n"
FORMAT = 1
WRAP_INFO = b"exam-package/v1/content-key"
SIGNATURE_LENGTH = 64


class PackageRefused(SetupError):
    """The package was altered, signed by an unknown key, or is not for this council key."""


# --- keys ----------------------------------------------------------------------------------------


def fingerprint(public_key: Ed25519PublicKey | X25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def private_pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private(data: bytes, kind: type):
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, kind):
        raise PackageRefused(_l("The key file holds another kind of key."))
    return key


def load_public(data: bytes, kind: type):
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, kind):
        raise PackageRefused(_l("The key file holds another kind of key."))
    return key


# --- sealing --------------------------------------------------------------------------------------


def _wrap_key(content_key: bytes, council: X25519PublicKey) -> dict[str, str]:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    kek = _kek(ephemeral.exchange(council), ephemeral_public, council)
    nonce = os.urandom(12)
    wrapped = AESGCM(kek).encrypt(nonce, content_key, WRAP_INFO)
    return {
        "recipient": fingerprint(council),
        "ephemeral": _b64(ephemeral_public),
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
    }


def _kek(shared: bytes, ephemeral_public: bytes, council: X25519PublicKey) -> bytes:
    council_raw = council.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + council_raw, info=WRAP_INFO
    ).derive(shared)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def seal(
    payload: dict[str, Any],
    *,
    signing_key: Ed25519PrivateKey,
    council_key: X25519PublicKey,
    summary: dict[str, Any],
) -> bytes:
    """Encrypt, wrap and sign a payload into package bytes."""
    content_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    header = json.dumps(
        {
            "format": FORMAT,
            "signer": fingerprint(signing_key.public_key()),
            "key": _wrap_key(content_key, council_key),
            "nonce": _b64(nonce),
            **summary,
        },
        sort_keys=True,
        ensure_ascii=False,
    ).encode("utf-8")
    body = AESGCM(content_key).encrypt(
        nonce, zlib.compress(json.dumps(payload, ensure_ascii=False).encode("utf-8"), 6), header
    )
    signed = MAGIC + struct.pack(">I", len(header)) + header + struct.pack(">Q", len(body)) + body
    return signed + signing_key.sign(signed)


@dataclass(frozen=True)
class Opened:
    header: dict[str, Any]
    payload: dict[str, Any]
    sha256: str
    signer: str


def open_package(
    data: bytes, *, council_key: X25519PrivateKey, trusted_signers: list[Ed25519PublicKey]
) -> Opened:
    """Check the signature against the trusted keys, then decrypt; refuse anything else."""
    altered = PackageRefused(_l("The package is damaged or was altered: it is refused."))
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 12 + SIGNATURE_LENGTH:
        raise PackageRefused(_l("This file is not an exam package."))
    signed, signature = data[:-SIGNATURE_LENGTH], data[-SIGNATURE_LENGTH:]
    try:
        offset = len(MAGIC)
        (header_length,) = struct.unpack(">I", signed[offset : offset + 4])
        offset += 4
        header_bytes = signed[offset : offset + header_length]
        offset += header_length
        (body_length,) = struct.unpack(">Q", signed[offset : offset + 8])
        offset += 8
        body = signed[offset : offset + body_length]
        if offset + body_length != len(signed):
            raise altered
        header = json.loads(header_bytes)
    except (struct.error, ValueError) as exc:
        raise altered from exc
    signer = next((k for k in trusted_signers if fingerprint(k) == header.get("signer")), None)
    if signer is None:
        raise PackageRefused(_l("The package was signed by a key this server does not trust."))
    try:
        signer.verify(signature, signed)
    except InvalidSignature as exc:
        raise altered from exc
    wrap = header["key"]
    council_public = council_key.public_key()
    if wrap.get("recipient") != fingerprint(council_public):
        raise PackageRefused(_l("The package was sealed for another council key."))
    try:
        ephemeral = base64.b64decode(wrap["ephemeral"])
        kek = _kek(
            council_key.exchange(X25519PublicKey.from_public_bytes(ephemeral)),
            ephemeral,
            council_public,
        )
        content_key = AESGCM(kek).decrypt(
            base64.b64decode(wrap["nonce"]), base64.b64decode(wrap["wrapped_key"]), WRAP_INFO
        )
        plain = AESGCM(content_key).decrypt(base64.b64decode(header["nonce"]), body, header_bytes)
        payload = json.loads(zlib.decompress(plain))
    except (InvalidTag, ValueError, KeyError, zlib.error) as exc:
        raise PackageRefused(
            _l("The package cannot be opened with this council key, or was altered.")
        ) from exc
    return Opened(header, payload, hashlib.sha256(data).hexdigest(), fingerprint(signer))


# --- export ------------------------------------------------------------------------------------


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


PART_FIELDS = (
    "position",
    "title",
    "item_count",
    "duration_minutes",
    "pass_basis",
    "pass_threshold",
    "shuffle_items",
    "shuffle_options",
    "allowed_types",
    "audio_play_limit",
    "bank_multiplier",
    "exemptible",
    "form_mode",
    "pool_size",
    "fairness_tolerance",
    "max_exposure",
    "neighbour_overlap_max",
    "limits",
)
EXAM_FIELDS = (
    "code",
    "name",
    "kind",
    "clock_mode",
    "results_shown",
    "late_entry_minutes",
    "multi_response_policy",
    "preset",
)


def exam_payload(session: Session, exam: Exam) -> dict[str, Any]:
    """Everything the exam server needs to run the exam, keyed by the office's ids."""
    parts = list(exam.parts)
    subject_ids = {p.subject_id for p in parts}
    forms = session.scalars(
        select(Form).join(Candidate).where(Candidate.exam_id == exam.id).order_by(Form.id)
    ).all()
    items_by_form: dict[int, list] = defaultdict(list)
    version_ids = set()
    for form_id, position, version_id, order, points in session.execute(
        select(
            FormItem.form_id,
            FormItem.position,
            FormItem.item_version_id,
            FormItem.option_order,
            FormItem.points,
        )
        .join(Form, Form.id == FormItem.form_id)
        .join(Candidate, Candidate.id == Form.candidate_id)
        .where(Candidate.exam_id == exam.id)
        .order_by(FormItem.form_id, FormItem.position)
    ):
        items_by_form[form_id].append([position, version_id, order, points])
        version_ids.add(version_id)
    versions = session.execute(
        select(ItemVersion, Item).join(Item).where(ItemVersion.id.in_(version_ids))
    ).all()
    topic_ids = {p.topic_id for _v, p in versions} | {
        int(c["topic_id"]) for p in parts for c in p.blueprint
    }
    room_sessions = session.scalars(
        select(RoomSession).join(Shift).where(Shift.exam_id == exam.id)
    ).all()
    candidates = session.scalars(select(Candidate).where(Candidate.exam_id == exam.id)).all()
    part_positions = {p.id: p.position for p in parts}
    return {
        "exam": {f: getattr(exam, f) for f in EXAM_FIELDS},
        "parts": [
            {
                **{f: getattr(p, f) for f in PART_FIELDS},
                "subject": p.subject_id,
                "blueprint": p.blueprint,
            }
            for p in parts
        ],
        "subjects": [
            {"id": s.id, "code": s.code, "name": s.name, "kind": s.kind}
            for s in session.scalars(select(Subject).where(Subject.id.in_(subject_ids)))
        ],
        "topics": [
            {"id": t.id, "subject": t.subject_id, "code": t.code, "name": t.name}
            for t in session.scalars(select(Topic).where(Topic.id.in_(topic_ids)))
        ],
        "items": [
            {
                "version": v.id,
                "subject": i.subject_id,
                "topic": i.topic_id,
                "difficulty": i.difficulty,
                "facility": i.facility,
                "version_no": v.version_no,
                "item_type": v.item_type,
                "stem": v.stem,
                "content": v.content,
                "created_at": _time(v.created_at),
            }
            for v, i in versions
        ],
        "rooms": [
            {
                "code": r.code,
                "name": r.name,
                "capacity": r.capacity,
                "seats_per_row": r.seats_per_row,
                "spare_terminals": r.spare_terminals,
                "terminal_ips": r.terminal_ips,
            }
            for r in {rs.room.id: rs.room for rs in room_sessions}.values()
        ],
        "shifts": [
            {
                "id": s.id,
                "name": s.name,
                "starts_at": _time(s.starts_at),
                "session_code_hash": s.session_code_hash,
                "session_code_issued_at": _time(s.session_code_issued_at),
            }
            for s in session.scalars(select(Shift).where(Shift.exam_id == exam.id))
        ],
        "room_sessions": [
            {"id": rs.id, "shift": rs.shift_id, "room": rs.room.code} for rs in room_sessions
        ],
        "candidates": [
            {
                "id": c.id,
                "registration_number": c.registration_number,
                "full_name": c.full_name,
                "date_of_birth": c.date_of_birth.isoformat() if c.date_of_birth else None,
                "national_id": c.national_id,
                "gender": c.gender,
                "position_applied": c.position_applied,
                "priority_group": c.priority_group,
                "exempt_parts": [part_positions[pid] for pid in c.exempt_part_ids or []],
                "access_code_hash": c.access_code_hash,
                "access_code_issued_at": _time(c.access_code_issued_at),
                "room_session": c.room_session_id,
                "seat": c.seat,
            }
            for c in candidates
        ],
        "forms": [
            {
                "candidate": f.candidate_id,
                "part": part_positions[f.part_id],
                "kind": f.kind,
                "seed": str(f.seed),
                "pool_index": f.pool_index,
                "pool_hash": f.pool_hash,
                "excluded_ids": f.excluded_ids or [],
                "items": items_by_form.get(f.id, []),
            }
            for f in forms
        ],
    }


def counts_of(payload: dict[str, Any]) -> dict[str, int]:
    return {
        "parts": len(payload["parts"]),
        "items": len(payload["items"]),
        "candidates": len(payload["candidates"]),
        "rooms": len(payload["rooms"]),
        "shifts": len(payload["shifts"]),
        "forms": len(payload["forms"]),
        "form_items": sum(len(f["items"]) for f in payload["forms"]),
    }


def export_exam(
    session: Session,
    exam: Exam,
    *,
    signing_key: Ed25519PrivateKey,
    council_key: X25519PublicKey,
    now: dt.datetime,
    actor_id: int | None,
) -> bytes:
    """Seal a published exam into package bytes."""
    if exam.status != "published":
        raise SetupError(_l("Only a published exam can be exported: its forms must be frozen."))
    payload = exam_payload(session, exam)
    summary = {"exam_code": exam.code, "created_at": now.isoformat(), "counts": counts_of(payload)}
    data = seal(payload, signing_key=signing_key, council_key=council_key, summary=summary)
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor_id else "system",
        actor_id=actor_id,
        action="package_exported",
        target_type="exam",
        target_id=exam.id,
        details={"sha256": hashlib.sha256(data).hexdigest(), "counts": summary["counts"]},
    )
    return data


# --- import ---------------------------------------------------------------------------------------


def import_package(
    session: Session,
    data: bytes,
    *,
    council_key: X25519PrivateKey,
    trusted_signers: list[Ed25519PublicKey],
    imported_by: str,
    now: dt.datetime,
    actor_id: int | None = None,
) -> DataImport:
    """Open a package and load its exam; write and return the data-import record."""
    opened = open_package(data, council_key=council_key, trusted_signers=trusted_signers)
    payload = opened.payload
    code = payload["exam"]["code"]
    if session.scalar(select(Exam.id).where(Exam.code == code)):
        raise PackageRefused(_l("Exam %(code)s is already on this server.", code=code))
    with session.begin_nested():
        exam = _load(session, payload, now)
        record = DataImport(
            exam_id=exam.id,
            imported_at=now,
            imported_by=imported_by,
            package_sha256=opened.sha256,
            signer_fingerprint=opened.signer,
            counts=counts_of(payload),
        )
        session.add(record)
        session.flush()
        audit.record(
            session,
            at=now,
            actor_kind="user" if actor_id else "system",
            actor_id=actor_id,
            action="package_imported",
            target_type="exam",
            target_id=exam.id,
            details={"sha256": opened.sha256, "signer": opened.signer, "by": imported_by},
        )
    return record


def _load(session: Session, payload: dict[str, Any], now: dt.datetime) -> Exam:
    subjects = {}
    for s in payload["subjects"]:
        subject = session.scalar(select(Subject).where(Subject.code == s["code"]))
        if subject is None:
            subject = Subject(code=s["code"], name=s["name"], kind=s["kind"])
            session.add(subject)
            session.flush()
        subjects[s["id"]] = subject.id
    topics = {}
    for t in payload["topics"]:
        subject_id = subjects[t["subject"]]
        topic = session.scalar(
            select(Topic).where(Topic.subject_id == subject_id, Topic.code == t["code"])
        )
        if topic is None:
            topic = Topic(subject_id=subject_id, code=t["code"], name=t["name"])
            session.add(topic)
            session.flush()
        topics[t["id"]] = topic.id
    versions = {}
    for raw in payload["items"]:
        item = Item(
            subject_id=subjects[raw["subject"]],
            topic_id=topics[raw["topic"]],
            difficulty=raw["difficulty"],
            status="approved",
            facility=raw["facility"],
            source=f"package:{payload['exam']['code']}:{raw['version']}",
            created_at=now,
        )
        session.add(item)
        session.flush()
        version = ItemVersion(
            item_id=item.id,
            version_no=raw["version_no"],
            item_type=raw["item_type"],
            stem=raw["stem"],
            content=raw["content"],
            created_at=_parse_time(raw["created_at"]) or now,
        )
        session.add(version)
        session.flush()
        versions[raw["version"]] = version.id
    exam = Exam(**payload["exam"], status="published", created_at=now, published_at=now)
    session.add(exam)
    session.flush()
    parts = {}
    for raw in payload["parts"]:
        values = {f: raw[f] for f in PART_FIELDS}
        part = ExamPart(
            exam_id=exam.id,
            subject_id=subjects[raw["subject"]],
            blueprint=[dict(c, topic_id=topics[int(c["topic_id"])]) for c in raw["blueprint"]],
            **values,
        )
        session.add(part)
        session.flush()
        parts[raw["position"]] = part.id
    rooms = {}
    for raw in payload["rooms"]:
        room = session.scalar(select(Room).where(Room.code == raw["code"]))
        if room is None:
            room = Room(**raw)
            session.add(room)
            session.flush()
        rooms[raw["code"]] = room.id
    shifts = {}
    for raw in payload["shifts"]:
        shift = Shift(
            exam_id=exam.id,
            name=raw["name"],
            starts_at=_parse_time(raw["starts_at"]),
            session_code_hash=raw["session_code_hash"],
            session_code_issued_at=_parse_time(raw["session_code_issued_at"]),
        )
        session.add(shift)
        session.flush()
        shifts[raw["id"]] = shift.id
    room_sessions = {}
    for raw in payload["room_sessions"]:
        room_session = RoomSession(shift_id=shifts[raw["shift"]], room_id=rooms[raw["room"]])
        session.add(room_session)
        session.flush()
        room_sessions[raw["id"]] = room_session.id
    candidates = {}
    for raw in payload["candidates"]:
        candidate = Candidate(
            exam_id=exam.id,
            registration_number=raw["registration_number"],
            full_name=raw["full_name"],
            date_of_birth=dt.date.fromisoformat(raw["date_of_birth"])
            if raw["date_of_birth"]
            else None,
            national_id=raw["national_id"],
            gender=raw["gender"],
            position_applied=raw["position_applied"],
            priority_group=raw["priority_group"],
            exempt_part_ids=[parts[p] for p in raw["exempt_parts"]],
            access_code_hash=raw["access_code_hash"],
            access_code_issued_at=_parse_time(raw["access_code_issued_at"]),
            room_session_id=room_sessions.get(raw["room_session"]),
            seat=raw["seat"],
            created_at=now,
        )
        session.add(candidate)
        session.flush()
        candidates[raw["id"]] = candidate.id
    forms = payload["forms"]
    for start in range(0, len(forms), 400):
        batch = forms[start : start + 400]
        ids = session.scalars(
            insert(Form.__table__).returning(Form.id, sort_by_parameter_order=True),
            [
                {
                    "candidate_id": candidates[f["candidate"]],
                    "part_id": parts[f["part"]],
                    "kind": f["kind"],
                    "seed": int(f["seed"]),
                    "pool_index": f["pool_index"],
                    "pool_hash": f["pool_hash"],
                    # Only the versions in the package exist here; the rest were never drawn.
                    "excluded_ids": [versions[v] for v in f["excluded_ids"] if v in versions],
                    "generated_at": now,
                }
                for f in batch
            ],
        ).all()
        write_form_items(
            session,
            [
                (form_id, position, versions[version_id], json.dumps(order), points)
                for form_id, f in zip(ids, batch, strict=True)
                for position, version_id, order, points in f["items"]
            ],
        )
    session.expire(exam, ["parts"])
    return exam
