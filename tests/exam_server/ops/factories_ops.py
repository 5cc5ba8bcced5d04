"""A finished exam with everything the council keeps: answers, events, results, room records,
council decisions, audit entries and a media file on one of the items used."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.delivery import services
from exam_server.lifecycle import finalise_due_attempts
from exam_server.models import Attempt, CandidateEntry, Form, FormItem
from exam_server.models.bank import ItemVersionMedia, MediaFile
from exam_server.models.council import (
    CandidateResultRecord,
    Decision,
    PartResultRecord,
    PositionQuota,
    ResultApproval,
    ResultsBundle,
)
from exam_server.models.exams import DataImport, RoomStaff
from exam_server.models.proctor import (
    ChairDecision,
    CheckIn,
    EnvelopeOpening,
    Incident,
    IncidentVersion,
    ResultSignature,
    Sanction,
    TimeExtension,
)
from tests.factories import Sitting, make_sitting, make_staff


@dataclass
class SatExam:
    sitting: Sitting
    code: str
    attempt_ids: list[int]


def sit_exam(
    session: Session,
    now: dt.datetime,
    code: str,
    *,
    candidates: int = 3,
    subject=None,
    finish: bool = True,
) -> SatExam:
    """An exam whose candidates answered (differently), submitted or ran out of time."""
    sitting = make_sitting(
        session, now, candidates=candidates, room_state="running", code=code, subject=subject
    )
    attempt_ids = []
    for index, (candidate, _code) in enumerate(sitting.candidates):
        terminal = f"terminal-{code}-{index}"
        services.claim_terminal(session, candidate, terminal, now)
        attempt = services.start_next_part(session, candidate, now)
        session.flush()
        changes = [
            services.Change(seq, "answer", position, [(index + position) % 4])
            for seq, position in enumerate(range(1, sitting.part.item_count + 1 - index), start=1)
        ]
        changes.append(services.Change(len(changes) + 1, "flag", 1, True))
        services.save_changes(
            session,
            attempt_id=attempt.id,
            candidate_id=candidate.id,
            terminal=terminal,
            changes=changes,
            now=now + dt.timedelta(minutes=1),
            grace_seconds=15,
        )
        if index == 0:
            services.submit(
                session,
                attempt_id=attempt.id,
                candidate_id=candidate.id,
                terminal=terminal,
                now=now + dt.timedelta(minutes=5),
            )
        attempt_ids.append(attempt.id)
    if finish:  # the others are collected at their deadline
        finalise_due_attempts(session, now + dt.timedelta(hours=2), 15)
    session.flush()
    add_records(session, now, sitting, attempt_ids)
    session.flush()
    return SatExam(sitting, code, attempt_ids)


def add_records(session: Session, now: dt.datetime, sitting: Sitting, attempt_ids: list[int]):
    """The room's minutes, the council's records and the audit entries about the exam."""
    code = sitting.exam.code
    proctor = make_staff(session, now, "head_proctor", username=f"proctor-{code}")
    chair = make_staff(session, now, "council_chair", username=f"chair-{code}")
    room, exam, part = sitting.room, sitting.exam, sitting.part
    first, second = sitting.candidates[0][0], sitting.candidates[1][0]
    session.add(RoomStaff(room_session_id=room.id, user_id=proctor.id, role="head_proctor"))
    session.add(CandidateEntry(candidate_id=first.id, shift_id=room.shift_id, code_entered_at=now))
    for candidate, _ in sitting.candidates:
        session.add(
            CheckIn(
                room_session_id=room.id,
                candidate_id=candidate.id,
                present=True,
                id_checked=True,
                terminal_label=f"M{candidate.seat:02d}",
                arrived_at=now,
                recorded_by_id=proctor.id,
                recorded_at=now,
            )
        )
    session.add(
        EnvelopeOpening(
            room_session_id=room.id,
            opened_at=now,
            opened_by_id=proctor.id,
            witness_1_id=first.id,
            witness_2_id=second.id,
            seal_intact=True,
            note="Niêm phong nguyên vẹn",
        )
    )
    chair_decision = ChairDecision(
        exam_id=exam.id,
        room_session_id=room.id,
        candidate_id=second.id,
        kind="time_extension",
        reference="QĐ-01",
        decided_by="Chủ tịch Hội đồng",
        summary="Mất điện 3 phút",
        recorded_by_id=proctor.id,
        recorded_at=now,
    )
    session.add(chair_decision)
    session.flush()
    session.add(
        TimeExtension(
            attempt_id=attempt_ids[1],
            seconds=180,
            decision_id=chair_decision.id,
            reason="Mất điện",
            recorded_by_id=proctor.id,
            recorded_at=now,
        )
    )
    incident = Incident(room_session_id=room.id, reported_by_id=proctor.id, reported_at=now)
    session.add(incident)
    session.flush()
    session.add(
        IncidentVersion(
            incident_id=incident.id,
            version_no=1,
            occurred_at=now,
            kind="rule_breach",
            candidate_ids=[second.id],
            sanction="reprimand",
            description="Trao đổi bài",
            edited_by_id=proctor.id,
            edited_at=now,
        )
    )
    session.add(
        Sanction(
            room_session_id=room.id,
            candidate_id=second.id,
            attempt_id=attempt_ids[1],
            incident_id=incident.id,
            kind="reprimand",
            reason="Trao đổi bài",
            witnesses="Giám thị 2",
            recorded_by_id=proctor.id,
            recorded_at=now,
        )
    )
    for candidate, _ in sitting.candidates:
        session.add(
            ResultSignature(
                room_session_id=room.id,
                candidate_id=candidate.id,
                signed=True,
                recorded_by_id=proctor.id,
                recorded_at=now,
            )
        )
    decision = Decision(
        exam_id=exam.id,
        kind="sanction",
        candidate_id=second.id,
        part_id=part.id,
        value={"sanction": "reprimand"},
        reason="Biên bản phòng thi",
        record_ref=f"proctor_incident:{incident.id}",
        decided_by_id=chair.id,
        decided_at=now,
        confirmed_by_id=chair.id,
        confirmed_at=now,
    )
    session.add(decision)
    session.flush()
    for candidate, _ in sitting.candidates:
        attempt = session.scalar(select(Attempt).where(Attempt.candidate_id == candidate.id))
        session.add(
            PartResultRecord(
                exam_id=exam.id,
                candidate_id=candidate.id,
                part_id=part.id,
                attempt_id=attempt.id,
                status="sat",
                item_count=part.item_count,
                correct_count=attempt.correct_count,
                score_100=attempt.score_100,
                share_correct=attempt.share_correct,
                passed=attempt.passed,
                decision_ids=[decision.id] if candidate.id == second.id else [],
                compiled_at=now,
            )
        )
        session.add(
            CandidateResultRecord(
                exam_id=exam.id,
                candidate_id=candidate.id,
                overall="pass" if attempt.passed else "fail",
                compiled_at=now,
            )
        )
    session.add(
        ResultApproval(
            exam_id=exam.id,
            approved_by_id=chair.id,
            approved_at=now,
            results_sha256="0" * 64,
            snapshot=[{"sbd": c.registration_number} for c, _ in sitting.candidates],
        )
    )
    session.add(
        ResultsBundle(
            exam_id=exam.id,
            created_by_id=chair.id,
            created_at=now,
            filename=f"bundle-{code}.zip",
            manifest_sha256="1" * 64,
            key_fingerprint="2" * 64,
            signature="c2lnbmF0dXJl",
        )
    )
    session.add(PositionQuota(exam_id=exam.id, position="Chuyên viên", places=2))
    session.add(
        DataImport(
            exam_id=exam.id,
            imported_at=now,
            imported_by="Kỹ thuật viên",
            package_sha256="3" * 64,
            signer_fingerprint="4" * 64,
            counts={"candidates": len(sitting.candidates)},
        )
    )
    _add_media(session, now, sitting)
    for target_type, target_id in (
        ("exam", exam.id),
        ("room_session", room.id),
        ("candidate", second.id),
        ("attempt", attempt_ids[1]),
        ("exam_part", part.id),
    ):
        audit.record(
            session,
            at=now,
            actor_kind="user",
            actor_id=proctor.id,
            action=f"test_{target_type}",
            target_type=target_type,
            target_id=target_id,
            details={"note": "ghi chú"},
        )


def _add_media(session: Session, now: dt.datetime, sitting: Sitting) -> None:
    """An image shown by one item version on the exam's forms (kept in the archive as a blob)."""
    form_ids = select(Form.id).where(Form.part_id == sitting.part.id)
    version_id = session.scalar(
        select(FormItem.item_version_id)
        .where(FormItem.form_id.in_(form_ids))
        .order_by(FormItem.id)
        .limit(1)
    )
    data = f"PNG bytes of {sitting.exam.code}".encode() + bytes(range(256))
    digest = hashlib.sha256(data).hexdigest()
    session.add(
        MediaFile(
            sha256=digest,
            content_type="image/png",
            size=len(data),
            data=data,
            original_name="hinh.png",
            created_at=now,
        )
    )
    session.flush()
    session.add(ItemVersionMedia(item_version_id=version_id, sha256=digest))
