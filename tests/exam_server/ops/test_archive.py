"""The end-of-exam archive: signed, verifiable, restorable with identical results, and the only
way to a wipe that leaves nothing of the exam behind."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.audit_verify import verify_exam
from exam_server.db import make_engine
from exam_server.models import AuditEntry, Candidate, Exam
from exam_server.ops.archive import redact
from exam_server.ops.rows import metadata
from exam_server.ops.scope import exam_scope
from tests.exam_server.ops.conftest import NOW
from tests.exam_server.ops.factories_ops import sit_exam

RESULT_FIELDS = (
    "state",
    "finalised_by",
    "correct_count",
    "answered_count",
    "earned_points",
    "max_points",
    "score_100",
    "share_correct",
    "passed",
    "last_hash",
)


def write_key(folder: Path, name: str) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def exam_id(url: str, code: str) -> int | None:
    engine = make_engine(url)
    with Session(engine) as session:
        found = session.scalar(select(Exam.id).where(Exam.code == code))
    engine.dispose()
    return found


def exam_rows(url: str, code: str, exam: int | None = None) -> dict[str, list[dict]]:
    """The exam's own rows and audit entries, as the archive keeps them (credentials blanked)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        scope = exam_scope(connection, exam or exam_id(url, code), references=False)
    engine.dispose()
    rows = {name: redact(name, found) for name, found in scope.owned.items()}
    rows["audit_log"] = scope.audit
    return rows


def results(url: str, code: str) -> list[tuple]:
    rows = exam_rows(url, code)
    candidates = {c["id"]: c["registration_number"] for c in rows["candidates"]}
    return sorted(
        (candidates[a["candidate_id"]], a["attempt_no"], *(a[f] for f in RESULT_FIELDS))
        for a in rows["attempts"]
    )


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(path: Path, target: Path, changes: dict[str, bytes]) -> Path:
    """Copy an archive with some members replaced (what a forger would do)."""
    content = {**members(path), **changes}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    target.write_bytes(buffer.getvalue())
    return target


@pytest.fixture(scope="module")
def world(module_database, tmp_path_factory):
    """A server with two exams: AR1 finished, with every kind of record; AR2 still running."""
    folder = tmp_path_factory.mktemp("archive")
    url = module_database("ar_source")
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        sit_exam(session, NOW, "AR1", candidates=3)
        sit_exam(session, NOW, "AR2", candidates=2, finish=False)
        session.commit()
    engine.dispose()
    private, public = write_key(folder, "council")
    other_private, other_public = write_key(folder, "intruder")
    return {
        "url": url,
        "folder": folder,
        "key": private,
        "public": public,
        "other_key": other_private,
        "archive": folder / "AR1.zip",
    }


@pytest.fixture
def archive_file(world, examctl) -> Path:
    path = world["archive"]
    if not path.exists():
        made = examctl(world["url"], "archive", "AR1", "-o", path, "--key", world["key"])
        assert made.exit_code == 0, made.output
    return path


def test_the_archive_holds_everything_the_council_keeps_and_no_credential(world, archive_file):
    content = members(archive_file)
    manifest = json.loads(content["manifest.json"])
    assert manifest["exam"]["code"] == "AR1"
    for name in (
        "exam/answer_events.json",
        "exam/answers.json",
        "exam/attempts.json",
        "exam/forms.json",
        "exam/form_items.json",
        "exam/proctor_incident_versions.json",
        "exam/proctor_sanctions.json",
        "exam/council_decisions.json",
        "exam/council_part_results.json",
        "exam/audit_log.json",
        "reference/item_versions.json",
        "reference/media_files.json",
        "results.csv",
    ):
        assert name in content, name
    # Every listed file is there with its digest; counts match the exam's rows.
    for entry in manifest["files"]:
        assert hashlib.sha256(content[entry["name"]]).hexdigest() == entry["sha256"]
    original = exam_rows(world["url"], "AR1")
    assert manifest["counts"] == {name: len(rows) for name, rows in original.items()}
    assert manifest["counts"]["answer_events"] > 20 and manifest["counts"]["audit_log"] >= 5
    # The keys travel with the forms: every item version used is in the archive.
    used = {row["item_version_id"] for row in original["form_items"]}
    versions = json.loads(content["reference/item_versions.json"])
    assert {row[versions["columns"].index("id")] for row in versions["rows"]} == used
    blobs = [name for name in content if name.startswith("blobs/")]
    assert len(blobs) == 1 and content[blobs[0]].startswith(b"PNG bytes of AR1")
    assert b"$2b$" not in b"".join(content.values())  # no bcrypt hash of any secret
    lines = content["results.csv"].decode().splitlines()
    assert lines[0].startswith("registration_number,") and len(lines) == 1 + 3


