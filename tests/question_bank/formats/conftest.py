"""Helpers for the format tests: fixture files, workbooks and zips built in memory."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

from question_bank.formats import Answer, Option, QuestionRecord, true_false_options

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    """Return a reader of files under fixtures/."""
    return lambda name: (FIXTURES / name).read_bytes()


def build_xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    """Return a workbook whose first sheet holds the rows (header first)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_zip(files: dict[str, bytes]) -> bytes:
    """Return a zip archive holding the given names and contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def make_xlsx() -> Callable[[Sequence[Sequence[object]]], bytes]:
    """Return the workbook builder."""
    return build_xlsx


@pytest.fixture
def make_zip() -> Callable[[dict[str, bytes]], bytes]:
    """Return the zip builder."""
    return build_zip


def _sample_records() -> list[QuestionRecord]:
    return [
        QuestionRecord(
            type="single_choice",
            stem="<p>Thủ đô của Việt Nam là <b>thành phố nào</b>?</p>",
            options=(
                Option("Hà Nội", 1.0),
                Option("Huế"),
                Option("Đà Nẵng", -0.25),
                Option("Tất cả các phương án trên", 0.0, pinned=True),
            ),
            category="Địa lý/Việt Nam",
            difficulty=1,
            tags=("địa lý", "thủ đô"),
            source="Đề thi 2023",
        ),
        QuestionRecord(
            type="single_choice",
            stem="Escapes ~ = # { } : \\ | % and a &lt; b &amp; c",
            options=(Option("x = 1 {ok}", 1.0), Option("%50% ~ tilde")),
            category="Đặc biệt",
        ),
        QuestionRecord(
            type="single_choice",
            stem="Order is fixed",
            options=(Option("first", 1.0, True), Option("second", 0.0, True)),
        ),
        QuestionRecord(
            type="multiple_response",
            stem="Which numbers are prime?<br>Chọn tất cả.",
            options=(
                Option("2", 1 / 3),
                Option("3", 1 / 3),
                Option("5", 1 / 3),
                Option("4", -1.0),
                Option("Không có số nào", 0.0, pinned=True),
            ),
            category="Toán/Số học",
            difficulty=3,
        ),
        QuestionRecord(
            type="multiple_response",
            stem="Equal shares",
            options=(Option("a", 0.5), Option("b"), Option("c", 0.5)),
        ),
        QuestionRecord(
            type="true_false",
            stem="Luật Cán bộ, công chức được Quốc hội thông qua năm 2008.",
            options=true_false_options(True),
            category="Pháp luật",
            difficulty=2,
        ),
        QuestionRecord(
            type="true_false",
            stem="The Earth is flat.",
            options=true_false_options(False),
            tags=("science",),
        ),
        QuestionRecord(
            type="fill_blank",
            stem="Hiến pháp hiện hành được thông qua năm ____.",
            answers=(Answer("2013"), Answer("năm 2013", 0.5)),
            category="Pháp luật",
        ),
        QuestionRecord(
            type="fill_blank",
            stem="Ký hiệu hóa học của natri?",
            answers=(Answer("Na"),),
            match="exact",
            source="SGK",
        ),
        QuestionRecord(
            type="fill_blank",
            stem="Thủ đô ____ nằm ở miền Bắc",
            answers=(Answer("Hà Nội"), Answer("Ha Noi | HN")),
            match="ignore_accents",
        ),
        QuestionRecord(
            type="single_choice",
            stem="Looks like true/false but is a single choice",
            options=(Option("Sai", 1.0), Option("Đúng")),
        ),
        QuestionRecord(
            type="single_choice",
            stem='<p>Tỉnh nào?</p><img src="images/map.png" alt="bản đồ">',
            options=(Option('<img src="images/a.png" alt="A">', 1.0), Option("Cà Mau")),
            media=("images/map.png", "images/a.png", "images/extra.png"),
        ),
    ]


MULTI_BLANK = QuestionRecord(
    type="fill_blank",
    stem="Năm ____, Bác Hồ đọc Tuyên ngôn Độc lập tại quảng trường ____.",
    blanks=((Answer("1945"),), (Answer("Ba Đình"), Answer("Ba Dinh", 0.5))),
)


@pytest.fixture
def sample_records() -> list[QuestionRecord]:
    """Return records covering every supported type and field."""
    return _sample_records()


@pytest.fixture
def multi_blank_record() -> QuestionRecord:
    """Return a fill-in-the-blank record with two blanks."""
    return MULTI_BLANK
