"""After the test time: the signed result list and the room record (biên bản) as PDF."""

from __future__ import annotations

import io
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from exam_server.delivery import services as delivery
from exam_server.models import AuditEntry
from exam_server.models.proctor import ResultSignature
from proctor_console import candidate_actions as actions
from proctor_console import services
from proctor_console.checkin import CheckInInput, check_in
from proctor_console.decisions import DecisionInput
from proctor_console.errors import ConsoleRefused
from proctor_console.incidents import IncidentData, report_incident
from proctor_console.result_list import record_signatures, result_rows
from tests.conftest import csrf_from
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import (
    answer,
    assign,
    mark_present,
    open_attempt,
    sign_in,
)

NAMES = ["Nguyễn Thị Hằng", "Trần Văn Bình", "Lê Quốc Dũng", "Phạm Thu Ánh"]


def a_whole_room(db, clock):
    """Four candidates: three sit (one late on the chair's decision), one absent; a pause,
    an incident with a retake, a warning, an extension; then the room is closed."""
    sitting = make_sitting(db, clock.now, candidates=4)
    for (candidate, _), name in zip(sitting.candidates, NAMES, strict=True):
        candidate.full_name = name
    head = make_staff(db, clock.now, "head_proctor", username="gt1")
    head.full_name = "Đặng Văn Trưởng"
    proctor = make_staff(db, clock.now, "proctor", username="gt2")
    technician = make_staff(db, clock.now, "technician", username="kt1")
    for user in (head, proctor, technician):
        assign(db, sitting.room, user)
    room = sitting.room
    (hang, _), (binh, _), (dung, _), (anh, _) = sitting.candidates
    mark_present(db, room, hang, proctor, clock.now, seat=1)
    mark_present(db, room, binh, proctor, clock.now, seat=2)
    check_in(db, room, anh, CheckInInput(False, False, None, ""), proctor, clock.now)
    services.change_room_state(db, room, "start", head, clock.now)
    first = open_attempt(db, hang, clock.now, terminal="T1")
    second = open_attempt(db, binh, clock.now, terminal="T2")
    answer(db, first, hang, [1, 2, 3], clock.now, terminal="T1")
    answer(db, second, binh, [1], clock.now, terminal="T2")
    clock.advance(minutes=12)
    mark_present(
        db,
        room,
        dung,
        proctor,
        clock.now,
        seat=3,
        late_decision=DecisionInput("15/QĐ-HĐTD", "Chủ tịch Hội đồng"),
    )
    third = open_attempt(db, dung, clock.now, terminal="T3")
    services.change_room_state(db, room, "pause", proctor, clock.now, reason="Mất điện toàn phòng")
    clock.advance(minutes=4)
    services.change_room_state(db, room, "resume", head, clock.now, reason="Có điện trở lại")
    incident = report_incident(
        db,
        room,
        IncidentData(
            clock.now,
            "technical",
            (binh.id,),
            None,
            "Máy số 2 bị treo",
            "Thi lại trên máy dự phòng",
            "KTV",
        ),
        proctor,
        clock.now,
    )
    retake = actions.order_retake(
        db,
        binh,
        attempt_id=second.id,
        mode="same_shift",
        reason="Máy treo",
        incident_id=incident.id,
        scheduled_at=None,
        decision=None,
        actor=head,
        now=clock.now,
    )
    actions.impose_sanction(
        db,
        hang,
        kind="warning",
        reason="Nhìn bài thí sinh bên cạnh",
        witnesses="Giám thị 2",
        incident_id=None,
        actor=proctor,
        now=clock.now,
    )
    actions.grant_extension(
        db,
        dung,
        attempt_id=third.id,
        minutes=5,
        reason="Vào muộn do tắc đường",
        decision=DecisionInput("16/QĐ-HĐTD", "Chủ tịch Hội đồng"),
        actor=head,
        now=clock.now,
    )
    delivery.submit(db, attempt_id=first.id, candidate_id=hang.id, terminal="T1", now=clock.now)
    clock.advance(minutes=40)
    services.change_room_state(db, room, "close", head, clock.now)
    db.flush()
    return sitting, head, proctor, technician, retake