def test_verify_accepts_the_archive_and_rejects_tampering_or_another_key(
    world, archive_file, examctl
):
    url, folder = world["url"], world["folder"]
    good = examctl(url, "archive", "verify", archive_file, "--public-key", world["public"])
    assert good.exit_code == 0 and "OK" in good.output, good.output

    answers = json.loads(members(archive_file)["exam/answers.json"])
    answers["rows"][0][answers["columns"].index("response")] = [3]
    forged = rezip(
        archive_file, folder / "forged.zip", {"exam/answers.json": json.dumps(answers).encode()}
    )
    bad = examctl(url, "archive", "verify", forged, "--public-key", world["public"])
    assert bad.exit_code == 1 and "altered file exam/answers.json" in bad.output

    manifest = json.loads(members(archive_file)["manifest.json"])
    manifest["counts"]["answers"] = 0
    resigned = rezip(
        archive_file, folder / "manifest.zip", {"manifest.json": json.dumps(manifest).encode()}
    )
    bad = examctl(url, "archive", "verify", resigned, "--public-key", world["public"])
    assert bad.exit_code == 1 and "signature does not match" in bad.output

    foreign = folder / "foreign.zip"
    made = examctl(url, "archive", "AR1", "-o", foreign, "--key", world["other_key"])
    assert made.exit_code == 0, made.output
    bad = examctl(url, "archive", "verify", foreign, "--public-key", world["public"])
    assert bad.exit_code == 1 and "not the trusted key" in bad.output


def test_the_archive_restores_into_a_fresh_database_with_identical_results(
    world, archive_file, new_database, examctl
):
    fresh = new_database("ar_fresh")
    restored = examctl(fresh, "archive", "restore", archive_file, "--public-key", world["public"])
    assert restored.exit_code == 0, restored.output
    assert "all match" in restored.output

    assert results(fresh, "AR1") == results(world["url"], "AR1")
    assert exam_rows(fresh, "AR1") == exam_rows(world["url"], "AR1")
    engine = make_engine(fresh)
    with Session(engine) as session:
        exam = session.scalar(select(Exam).where(Exam.code == "AR1"))
        report = verify_exam(session, exam)  # chains, answers and scores recomputed
        assert report.ok and len(report.attempts) == 3
        # Ids moved past the restored rows: new rows can be added after a restore.
        audit.record(session, at=NOW, actor_kind="system", actor_id=None, action="after")
        session.commit()
    engine.dispose()
    again = examctl(fresh, "archive", "restore", archive_file, "--public-key", world["public"])
    assert again.exit_code == 1 and "already holds exam AR1" in again.output


