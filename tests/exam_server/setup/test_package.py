"""The sealed exam package: round trip, and refusal of altered or foreign packages."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import func, select

from exam_server.models import Candidate, Exam, Form, FormItem, ItemVersion, Shift
from exam_server.models.exams import DataImport
from exam_server.passwords import check_secret
from exam_server.setup import rooms
from exam_server.setup.candidates import issue_access_codes
from exam_server.setup.errors import SetupError
from exam_server.setup.package import (
    PackageRefused,
    export_exam,
    fingerprint,
    import_package,
    load_private,
    load_public,
    private_pem,
    public_pem,
)
from exam_server.setup.publishing import publish_exam
from tests.exam_server.setup.factories_setup import add_candidates, make_bank, make_exam

OFFICE = Ed25519PrivateKey.generate()
COUNCIL = X25519PrivateKey.generate()


@pytest.fixture
def published(db, clock):
    make_bank(db, clock.now, code="ENG", kind="foreign_language", per_cell=12)
    make_bank(db, clock.now, code="IT", kind="it", per_cell=12)
    exam = make_exam(db, clock.now, code="GOI1")
    people = add_candidates(
        db, exam, 4, now=clock.now, names=["Nguyễn Văn An", "Lê Thị Bình", "Trần Châu", "Phạm Dũng"]
    )
    people[0].exempt_part_ids = []
    shift = rooms.save_shift(
        db, exam, name="Ca 1", starts_at=clock.now, now=clock.now, actor_id=None
    )
    room = rooms.save_room(
        db, code="PK1", name="Phòng 1", capacity=6, seats_per_row=3, now=clock.now, actor_id=None
    )
    rooms.auto_assign(db, exam, shifts=[shift], rooms=[room], now=clock.now, actor_id=None)
    codes = issue_access_codes(db, exam, rounds=4, now=clock.now, actor_id=None)
    (session_code,) = rooms.issue_session_codes(db, exam, rounds=4, now=clock.now, actor_id=None)
    publish_exam(db, exam, now=clock.now, actor_id=None)
    return exam, codes, session_code


def sealed(db, clock, exam, signing=OFFICE, council=COUNCIL):
    return export_exam(
        db,
        exam,
        signing_key=signing,
        council_key=council.public_key(),
        now=clock.now,
        actor_id=None,
    )


def load(db, clock, data, council=COUNCIL, signers=(OFFICE,)):
    return import_package(
        db,
        data,
        council_key=council,
        trusted_signers=[k.public_key() for k in signers],
        imported_by="Kỹ thuật viên A",
        now=clock.now,
    )


def form_contents(db, exam_id):
    rows = db.execute(
        select(
            Candidate.registration_number,
            Form.kind,
            FormItem.position,
            ItemVersion.stem,
            FormItem.option_order,
        )
        .join(Form, Form.candidate_id == Candidate.id)
        .join(FormItem, FormItem.form_id == Form.id)
        .join(ItemVersion, ItemVersion.id == FormItem.item_version_id)
        .where(Candidate.exam_id == exam_id)
    ).all()
    return sorted(tuple(r[:4]) + (tuple(r[4]),) for r in rows)


def test_a_package_round_trips_the_exam(db, clock, published):
    exam, codes, session_code = published
    data = sealed(db, clock, exam)
    assert b"Nguy" not in data and "Nguyễn".encode() not in data  # encrypted
    original = form_contents(db, exam.id)
    exam.code = "GOI1-OFFICE"  # the exam server is another database; free the code here
    db.flush()
    record = load(db, clock, data)
    copy = db.get(Exam, record.exam_id)
    assert copy.code == "GOI1" and copy.status == "published"
    assert form_contents(db, copy.id) == original
    assert record.imported_by == "Kỹ thuật viên A" and len(record.package_sha256) == 64
    assert record.signer_fingerprint == fingerprint(OFFICE.public_key())
    assert record.counts["candidates"] == 4 and record.counts["forms"] == 16
    assert record.counts["form_items"] == 16 * 20
    for issued in codes:
        imported = db.scalar(
            select(Candidate).where(
                Candidate.exam_id == copy.id,
                Candidate.registration_number == issued.candidate.registration_number,
            )
        )
        assert check_secret(issued.code, imported.access_code_hash)
        assert imported.seat == issued.candidate.seat and imported.room_session_id
    shift = db.scalar(select(Shift).where(Shift.exam_id == copy.id))
    assert check_secret(session_code.code, shift.session_code_hash)
    assert [p.title for p in copy.parts] == [p.title for p in exam.parts]


def test_a_package_already_loaded_is_refused(db, clock, published):
    exam, _, _ = published
    data = sealed(db, clock, exam)
    with pytest.raises(PackageRefused, match="GOI1"):
        load(db, clock, data)


@pytest.mark.parametrize("where", ["header", "body", "signature", "truncated"])
def test_an_altered_package_is_refused(db, clock, published, where):
    exam, _, _ = published
    data = bytearray(sealed(db, clock, exam))
    exam.code = "OTHER"
    if where == "header":
        data[20] ^= 0x01
    elif where == "body":
        data[len(data) // 2] ^= 0x01
    elif where == "signature":
        data[-1] ^= 0x01
    else:
        data = data[:-100]
    with pytest.raises(PackageRefused):
        load(db, clock, bytes(data))
    assert db.scalar(select(func.count(DataImport.id))) == 0


def test_a_package_signed_by_another_key_is_refused(db, clock, published):
    exam, _, _ = published
    stranger = Ed25519PrivateKey.generate()
    data = sealed(db, clock, exam, signing=stranger)
    exam.code = "OTHER"
    with pytest.raises(PackageRefused, match="trust"):
        load(db, clock, data)
    # Claiming to be the trusted office but signing with another key does not help either.
    with pytest.raises(PackageRefused):
        load(
            db,
            clock,
            data.replace(
                fingerprint(stranger.public_key()).encode(),
                fingerprint(OFFICE.public_key()).encode(),
            ),
        )


def test_a_package_for_another_council_key_is_refused(db, clock, published):
    exam, _, _ = published
    data = sealed(db, clock, exam)
    exam.code = "OTHER"
    with pytest.raises(PackageRefused, match="council"):
        load(db, clock, data, council=X25519PrivateKey.generate())


def test_only_published_exams_are_exported(db, clock):
    make_bank(db, clock.now, code="ENG", kind="foreign_language")
    make_bank(db, clock.now, code="IT", kind="it")
    exam = make_exam(db, clock.now, code="NHAP")
    with pytest.raises(SetupError):
        sealed(db, clock, exam)


def test_keys_round_trip_through_pem_and_kinds_are_checked():
    key = load_private(private_pem(OFFICE), Ed25519PrivateKey)
    assert fingerprint(key.public_key()) == fingerprint(OFFICE.public_key())
    public = load_public(public_pem(COUNCIL.public_key()), type(COUNCIL.public_key()))
    assert fingerprint(public) == fingerprint(COUNCIL.public_key())
    with pytest.raises(PackageRefused):
        load_private(private_pem(COUNCIL), Ed25519PrivateKey)
