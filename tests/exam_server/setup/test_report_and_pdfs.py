"""The form-equivalence report and the printed documents (Vietnamese text inside the PDFs)."""

from __future__ import annotations

import io
import random

import pytest
from pypdf import PdfReader

from exam_server.setup import documents, pdfs, rooms
from exam_server.setup.candidates import issue_access_codes
from exam_server.setup.forms import generate_forms
from exam_server.setup.report import equivalence_pdf, exam_equivalence, summary_lines
from tests.exam_server.setup.factories_setup import add_candidates, make_bank, make_exam

NAMES = ["Nguyễn Thị Ánh Tuyết", "Đặng Hữu Phước", "Trần Quốc Bảo"]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def seated(db, clock, app):
    spread = random.Random(11)
    make_bank(
        db,
        clock.now,
        code="ENG",
        kind="foreign_language",
        per_cell=12,
        facility=lambda *a: spread.uniform(0.2, 0.9),
    )
    make_bank(db, clock.now, code="IT", kind="it", per_cell=12)
    exam = make_exam(db, clock.now)
    people = add_candidates(db, exam, 3, now=clock.now, names=NAMES)
    shift = rooms.save_shift(
        db, exam, name="Ca sáng", starts_at=clock.now, now=clock.now, actor_id=None
    )
    room = rooms.save_room(
        db,
        code="P101",
        name="Phòng thi số 101",
        capacity=10,
        seats_per_row=5,
        now=clock.now,
        actor_id=None,
    )
    rooms.auto_assign(db, exam, shifts=[shift], rooms=[room], now=clock.now, actor_id=None)
    generate_forms(db, exam, clock.now)
    return exam, people


def test_the_report_compares_forms_coverage_and_exposure(db, clock, app, seated):
    exam, _people = seated
    with app.test_request_context():
        english, it = exam_equivalence(db, exam)
        assert english.has_facility and english.forms == 6
        assert len(english.expected_100) == 6
        assert english.within == 6  # every form within tolerance of the target
        assert english.score_png.startswith(b"\x89PNG") and english.exposure_png.startswith(
            b"\x89PNG"
        )
        assert sum(c.per_form for c in english.coverage) == 20
        assert all(0 < c.used <= c.pool for c in english.coverage)
        assert 0 < english.max_exposure <= 1
        assert not it.has_facility and it.score_png is None
        assert any("statistics" in line or "thống kê" in line for line in summary_lines(it))
        text = pdf_text(equivalence_pdf(exam, [english, it]))
        assert "Tiếng Anh" in text and "Tin học" in text and "Chủ đề 1" in text


def test_room_lists_and_slips_carry_the_vietnamese_names(db, clock, app, seated):
    exam, people = seated
    with app.test_request_context():
        sheets = documents.room_sheets(db, exam)
        assert [c.full_name for c in sheets[0].candidates] == [
            "Trần Quốc Bảo",
            "Đặng Hữu Phước",
            "Nguyễn Thị Ánh Tuyết",
        ]
        text = pdf_text(pdfs.room_lists_pdf(exam.name, sheets))
        for name in NAMES:
            assert name in text
        assert "Phòng thi số 101" in text and "Ca sáng" in text
        issued = issue_access_codes(db, exam, rounds=4, now=clock.now, actor_id=None)
        codes = {i.candidate.id: i.code for i in issued}
        slips = documents.slips(db, people, codes)
        text = pdf_text(pdfs.admission_slips_pdf(exam.name, slips))
        for item in issued:
            assert item.candidate.registration_number in text
            assert f"{item.code[:4]} {item.code[4:]}" in text
        assert "Nguyễn Thị Ánh Tuyết" in text


def test_session_code_sheets_one_per_room(db, clock, app, seated):
    exam, _ = seated
    with app.test_request_context():
        issued = rooms.issue_session_codes(db, exam, rounds=4, now=clock.now, actor_id=None)
        sheets = documents.session_code_sheets(db, exam, issued)
        assert len(sheets) == 1
        text = pdf_text(pdfs.session_code_sheets_pdf(exam.name, sheets))
        code = issued[0].code
        assert f"{code[:4]} {code[4:]}" in text and "Phòng thi số 101" in text
