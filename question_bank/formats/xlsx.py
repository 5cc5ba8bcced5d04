"""Excel (.xlsx) import and export of the spreadsheet template."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from . import messages as msg
from .errors import ImportErrorRecord, ProblemError
from .records import ParseResult, QuestionRecord
from .safe_zip import open_zip
from .tabular import parse_rows
from .tabular_export import header_row, record_row

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Characters XML 1.0 cannot hold (openpyxl refuses them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SHEET_TITLES = {"vi": "Câu hỏi", "en": "Questions"}
_WIDTHS = {"stem": 60, "option": 28, "other": 14}


def parse_xlsx(data: bytes, filename: str) -> ParseResult:
    """Parse the first sheet of a workbook laid out like the template."""
    if data.startswith(_OLE_MAGIC):
        return _fail(filename, msg.LEGACY_XLS)
    try:
        archive = open_zip(data)
    except ProblemError as exc:
        return ParseResult(errors=(exc.at(filename),))
    if not archive.has("xl/workbook.xml"):
        return _fail(filename, msg.NOT_XLSX)
    try:
        rows = _read_rows(data)
    except Exception:  # openpyxl raises many kinds on a damaged workbook
        return _fail(filename, msg.NOT_XLSX)
    return parse_rows(rows, filename)


def _read_rows(data: bytes) -> list[tuple[int, tuple]]:
    with warnings.catch_warnings():
        # openpyxl warns about workbook features it drops (validation, styles).
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
        try:
            sheet = workbook.worksheets[0]
            return list(enumerate(sheet.iter_rows(values_only=True), start=1))
        finally:
            workbook.close()


def _fail(filename: str, message_id: str) -> ParseResult:
    return ParseResult(errors=(ImportErrorRecord(filename, None, "file", message_id),))


def write_workbook(
    rows: Sequence[Sequence[str]], lang: str, extra_sheets: dict[str, list[str]] | None = None
) -> bytes:
    """Write a header row and text rows (all cells typed as text) to .xlsx bytes."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLES[lang])
    header = header_row(lang)
    for index, _ in enumerate(header):
        kind = "stem" if index == 1 else "option" if 2 <= index < 10 else "other"
        letter = openpyxl.utils.get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = _WIDTHS[kind]
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, text, bold=True) for text in header])
    for row in rows:
        sheet.append([_cell(sheet, text) for text in row])
    for title, lines in (extra_sheets or {}).items():
        notes = workbook.create_sheet(title)
        notes.column_dimensions["A"].width = 120
        for line in lines:
            notes.append([_cell(notes, line)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet, text: str, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_ILLEGAL.sub("", text) if text else None)
    if text:
        cell.data_type = "s"  # never let "=..." become a formula
    if bold:
        cell.font = Font(bold=True)
    elif "\n" in (text or ""):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def export_xlsx(records: Sequence[QuestionRecord], lang: str = "vi") -> bytes:
    """Write records as a workbook in the template layout."""
    return write_workbook([record_row(record, lang) for record in records], lang)