def test_wipe_refuses_without_a_verified_and_current_archive(world, archive_file, examctl):
    url, folder, public = world["url"], world["folder"], world["public"]
    before = exam_rows(url, "AR1")

    missing = examctl(url, "wipe", "AR1", "--yes", "--public-key", public)
    assert missing.exit_code == 1 and "--archive" in missing.output

    answers = json.loads(members(archive_file)["exam/answers.json"])
    answers["rows"] = answers["rows"][1:]
    tampered = rezip(
        archive_file, folder / "tampered.zip", {"exam/answers.json": json.dumps(answers).encode()}
    )
    refused = examctl(url, "wipe", "AR1", "--archive", tampered, "--yes", "--public-key", public)
    assert refused.exit_code == 1 and "failed verification" in refused.output

    foreign = folder / "foreign-wipe.zip"
    assert examctl(url, "archive", "AR1", "-o", foreign, "--key", world["other_key"]).exit_code == 0
    refused = examctl(url, "wipe", "AR1", "--archive", foreign, "--yes", "--public-key", public)
    assert refused.exit_code == 1 and "not the trusted key" in refused.output

    other = folder / "AR2.zip"
    assert examctl(url, "archive", "AR2", "-o", other, "--key", world["key"]).exit_code == 0
    refused = examctl(url, "wipe", "AR1", "--archive", other, "--yes", "--public-key", public)
    assert refused.exit_code == 1 and "is of exam AR2" in refused.output
    running = examctl(url, "wipe", "AR2", "--archive", other, "--yes", "--public-key", public)
    assert running.exit_code == 1 and "still in progress" in running.output

    # Something written about the exam after the archive was made: the archive is stale.
    engine = make_engine(url)
    with Session(engine) as session:
        candidate = session.scalar(
            select(Candidate).where(Candidate.exam_id == exam_id(url, "AR1"))
        )
        late = audit.record(
            session,
            at=NOW,
            actor_kind="candidate",
            actor_id=candidate.id,
            action="late_note",
            target_type="candidate",
            target_id=candidate.id,
        )
        session.commit()
        stale = examctl(
            url, "wipe", "AR1", "--archive", archive_file, "--yes", "--public-key", public
        )
        assert stale.exit_code == 1 and "changed since the archive" in stale.output
        assert "audit_log" in stale.output
        session.execute(delete(AuditEntry).where(AuditEntry.id == late.id))
        session.commit()
    engine.dispose()
    assert exam_rows(url, "AR1") == before  # every refusal left the exam whole


def independent_counts(url: str, archived: dict[str, list]) -> dict[str, int]:
    """Count rows still pointing at the archived exam, table by table, with plain SQL: by
    their own id, and by every *_id column naming one of the archived rows."""
    owner_columns = {
        "exam_id": "exams",
        "candidate_id": "candidates",
        "attempt_id": "attempts",
        "room_session_id": "room_sessions",
        "part_id": "exam_parts",
        "form_id": "forms",
        "shift_id": "shifts",
        "incident_id": "proctor_incidents",
    }
    counts = {}
    engine = make_engine(url)
    with engine.connect() as connection:
        for table in metadata().sorted_tables:
            total = 0
            own_ids = archived.get(table.name, [])
            if own_ids and "id" in table.c:
                total += connection.scalar(
                    select(func.count()).select_from(table).where(table.c.id.in_(own_ids))
                )
            for column, owner in owner_columns.items():
                if column in table.c and archived.get(owner):
                    total += connection.scalar(
                        select(func.count())
                        .select_from(table)
                        .where(table.c[column].in_(archived[owner]))
                    )
            counts[table.name] = total
    engine.dispose()
    return counts


def archived_ids(path: Path) -> dict[str, list]:
    found = {}
    for name, data in members(path).items():
        if name.startswith("exam/"):
            document = json.loads(data)
            if "id" in document["columns"]:
                index = document["columns"].index("id")
                found[document["table"]] = [row[index] for row in document["rows"]]
    return found


