"""Candidate import from Excel (all or nothing, row-level errors) and access codes."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from exam_server.models import Candidate, Room, RoomSession, Shift
from exam_server.passwords import check_secret
from exam_server.setup.candidates import (
    ImportRefused,
    candidates_in_order,
    import_candidates,
    issue_access_codes,
    regenerate_access_code,
)
from tests.exam_server.setup.factories_setup import make_bank, make_exam

HEADER = [
    "SBD",
    "Họ và tên",
    "Ngày sinh",
    "Số CCCD",
    "Giới tính",
    "Vị trí dự tuyển",
    "Đối tượng ưu tiên",
    "Miễn thi",
    "Phòng thi",
    "Ca thi",
]


def sheet(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_rows():
    return [
        [
            "ts001",
            "Nguyễn Văn Bình",
            "15/03/1995",
            "001095001234",
            "Nam",
            "Chuyên viên",
            "",
            "",
            "",
            "",
        ],
        [
            "TS002",
            "Trần Thị An",
            dt.datetime(1998, 7, 2),
            "001198004321",
            "Nữ",
            "Chuyên viên",
            "Con thương binh",
            "",
            "",
            "",
        ],
        ["TS003", "Lê Minh Ánh", "2000-01-31", 1200004444, "nu", "", "", "", "", ""],
    ]


@pytest.fixture
def exam(db, clock):
    make_bank(db, clock.now, code="GK", kind="administrative", per_cell=2)
    make_bank(db, clock.now, code="NN", kind="foreign_language", per_cell=2)
    make_bank(db, clock.now, code="TH", kind="it", per_cell=2)
    return make_exam(db, clock.now, "decree138_round1", code="K138")


def test_a_clean_sheet_is_imported_whole(db, clock, exam):
    made = import_candidates(db, exam, sheet(good_rows()), now=clock.now, actor_id=None)
    assert [c.registration_number for c in made] == ["TS001", "TS002", "TS003"]
    first, second, third = made
    assert first.date_of_birth == dt.date(1995, 3, 15) and first.gender == "male"
    assert second.priority_group == "Con thương binh" and second.gender == "female"
    assert third.national_id == "001200004444"  # the number cell's lost leading zero is back
    assert all(c.access_code_hash == "" for c in made)  # no code until codes are issued


def test_errors_name_the_row_and_field_and_nothing_is_imported(db, clock, exam):
    rows = good_rows() + [
        ["TS004", "Phạm", "31/02/1990", "12345", "X", "", "", "", "", ""],
        ["TS001", "Hoàng Văn Dũng", "01/01/1990", "001090009999", "", "", "", "", "", ""],
        ["TS006", "Đỗ Văn Em", "01/01/1990", "001095001234", "", "", "", "", "", ""],
    ]
    with pytest.raises(ImportRefused) as refused:
        import_candidates(db, exam, sheet(rows), now=clock.now, actor_id=None)
    messages = [str(e) for e in refused.value.errors]
    by_row = {(e.row, e.field) for e in refused.value.errors}
    assert {
        (5, "full_name"),
        (5, "date_of_birth"),
        (5, "national_id"),
        (5, "gender"),
        (6, "registration_number"),
        (7, "national_id"),
    } <= by_row
    duplicate = next(m for m in messages if "TS001" in m)
    assert "6" in duplicate and "2" in duplicate  # names both rows
    assert any("001095001234" in m and "2" in m for m in messages)
    assert db.scalar(select(func.count(Candidate.id))) == 0


def test_a_candidate_already_registered_is_an_error(db, clock, exam):
    import_candidates(db, exam, sheet(good_rows()[:1]), now=clock.now, actor_id=None)
    with pytest.raises(ImportRefused) as refused:
        import_candidates(db, exam, sheet(good_rows()), now=clock.now, actor_id=None)
    assert {(e.row, e.field) for e in refused.value.errors} == {
        (2, "registration_number"),
        (2, "national_id"),
    }
    assert db.scalar(select(func.count(Candidate.id))) == 1


def test_missing_columns_are_named(db, clock, exam):
    with pytest.raises(ImportRefused) as refused:
        import_candidates(
            db,
            exam,
            sheet([["TS1", "A B"]], header=["SBD", "Họ và tên"]),
            now=clock.now,
            actor_id=None,
        )
    assert len(refused.value.errors) == 2
    assert all(e.row is None for e in refused.value.errors)


def test_a_file_that_is_not_excel_is_refused(db, clock, exam):
    with pytest.raises(ImportRefused):
        import_candidates(db, exam, b"SBD,Name\n1,2\n", now=clock.now, actor_id=None)


def test_exemptions_rooms_and_shifts_are_resolved(db, clock, exam):
    room = Room(code="P201", name="Phòng 201", capacity=30)
    shift = Shift(exam_id=exam.id, name="Ca sáng", starts_at=clock.now)
    db.add_all([room, shift])
    db.flush()
    rows = good_rows()
    rows[0][7] = "Ngoại ngữ, 3"
    rows[1][8], rows[1][9] = "p201", "ca sáng"
    rows[2][8] = "P201"  # the exam's only shift
    made = import_candidates(db, exam, sheet(rows), now=clock.now, actor_id=None)
    assert made[0].exempt_part_ids == sorted([exam.parts[1].id, exam.parts[2].id])
    room_session = db.scalar(select(RoomSession))
    assert made[1].room_session_id == made[2].room_session_id == room_session.id


def test_unknown_rooms_and_parts_without_exemption_are_errors(db, clock, exam):
    rows = good_rows()
    rows[0][7] = "Kiến thức chung"
    rows[1][8] = "P999"
    with pytest.raises(ImportRefused) as refused:
        import_candidates(db, exam, sheet(rows), now=clock.now, actor_id=None)
    assert {(e.row, e.field) for e in refused.value.errors} == {(2, "exempt_parts"), (3, "room")}


def test_lists_come_in_vietnamese_order(db, clock, exam):
    import_candidates(db, exam, sheet(good_rows()), now=clock.now, actor_id=None)
    names = [c.full_name for c in candidates_in_order(db, exam.id)]
    assert names == ["Trần Thị An", "Lê Minh Ánh", "Nguyễn Văn Bình"]


def test_access_codes_are_shown_once_hashed_and_regenerating_invalidates(db, clock, exam):
    made = import_candidates(db, exam, sheet(good_rows()), now=clock.now, actor_id=None)
    issued = issue_access_codes(db, exam, rounds=4, now=clock.now, actor_id=None)
    assert len(issued) == 3 and len({i.code for i in issued}) == 3
    for item in issued:
        assert item.code not in item.candidate.access_code_hash
        assert check_secret(item.code, item.candidate.access_code_hash)
    assert issue_access_codes(db, exam, rounds=4, now=clock.now, actor_id=None) == []
    candidate = made[0]
    old = next(i.code for i in issued if i.candidate is candidate)
    new = regenerate_access_code(db, candidate, rounds=4, now=clock.now, actor_id=None)
    assert new != old
    assert check_secret(new, candidate.access_code_hash)
    assert not check_secret(old, candidate.access_code_hash)


def test_codes_for_many_candidates_are_hashed_in_parallel(db, clock, exam):
    rows = [
        [
            f"TS{n:03d}",
            f"Nguyễn Văn {chr(65 + n % 26)}",
            "01/01/1990",
            f"0010900{n:05d}",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
        for n in range(1, 21)
    ]
    import_candidates(db, exam, sheet(rows), now=clock.now, actor_id=None)
    issued = issue_access_codes(db, exam, rounds=4, now=clock.now, actor_id=None)
    assert len(issued) == 20
    assert all(check_secret(i.code, i.candidate.access_code_hash) for i in issued)
