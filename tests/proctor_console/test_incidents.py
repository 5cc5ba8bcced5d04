"""Incident records: kind, candidates, sanction, action, staff; amended, never deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from exam_server.models import AuditEntry
from exam_server.models.proctor import Incident, IncidentVersion, RecordDeletionRefused
from proctor_console.errors import ConsoleRefused
from proctor_console.incidents import (
    IncidentData,
    amend_incident,
    report_incident,
    room_incidents,
    versions_of,
)
from tests.conftest import csrf_from
from tests.factories import make_sitting, make_staff
from tests.proctor_console.factories_proctor import sign_in


def incident_data(clock, candidate_ids=(), **values) -> IncidentData:
    defaults = {
        "occurred_at": clock.now,
        "kind": "rule_breach",
        "candidate_ids": tuple(candidate_ids),
        "sanction": "warning",
        "description": "Thí sinh trao đổi bài",
        "action_taken": "Nhắc nhở, lập biên bản",
        "staff": "Giám thị 1, Giám thị 2",
    }
    return IncidentData(**{**defaults, **values})


def test_an_incident_is_recorded_then_amended_with_history(db, clock):
    sitting = make_sitting(db, clock.now, candidates=3)
    head = make_staff(db, clock.now, "head_proctor")
    other = make_staff(db, clock.now, "proctor")
    first, second = sitting.candidates[0][0], sitting.candidates[1][0]
    incident = report_incident(db, sitting.room, incident_data(clock, [first.id]), head, clock.now)
    clock.advance(minutes=20)
    with pytest.raises(ConsoleRefused):  # an amendment says why
        amend_incident(db, incident, incident_data(clock), "  ", other, clock.now)
    amended = amend_incident(
        db,
        incident,
        incident_data(
            clock,
            [first.id, second.id],
            occurred_at=clock.now - dt.timedelta(minutes=20),
            description="Hai thí sinh trao đổi bài",
        ),
        "Bổ sung thí sinh thứ hai",
        other,
        clock.now,
    )
    history = versions_of(db, [incident.id])[incident.id]
    assert [v.version_no for v in history] == [1, 2] and incident.version_count == 2
    assert history[0].description == "Thí sinh trao đổi bài"  # the first text is kept
    assert history[0].candidate_ids == [first.id]
    assert amended.candidate_ids == sorted([first.id, second.id])
    assert (amended.edited_by_id, amended.amendment_reason) == (
        other.id,
        "Bổ sung thí sinh thứ hai",
    )
    assert room_incidents(db, sitting.room) == [(incident, amended)]
    # Each candidate named sees it in their timeline.
    seen = db.scalars(
        select(AuditEntry.target_id).where(
            AuditEntry.action == "incident_amended", AuditEntry.target_type == "candidate"
        )
    ).all()
    assert sorted(seen) == sorted([first.id, second.id])


def test_incident_rules(db, clock):
    sitting = make_sitting(db, clock.now)
    stranger = make_sitting(db, clock.now, code="OTHER").candidates[0][0]
    head = make_staff(db, clock.now, "head_proctor")
    room = sitting.room
    with pytest.raises(ConsoleRefused):
        report_incident(db, room, incident_data(clock, description=" "), head, clock.now)
    with pytest.raises(ConsoleRefused):
        report_incident(db, room, incident_data(clock, [stranger.id]), head, clock.now)
    with pytest.raises(ConsoleRefused):
        future = clock.now + dt.timedelta(minutes=5)
        report_incident(db, room, incident_data(clock, occurred_at=future), head, clock.now)
    with pytest.raises(ConsoleRefused):
        report_incident(db, room, incident_data(clock, kind="gossip"), head, clock.now)


@pytest.mark.parametrize("model", [Incident, IncidentVersion])
def test_incidents_cannot_be_deleted(db, clock, model):
    sitting = make_sitting(db, clock.now)
    head = make_staff(db, clock.now, "head_proctor")
    report_incident(db, sitting.room, incident_data(clock), head, clock.now)
    db.flush()
    db.delete(db.scalars(select(model)).first())
    with pytest.raises(RecordDeletionRefused):
        db.flush()
    db.rollback()


def test_recording_and_amending_in_the_pages(client, db, clock):
    sitting = make_sitting(db, clock.now, candidates=2)
    make_staff(db, clock.now, "proctor", username="gt2")
    candidate = sitting.candidates[0][0]
    sign_in(client, "gt2")
    page = client.get(f"/proctor/rooms/{sitting.room.id}/incidents")
    assert page.status_code == 200
    local = clock.now.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{local}"' in page.text  # the form opens on the current local time
    saved = client.post(
        f"/proctor/rooms/{sitting.room.id}/incidents",
        data={
            "csrf_token": csrf_from(page.text),
            "occurred_at": local,
            "kind": "technical",
            "candidates": [str(candidate.id)],
            "sanction": "",
            "description": "Màn hình tắt",
            "action_taken": "Chuyển sang máy dự phòng",
            "staff": "KTV",
        },
        follow_redirects=True,
    )
    assert "Màn hình tắt" in saved.text
    incident = db.scalar(select(Incident))
    version = db.scalar(select(IncidentVersion))
    assert version.occurred_at == clock.now.replace(second=0)
    assert version.candidate_ids == [candidate.id] and version.kind == "technical"
    detail = client.get(f"/proctor/incidents/{incident.id}")
    amended = client.post(
        f"/proctor/incidents/{incident.id}",
        data={
            "csrf_token": csrf_from(detail.text),
            "occurred_at": local,
            "kind": "technical",
            "candidates": [str(candidate.id)],
            "description": "Màn hình tắt do lỏng dây nguồn",
            "action_taken": "Chuyển sang máy dự phòng",
            "staff": "KTV",
            "amendment_reason": "Ghi rõ nguyên nhân",
        },
        follow_redirects=True,
    )
    text = amended.text
    assert "Ghi rõ nguyên nhân" in text
    assert text.index("Màn hình tắt do lỏng dây nguồn") < text.index(">Màn hình tắt<")
    # No way to delete: the route does not exist for any method.
    assert client.delete(f"/proctor/incidents/{incident.id}").status_code == 405


def test_a_supervisor_reads_incidents_but_cannot_record(client, db, clock):
    sitting = make_sitting(db, clock.now)
    make_staff(db, clock.now, "supervisor", username="gs1")
    sign_in(client, "gs1")
    page = client.get(f"/proctor/rooms/{sitting.room.id}/incidents")
    assert page.status_code == 200 and 'id="incident-form"' not in page.text
    refused = client.post(
        f"/proctor/rooms/{sitting.room.id}/incidents",
        data={"csrf_token": csrf_from(page.text), "description": "x"},
    )
    assert refused.status_code == 403
