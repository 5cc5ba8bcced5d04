"""Council pages through the test client: access, counts, lists, charts, exports, decisions."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from exam_server import audit
from exam_server.models import AuditEntry, Item
from exam_server.models.council import Decision
from tests.conftest import csrf_from
from tests.exam_server.council.conftest import sign_in
from tests.exam_server.council.factories_council import sit

NAMES = ["Nguyễn Văn Bình", "Trần Thị An", "Lê Ánh", "Phạm Đức Anh"]


@pytest.fixture
def sat(db, clock):
    sat = sit(db, clock, [6, 3, 1], absent=1)
    for candidate, name in zip(sat.candidates, NAMES, strict=True):
        candidate.full_name = name
    sat.sitting.exam.status = "closed"
    db.flush()
    return sat


def post(client, url, page_url, data=None, **kwargs):
    token = csrf_from(client.get(page_url).text)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def compile_as_chair(client, db, clock, sat):
    sign_in(client, db, clock, "council_chair")
    exam_id = sat.sitting.exam.id
    page = f"/council/exams/{exam_id}"
    response = post(client, f"{page}/compile", page, follow_redirects=True)
    assert response.status_code == 200
    return page


def test_only_council_roles_see_results_and_members_cannot_act(client, db, clock, sat):
    exam_id = sat.sitting.exam.id
    assert client.get(f"/council/exams/{exam_id}").status_code == 302  # sign in first
    sign_in(client, db, clock, "proctor")
    assert client.get(f"/council/exams/{exam_id}").status_code == 403
    client.post("/staff/logout", data={"csrf_token": csrf_from(client.get("/staff/").text)})
    sign_in(client, db, clock, "council_member")
    page = client.get(f"/council/exams/{exam_id}")
    assert page.status_code == 200 and 'id="compile"' not in page.text
    refused = client.post(
        f"/council/exams/{exam_id}/compile", data={"csrf_token": csrf_from(page.text)}
    )
    assert refused.status_code == 403


def test_the_overview_counts_per_exam_part_and_room(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    text = client.get(page).text
    table = re.search(r'<table class="table counts">(.*?)</table>', text, re.S).group(1)
    cells = re.findall(r"<tr><th scope=\"row\">(.*?)</th>((?:<td>\d+</td>)+)</tr>", table)
    whole = [int(n) for n in re.findall(r"<td>(\d+)</td>", cells[0][1])]
    # registered, present, absent, exempt, suspended, passed
    assert whole == [4, 3, 1, 0, 0, 2]
    assert 'src="/council/exams/' in text and "histogram.png" in text


def test_results_sorted_by_sbd_or_vietnamese_name_and_the_pass_list(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    by_sbd = client.get(f"{page}/results").text
    assert re.findall(r'data-sbd="([^"]+)"', by_sbd) == [
        c.registration_number for c in sat.candidates
    ]
    by_name = client.get(f"{page}/results?sort=name").text
    names = [n for n in re.findall(r"<td>(" + "|".join(NAMES) + r")</td>", by_name)]
    assert names == ["Trần Thị An", "Phạm Đức Anh", "Lê Ánh", "Nguyễn Văn Bình"]
    passed = client.get(f"{page}/results?passed=1&sort=name").text
    assert re.findall(r"<td>(" + "|".join(NAMES) + r")</td>", passed) == [
        "Trần Thị An",
        "Nguyễn Văn Bình",
    ]
    assert "Đạt" in passed


def test_histogram_is_a_png(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    png = client.get(f"{page}/parts/{sat.sitting.part.id}/histogram.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG")


def test_excel_export_has_a_summary_and_a_sheet_per_part(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    response = client.get(f"{page}/export.xlsx?sort=name")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Tổng hợp", "Phần 1 Part one"]
    summary = [[c.value for c in row] for row in book["Tổng hợp"].iter_rows()]
    assert any(row[0] == "Toàn kỳ thi" and row[1:7] == [4, 3, 1, 0, 0, 2] for row in summary)
    part = [[c.value for c in row] for row in book["Phần 1 Part one"].iter_rows(min_row=3)]
    assert [row[2] for row in part] == ["Trần Thị An", "Phạm Đức Anh", "Lê Ánh", "Nguyễn Văn Bình"]
    an = part[0]
    assert an[5] == 3 and an[7] == 50.0 and an[8] == "Đạt"
    assert part[1][8] == "Vắng" and part[2][8] == "Không đạt"


def test_csv_export_reads_in_a_spreadsheet(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    response = client.get(f"{page}/export.csv")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][1] == "SBD" and rows[1][2] == "Nguyễn Văn Bình"
    assert rows[1][-1] == "Đạt" and rows[3][-1] == "Không đạt" and rows[4][-1] == "Vắng thi"


def test_csv_export_defuses_formulas(client, db, clock, sat):
    sat.candidates[0].full_name = '=HYPERLINK("http://x")'
    db.flush()
    page = compile_as_chair(client, db, clock, sat)
    rows = list(csv.reader(io.StringIO(client.get(f"{page}/export.csv").data.decode("utf-8-sig"))))
    assert rows[1][2].startswith("'=")


def test_pdf_export_embeds_a_vietnamese_font(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    response = client.get(f"{page}/export.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert b"DejaVu" in response.data and b"/Image" in response.data


def test_pdf_export_explains_a_missing_font(client, db, clock, sat, monkeypatch, tmp_path):
    from exam_server.council import exports

    monkeypatch.setattr(exports, "SHIPPED_FONT", tmp_path / "none.ttf")
    page = compile_as_chair(client, db, clock, sat)
    response = client.get(f"{page}/export.pdf", follow_redirects=True)
    assert "phông chữ" in response.text


def test_recording_a_sanction_through_the_form(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    second = sat.candidates[1]
    decisions = f"{page}/decisions"
    response = post(
        client,
        decisions,
        decisions,
        {
            "kind": "sanction",
            "registration_number": second.registration_number.lower(),
            "part_id": str(sat.sitting.part.id),
            "sanction": "reprimand",
            "reason": "Trao đổi bài, biên bản số 2",
            "record_ref": "BB-02",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Đã ghi quyết định" in response.text
    decision = db.scalar(select(Decision).where(Decision.candidate_id == second.id))
    assert decision.value == {"sanction": "reprimand"} and decision.record_ref == "BB-02"
    assert "37,50" in response.text  # the after column of the before/after report
    results = client.get(f"{page}/results").text
    assert "Khiển trách" in results and "37,50" in results


def test_a_refused_decision_says_why(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    decisions = f"{page}/decisions"
    response = post(
        client,
        decisions,
        decisions,
        {"kind": "sanction", "registration_number": "NOBODY", "reason": "x"},
    )
    assert response.status_code == 400 and "Không có thí sinh" in response.text


def test_approval_freezes_the_page_actions(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    response = post(client, f"{page}/approve", page, {"note": "Họp ngày 2"}, follow_redirects=True)
    assert "Kết quả đã được phê duyệt và khóa lại" in response.text
    db.expire_all()
    assert sat.sitting.exam.status == "results_approved"
    assert 'id="compile"' not in response.text
    again = post(client, f"{page}/compile", page, follow_redirects=True)
    assert "đã được phê duyệt" in again.text


def test_recheck_shows_the_paper_as_shown_with_keys_and_chain(client, db, clock, sat):
    page = compile_as_chair(client, db, clock, sat)
    attempt = sat.attempts[sat.candidates[2].id]
    audit.record(
        db,
        at=clock.now,
        actor_kind="user",
        actor_id=None,
        action="terminal_move_approved",
        target_type="candidate",
        target_id=sat.candidates[2].id,
        details={"terminal": "T9"},
    )
    db.flush()
    text = client.get(f"/council/attempts/{attempt.id}").text
    assert "terminal_move_approved" in text and "T9" in text
    assert attempt.last_hash[:4].upper() in text  # the receipt
    assert 'id="chain-status"' in text and "nguyên vẹn" in text
    assert text.count("(đáp án)") == 6 and text.count("← đã chọn") == 6
    # Tamper with the stored score: the re-check shows it.
    attempt.score_100 = 99.0
    db.flush()
    text = client.get(f"/council/attempts/{attempt.id}").text
    assert "score_100" in text and "flash-error" in text
    assert page


def test_verify_page_lists_mismatches(client, db, clock, sat):
    sign_in(client, db, clock, "supervisor")
    exam_id = sat.sitting.exam.id
    assert 'id="verify-ok"' in client.get(f"/council/exams/{exam_id}/verify").text
    sat.attempts[sat.candidates[0].id].correct_count = 0
    db.flush()
    text = client.get(f"/council/exams/{exam_id}/verify").text
    assert 'id="verify-failed"' in text and "correct_count" in text


def test_item_statistics_page_and_facility_written_to_the_bank(client, db, clock, sat):
    sign_in(client, db, clock, "council_chair")
    url = f"/council/exams/{sat.sitting.exam.id}/parts/{sat.sitting.part.id}/items"
    text = client.get(url).text
    assert 'id="item-stats"' in text and "Hệ số alpha Cronbach" in text
    assert text.count('<tr id="item-') >= 6
    assert client.get(url.replace("/items", "/items.png")).data.startswith(b"\x89PNG")
    response = post(client, url.replace("/items", "/facility"), url, follow_redirects=True)
    assert response.status_code == 200
    written = db.scalars(select(Item).where(Item.facility.is_not(None))).all()
    assert written and all(0.0 <= item.facility <= 1.0 for item in written)
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "council_facility_written"))


def test_examiners_see_item_statistics_but_not_results(client, db, clock, sat):
    sign_in(client, db, clock, "examiner")
    exam_id = sat.sitting.exam.id
    assert (
        client.get(f"/council/exams/{exam_id}/parts/{sat.sitting.part.id}/items").status_code == 200
    )
    assert client.get(f"/council/exams/{exam_id}/results").status_code == 403


def test_round_two_places_and_ranking_on_the_results_page(client, db, clock):
    from exam_server.council import services
    from exam_server.council.services import DecisionDraft

    sat = sit(db, clock, [6, 5, 4], code="R2V")
    exam = sat.sitting.exam
    exam.kind = "recruitment_round2"
    exam.status = "closed"
    for candidate in sat.candidates:
        candidate.position_applied = "Chuyên viên pháp chế"
    db.flush()
    chair = sign_in(client, db, clock, "council_chair")
    for candidate, score in zip(sat.candidates, (80, 70, 90), strict=True):
        services.record_decision(
            db,
            exam,
            DecisionDraft("interview", "Phỏng vấn", candidate.id, value={"score": score}),
            chair,
            clock.now,
        )
    db.flush()
    url = f"/council/exams/{exam.id}/results"
    response = post(
        client,
        f"/council/exams/{exam.id}/places",
        url,
        {"position": "Chuyên viên pháp chế", "places": "1"},
        follow_redirects=True,
    )
    assert "Chuyên viên pháp chế: 1" in response.text
    rows = re.findall(r'data-sbd="([^"]+)"(.*?)</tr>', response.text, re.S)
    ranks = {sbd: re.findall(r"<td>(\d+)", cells) for sbd, cells in rows}
    first, second, third = (c.registration_number for c in sat.candidates)
    # totals: 0.7*100+0.3*80 = 94; 0.7*83.33+0.3*70 = 79.33; 0.7*66.67+0.3*90 = 73.67
    assert "94,00" in response.text and "79,33" in response.text and "73,67" in response.text
    assert ranks[first][-1] == "1" and ranks[second][-1] == "2" and ranks[third][-1] == "3"
