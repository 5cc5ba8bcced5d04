"""Read a candidate list from Excel: pure, from bytes to (records, row-level errors).

Columns are found by their header (Vietnamese or English, with or without diacritics), in
any order. Nothing is written here; the import service writes all rows or none.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from exam_server.text import nfc

MAX_ROWS = 50_000

# Field → accepted headers, compared without diacritics, case or punctuation.
HEADERS = {
    "registration_number": ("sbd", "so bao danh", "registration number", "registration no"),
    "full_name": ("ho va ten", "ho ten", "full name", "name"),
    "date_of_birth": ("ngay sinh", "ngay thang nam sinh", "date of birth", "dob", "birth date"),
    "national_id": (
        "so cccd",
        "cccd",
        "cccd cmnd",
        "so cccd cmnd",
        "cmnd",
        "so dinh danh",
        "so dinh danh ca nhan",
        "national id",
    ),
    "gender": ("gioi tinh", "gender", "sex"),
    "position_applied": (
        "vi tri du tuyen",
        "vi tri",
        "vi tri viec lam",
        "position applied",
        "position",
    ),
    "priority_group": ("doi tuong uu tien", "uu tien", "priority group", "priority"),
    "exempt_parts": ("mien thi", "phan mien thi", "mien thi phan", "exempted parts", "exempt"),
    "room": ("phong thi", "phong", "room"),
    "shift": ("ca thi", "ca", "shift"),
}
REQUIRED = ("registration_number", "full_name", "date_of_birth", "national_id")
FIELD_LABELS = {
    "registration_number": _l("SBD"),
    "full_name": _l("Full name"),
    "date_of_birth": _l("Date of birth"),
    "national_id": _l("National ID"),
    "gender": _l("Gender"),
    "position_applied": _l("Position applied for"),
    "priority_group": _l("Priority group"),
    "exempt_parts": _l("Exempted parts"),
    "room": _l("Room"),
    "shift": _l("Shift"),
}
GENDERS = {
    "nam": "male",
    "male": "male",
    "m": "male",
    "nu": "female",
    "female": "female",
    "f": "female",
}
SBD_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


@dataclass(frozen=True)
class PartRef:
    """A part as the sheet may name it in the exemption column: by number or by title."""

    id: int
    position: int
    title: str
    exemptible: bool


@dataclass
class CandidateRow:
    row: int
    registration_number: str
    full_name: str
    date_of_birth: dt.date
    national_id: str
    gender: str | None = None
    position_applied: str | None = None
    priority_group: str | None = None
    exempt_part_ids: list[int] = field(default_factory=list)
    room: str | None = None
    shift: str | None = None


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file or its header
    field: str | None
    message: Any

    def __str__(self) -> str:
        if self.row is None:
            return str(self.message)
        label = FIELD_LABELS.get(self.field, "") if self.field else ""
        where = _l("Row %(row)d", row=self.row)
        return f"{where}{' — ' + str(label) if label else ''}: {self.message}"


def fold(text: str) -> str:
    """Lower-case, without diacritics (đ → d) or punctuation: for matching headers and words."""
    text = unicodedata.normalize("NFD", str(text).strip().casefold().replace("đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _header_map(header: list[Any]) -> tuple[dict[str, int], list[RowError]]:
    lookup = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
    columns: dict[str, int] = {}
    errors = []
    for index, cell in enumerate(header):
        if cell is None or not str(cell).strip():
            continue
        name = lookup.get(fold(cell))
        if name and name not in columns:
            columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            errors.append(
                RowError(
                    None,
                    name,
                    _l("The sheet has no “%(column)s” column.", column=FIELD_LABELS[name]),
                )
            )
    return columns, errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(" ".join(str(value).split()))


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _national_id(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A number cell loses the leading zero of a 12-digit CCCD (they start with 0).
        digits = str(int(value))
        return digits.zfill(12) if 9 < len(digits) < 12 else digits
    return _text(value).replace(" ", "")


def _exempt(value: Any, parts: list[PartRef]) -> tuple[list[int], Any]:
    text = _text(value)
    if not text:
        return [], None
    chosen = []
    for token in re.split(r"[,;]", text):
        token = token.strip()
        if not token:
            continue
        match = next(
            (p for p in parts if token == str(p.position) or fold(token) == fold(p.title)), None
        )
        if match is None:
            return [], _l("no part is called “%(name)s”", name=token)
        if not match.exemptible:
            return [], _l("part “%(name)s” allows no exemption", name=match.title)
        chosen.append(match.id)
    return sorted(set(chosen)), None


def parse_candidate_sheet(
    data: bytes, parts: list[PartRef], today: dt.date
) -> tuple[list[CandidateRow], list[RowError]]:
    """Read every row; return the good rows and every error found (row, field, message)."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return [], [RowError(None, None, _l("The file is not an Excel workbook (.xlsx)."))]
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return [], [RowError(None, None, _l("The sheet is empty."))]
    columns, errors = _header_map(list(header))
    if errors:
        return [], errors
    records: list[CandidateRow] = []
    first_seen: dict[tuple[str, str], int] = {}
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            errors.append(RowError(None, None, _l("The sheet has too many rows.")))
            break
        values = list(values)

        def cell(name: str, values=values) -> Any:
            index = columns.get(name)
            return values[index] if index is not None and index < len(values) else None

        if all(v is None or not str(v).strip() for v in values):
            continue
        row_errors: list[RowError] = []

        def error(name: str, message: Any, number=number, row_errors=row_errors) -> None:
            row_errors.append(RowError(number, name, message))

        sbd = _text(cell("registration_number")).upper()
        if not sbd:
            error("registration_number", _l("missing"))
        elif not SBD_PATTERN.match(sbd):
            error("registration_number", _l("use letters, digits, dots or dashes (at most 40)"))
        name = _text(cell("full_name"))
        if not name:
            error("full_name", _l("missing"))
        elif len(name) > 200 or len(name.split()) < 2:
            error("full_name", _l("give the family name and the given name"))
        born = _date(cell("date_of_birth"))
        if born is None:
            error("date_of_birth", _l("not a date (dd/mm/yyyy)"))
        elif not dt.date(1900, 1, 1) <= born <= today:
            error("date_of_birth", _l("not a possible date of birth"))
        national_id = _national_id(cell("national_id"))
        if not re.fullmatch(r"\d{9}|\d{12}", national_id):
            error("national_id", _l("a CCCD has 12 digits (an old CMND 9)"))
        gender_text = fold(_text(cell("gender")))
        gender = GENDERS.get(gender_text) if gender_text else None
        if gender_text and gender is None:
            error("gender", _l("write Nam or Nữ"))
        exempt, exempt_error = _exempt(cell("exempt_parts"), parts)
        if exempt_error is not None:
            error("exempt_parts", exempt_error)
        room = _text(cell("room")).upper() or None
        shift = _text(cell("shift")) or None
        for key, value in (("registration_number", sbd), ("national_id", national_id)):
            if not value:
                continue
            earlier = first_seen.get((key, value))
            if earlier is not None:
                error(
                    key,
                    _l("%(value)s is also on row %(other)d", value=value, other=earlier),
                )
            else:
                first_seen[(key, value)] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        records.append(
            CandidateRow(
                row=number,
                registration_number=sbd,
                full_name=name,
                date_of_birth=born,
                national_id=national_id,
                gender=gender,
                position_applied=_text(cell("position_applied"))[:200] or None,
                priority_group=_text(cell("priority_group"))[:50] or None,
                exempt_part_ids=exempt,
                room=room,
                shift=shift,
            )
        )
    workbook.close()
    if not records and not errors:
        errors.append(RowError(None, None, _l("The sheet lists no candidate.")))
    return records, errors