def test_the_result_list_and_who_did_not_sign(db, clock):
    sitting, head, proctor, _technician, retake = a_whole_room(db, clock)
    room = sitting.room
    parts, rows = result_rows(db, room, "name")
    assert [row.candidate.full_name for row in rows] == [
        "Phạm Thu Ánh",
        "Trần Văn Bình",
        "Lê Quốc Dũng",
        "Nguyễn Thị Hằng",
    ]
    by_name = {row.candidate.full_name: row for row in rows}
    assert not by_name["Phạm Thu Ánh"].sat
    assert by_name["Trần Văn Bình"].attempts[parts[0].id].id == retake.new_attempt_id
    assert by_name["Nguyễn Thị Hằng"].attempts[parts[0].id].correct_count is not None
    binh = by_name["Trần Văn Bình"].candidate
    absent = by_name["Phạm Thu Ánh"].candidate
    with pytest.raises(ConsoleRefused):  # only those who sat sign
        record_signatures(db, room, unsigned_ids={absent.id}, note="", actor=proctor, now=clock.now)
    record_signatures(
        db, room, unsigned_ids={binh.id}, note="Thí sinh bỏ về", actor=proctor, now=clock.now
    )
    signatures = {s.candidate_id: s.signed for s in db.scalars(select(ResultSignature))}
    assert signatures == {
        c.id: c.id != binh.id for c in (r.candidate for r in rows) if c.id != absent.id
    }
    assert (
        db.scalar(select(AuditEntry.target_id).where(AuditEntry.action == "result_not_signed"))
        == binh.id
    )
    # Correcting the record later keeps one row per candidate.
    record_signatures(db, room, unsigned_ids=set(), note="", actor=proctor, now=clock.now)
    assert all(s.signed for s in db.scalars(select(ResultSignature)))


def test_signatures_are_recorded_only_after_the_room_closes(db, clock):
    sitting = make_sitting(db, clock.now, room_state="running")
    proctor = make_staff(db, clock.now, "proctor")
    with pytest.raises(ConsoleRefused):
        record_signatures(
            db, sitting.room, unsigned_ids=set(), note="", actor=proctor, now=clock.now
        )


def test_the_result_list_page_has_a_signature_column_for_everyone(client, db, clock):
    sitting, *_staff = a_whole_room(db, clock)
    sign_in(client, "kt1")  # the technician prints it
    page = client.get(f"/proctor/rooms/{sitting.room.id}/results")
    assert page.status_code == 200
    assert page.text.count('<td class="signature-col">') == 4
    assert "Vắng" in page.text  # the absent candidate
    assert "save-signatures" not in page.text  # recording signatures is the proctors' job
    sign_in(client, "gt2")
    page = client.get(f"/proctor/rooms/{sitting.room.id}/results")
    binh = sitting.candidates[1][0]
    done = client.post(
        f"/proctor/rooms/{sitting.room.id}/results",
        data={"csrf_token": csrf_from(page.text), "unsigned": [str(binh.id)], "note": ""},
        follow_redirects=True,
    )
    assert "1 thí sinh không ký" in done.text
    assert f'id="unsigned-{binh.id}" aria-label' in done.text and "checked" in done.text


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def test_the_room_record_pdf_states_everything_in_vietnamese(client, db, clock):
    sitting, head, *_others = a_whole_room(db, clock)
    binh = sitting.candidates[1][0]
    record_signatures(db, sitting.room, unsigned_ids={binh.id}, note="", actor=head, now=clock.now)
    db.commit()
    make_staff(db, clock.now, "supervisor", username="gs1")
    sign_in(client, "gs1")  # the supervision board reads every record
    response = client.get(f"/proctor/rooms/{sitting.room.id}/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    flat = " ".join(text.split())
    for expected in (
        "BIÊN BẢN PHÒNG THI",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Đặng Văn Trưởng",  # the head proctor, assigned to the room
        "Có mặt: 3",
        "Vắng: 1",
        "Phạm Thu Ánh",
        "15/QĐ-HĐTD",  # the late entry's decision
        "Mất điện toàn phòng",  # the pause and its reason
        "Có điện trở lại",
        "Máy số 2 bị treo",  # the incident
        "Máy treo",  # the retake
        "Cảnh cáo",  # the sanction
        "Nhìn bài thí sinh bên cạnh",
        "16/QĐ-HĐTD",  # the extension's decision
        "Không ký",
        "Trần Văn Bình",
        "Giám thị 1",  # signature lines
        "Kỹ thuật viên",
    ):
        assert expected in flat, expected