def test_wipe_deletes_every_row_of_the_exam_and_nothing_else_then_it_restores(
    world, archive_file, examctl
):
    url, public = world["url"], world["public"]
    archived = archived_ids(archive_file)
    assert all(independent_counts(url, archived)[name] for name in ("answers", "attempts"))
    original_results = results(url, "AR1")
    other_before = exam_rows(url, "AR2")

    wiped = examctl(url, "wipe", "AR1", "--archive", archive_file, "--yes", "--public-key", public)
    assert wiped.exit_code == 0, wiped.output

    remaining = {name: n for name, n in independent_counts(url, archived).items() if n}
    assert remaining == {}
    assert exam_rows(url, "AR2") == other_before  # the other exam is untouched
    engine = make_engine(url)
    with Session(engine) as session:
        trace = session.scalar(select(AuditEntry).where(AuditEntry.action == "exam_wiped"))
        assert trace.details["exam_code"] == "AR1"
        assert (
            trace.details["archive_sha256"] == hashlib.sha256(archive_file.read_bytes()).hexdigest()
        )
    engine.dispose()
    if url.startswith("sqlite"):
        # Compacted: the candidates' numbers are gone from the file itself, not just unlinked.
        path = Path(url.removeprefix("sqlite:///"))
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"AR1-001" not in stored and b"AR2-001" in stored

    back = examctl(url, "archive", "restore", archive_file, "--public-key", public)
    assert back.exit_code == 0, back.output
    assert results(url, "AR1") == original_results


def test_wipe_with_the_bank_removes_its_subjects_unless_another_exam_uses_them(
    new_database, examctl, tmp_path
):
    url = new_database("ar_bank")
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        shared = sit_exam(session, NOW, "WB1", candidates=2).sitting.part.subject_id
        from exam_server.models import Subject

        subject = session.get(Subject, shared)
        sit_exam(session, NOW, "WB2", candidates=2, subject=subject)
        own = sit_exam(session, NOW, "WB3", candidates=2).sitting.part.subject_id
        session.commit()
    private, public = write_key(tmp_path, "server")
    for code in ("WB1", "WB3"):
        made = examctl(url, "archive", code, "-o", tmp_path / f"{code}.zip", "--key", private)
        assert made.exit_code == 0, made.output

    refused = examctl(
        url,
        "wipe",
        "WB1",
        "--archive",
        tmp_path / "WB1.zip",
        "--bank",
        "--yes",
        "--public-key",
        public,
    )
    assert refused.exit_code == 1 and "other exams" in refused.output
    wiped = examctl(
        url,
        "wipe",
        "WB3",
        "--archive",
        tmp_path / "WB3.zip",
        "--bank",
        "--yes",
        "--public-key",
        public,
    )
    assert wiped.exit_code == 0, wiped.output

    tables = metadata().tables
    with engine.connect() as connection:

        def count(name, column, value):
            table = tables[name]
            return connection.scalar(
                select(func.count()).select_from(table).where(table.c[column] == value)
            )

        assert count("subjects", "id", own) == 0 and count("items", "subject_id", own) == 0
        assert count("subjects", "id", shared) == 1 and count("items", "subject_id", shared) > 0
        media = connection.scalars(select(tables["media_files"].c.original_name)).all()
        assert len(media) == 2  # WB1's and WB2's images stay, WB3's went with its bank
    engine.dispose()


def test_the_server_key_is_made_once_kept_private_and_printed_for_the_minutes(
    world, examctl, tmp_path
):
    url = world["url"]
    path = tmp_path / "with-server-key.zip"
    made = examctl(url, "archive", "AR1", "-o", path)  # no --key: the instance folder's
    assert made.exit_code == 0, made.output
    key_file = tmp_path / "instance" / "archive_signing_key.pem"
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    checked = examctl(url, "archive", "verify", path)  # no --public-key: this server's own
    assert checked.exit_code == 0, checked.output
    printed = examctl(url, "archive", "public-key")
    fingerprint = json.loads(members(path)["manifest.json"])["key_fingerprint"]
    assert "BEGIN PUBLIC KEY" in printed.output and fingerprint in printed.output
    again = examctl(url, "archive", "AR1", "-o", path)
    assert again.exit_code == 1 and "already exists" in again.output
