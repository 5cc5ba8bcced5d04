"""Result exports: Excel (summary + one sheet per part), CSV and PDF, in the user's language."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from flask_babel import format_datetime, format_decimal
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from exam_server.council import queries
from exam_server.council.charts import histogram_png
from exam_server.council.labels import OVERALL, PART_STATUS, SANCTION, label
from exam_server.models import Exam, ExamPart
from exam_server.models.council import ResultApproval
from scoring import histogram, round_half_up

# The app ships this font (another package provides it); nothing is fetched from outside.
SHIPPED_FONT = Path(__file__).resolve().parents[1] / "static" / "fonts" / "DejaVuSans.ttf"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportUnavailable(RuntimeError):
    """An export cannot be made on this installation (e.g. the PDF font is missing)."""


@dataclass
class ExportData:
    exam: Exam
    parts: list[ExamPart]
    rows: list[queries.ResultRow]
    counts: queries.ExamCounts
    generated_at: dt.datetime
    approval: ResultApproval | None
    round_two: bool


def gather(
    session: Session, exam: Exam, now: dt.datetime, *, sort: str = "sbd", approval=None
) -> ExportData:
    rows = queries.result_rows(session, exam, sort=sort)
    parts = list(exam.parts)
    return ExportData(
        exam=exam,
        parts=parts,
        rows=rows,
        counts=queries.count(rows, parts),
        generated_at=now,
        approval=approval,
        round_two=any(row.result and row.result.total is not None for row in rows),
    )


def safe_text(value):
    """Keep a spreadsheet from reading a name or note as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def score(value: float | None):
    return None if value is None else round_half_up(value, 2)


def birth_date(row: queries.ResultRow) -> str:
    born = row.candidate.date_of_birth
    return born.strftime("%d/%m/%Y") if born else ""


def part_title(part: ExamPart) -> str:
    return _("Part %(n)d: %(title)s", n=part.position, title=part.title)


def part_result_text(record) -> str:
    if record is None:
        return label(PART_STATUS, "absent")
    if record.status == "sat":
        return label(OVERALL, "passed" if record.passed else "failed")
    return label(PART_STATUS, record.status)


def count_headers() -> list[str]:
    return [
        _("Group"),
        _("Registered"),
        _("Present"),
        _("Absent"),
        _("Exempt"),
        _("Suspended or voided"),
        _("Passed"),
    ]


def count_rows(data: ExportData) -> list[list]:
    def line(name, c: queries.Counts):
        return [name, c.registered, c.present, c.absent, c.exempt, c.suspended, c.passed]

    lines = [line(_("Whole exam"), data.counts.exam)]
    lines += [line(part_title(p), data.counts.parts[p.id]) for p in data.parts]
    lines += [
        line(_("Room %(room)s", room=room or "—"), counts)
        for room, counts in sorted(data.counts.rooms.items())
    ]
    return lines


def part_headers() -> list[str]:
    return [
        _("No."),
        _("SBD"),
        _("Full name"),
        _("Date of birth"),
        _("Room"),
        _("Correct answers"),
        _("Correct after adjustments"),
        _("Score (of 100)"),
        _("Result"),
        _("Sanction"),
    ]


def part_row(index: int, row: queries.ResultRow, part: ExamPart) -> list:
    record = row.parts.get(part.id)
    return [
        index,
        row.candidate.registration_number,
        safe_text(row.candidate.full_name),
        birth_date(row),
        safe_text(row.room),
        record.correct_count if record else None,
        score(record.adjusted_correct) if record else None,
        score(record.score_100) if record else None,
        part_result_text(record),
        label(SANCTION, record.sanction) if record else "",
    ]


def overall_headers(data: ExportData) -> list[str]:
    headers = [_("No."), _("SBD"), _("Full name"), _("Date of birth"), _("Room")]
    for part in data.parts:
        headers += [
            _("P%(n)d score", n=part.position),
            _("P%(n)d result", n=part.position),
        ]
    if data.round_two:
        headers += [_("Interview"), _("Priority points"), _("Total"), _("Rank")]
    headers.append(_("Overall result"))
    return headers


def overall_row(index: int, row: queries.ResultRow, data: ExportData) -> list:
    line = [
        index,
        row.candidate.registration_number,
        safe_text(row.candidate.full_name),
        birth_date(row),
        safe_text(row.room),
    ]
    for part in data.parts:
        record = row.parts.get(part.id)
        line += [score(record.score_100) if record else None, part_result_text(record)]
    if data.round_two:
        result = row.result
        line += [
            score(result.interview) if result else None,
            score(result.priority_points) if result else None,
            score(result.total) if result else None,
            result.rank if result else None,
        ]
    line.append(label(OVERALL, row.overall) if row.overall else "")
    return line


def heading_lines(data: ExportData) -> list[str]:
    lines = [
        _("Exam results: %(name)s (%(code)s)", name=data.exam.name, code=data.exam.code),
        _("Produced on %(at)s", at=format_datetime(data.generated_at, "dd/MM/yyyy HH:mm")),
    ]
    if data.approval is not None:
        lines.append(
            _(
                "Approved by the council on %(at)s; results digest %(sha)s",
                at=format_datetime(data.approval.approved_at, "dd/MM/yyyy HH:mm"),
                sha=data.approval.results_sha256[:16],
            )
        )
    else:
        lines.append(_("Not yet approved by the council."))
    return lines


# --- Excel ---------------------------------------------------------------------------------


def sheet_title(text: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in text)
    return " ".join(cleaned.split())[:31]


def to_xlsx(data: ExportData) -> bytes:
    """A summary sheet (heading, counts, overall results) and one sheet per part."""
    book = Workbook()
    summary = book.active
    summary.title = sheet_title(_("Summary"))
    bold = Font(bold=True)
    for line in heading_lines(data):
        summary.append([safe_text(line)])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([])
    summary.append(count_headers())
    for cell in summary[summary.max_row]:
        cell.font = bold
    for line in count_rows(data):
        summary.append([safe_text(v) for v in line])
    summary.append([])
    summary.append(overall_headers(data))
    for cell in summary[summary.max_row]:
        cell.font = bold
    for index, row in enumerate(data.rows, start=1):
        summary.append(overall_row(index, row, data))
    widen(summary)
    for part in data.parts:
        sheet = book.create_sheet(sheet_title(part_title(part)))
        sheet.append([safe_text(part_title(part))])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(part_headers())
        for cell in sheet[2]:
            cell.font = bold
        index = 0
        for row in data.rows:
            record = row.parts.get(part.id)
            if record is not None and record.status == "exempt":
                continue
            index += 1
            sheet.append(part_row(index, row, part))
        widen(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def widen(sheet) -> None:
    for column in sheet.iter_cols(min_row=3):
        longest = max((len(str(c.value)) for c in column if c.value is not None), default=6)
        sheet.column_dimensions[column[0].column_letter].width = min(max(longest + 2, 6), 45)


# --- CSV -------------------------------------------------------------------------------------


def to_csv(data: ExportData) -> bytes:
    """One row per candidate; UTF-8 with a byte-order mark so spreadsheets read Vietnamese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(overall_headers(data))
    for index, row in enumerate(data.rows, start=1):
        writer.writerow(["" if v is None else v for v in overall_row(index, row, data)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- PDF -------------------------------------------------------------------------------------


def font_file() -> Path | None:
    """Return the TTF font with Vietnamese glyphs the PDF needs, or None if it is missing."""
    path = Path(SHIPPED_FONT)
    return path if path.is_file() else None


def part_histogram(data: ExportData, part: ExamPart) -> bytes:
    scores = queries.part_scores(data.rows, part.id)
    mark = part.pass_threshold * 100 if part.pass_basis == "share_correct" else part.pass_threshold
    return histogram_png(
        histogram(scores),
        title=part_title(part),
        xlabel=_("Score (of 100)"),
        ylabel=_("Candidates"),
        pass_mark=mark if part.pass_basis == "points" else None,
        pass_label=_("Pass mark"),
    )


def to_pdf(data: ExportData) -> bytes:
    """Heading, counts, a histogram per part and the full results, in Vietnamese glyphs."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    font = font_file()
    if font is None:
        raise ExportUnavailable(_("The PDF font is not installed on this server."))
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(_("Exam results: %(name)s (%(code)s)", name=data.exam.name, code=data.exam.code))
    pdf.set_creator("exam-platform")
    pdf.add_font("DejaVu", "", str(font))
    bold = font.with_name(font.stem + "-Bold" + font.suffix)
    if bold.is_file():  # headings in bold when the bold face ships too
        pdf.add_font("DejaVu", "B", str(bold))
    strong = "B" if bold.is_file() else ""
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    heading = FontFace(emphasis=strong, fill_color=(225, 232, 240))

    pdf.set_font("DejaVu", style=strong, size=14)
    pdf.multi_cell(0, 8, heading_lines(data)[0], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    for line in heading_lines(data)[1:]:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    with pdf.table(
        headings_style=heading, line_height=6, text_align="LEFT", col_widths=(4, 1, 1, 1, 1, 1.5, 1)
    ) as table:
        for line in [count_headers(), *count_rows(data)]:
            cells = table.row()
            for value in line:
                cells.cell(str(value))
    for part in data.parts:
        if not queries.part_scores(data.rows, part.id):
            continue
        pdf.ln(3)
        if pdf.will_page_break(80):
            pdf.add_page()
        pdf.image(io.BytesIO(part_histogram(data, part)), w=150)
    pdf.add_page()
    pdf.set_font("DejaVu", style=strong, size=12)
    pdf.cell(0, 8, _("Full results"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=7 if len(data.parts) > 2 or data.round_two else 8)
    widths = [0.8, 2, 4, 1.8, 3] + [1.3, 1.6] * len(data.parts)
    widths += [1.3, 1.3, 1.3, 1] if data.round_two else []
    widths.append(2)
    with pdf.table(
        headings_style=heading, line_height=4.5, text_align="LEFT", col_widths=widths
    ) as table:
        header = table.row()
        for value in overall_headers(data):
            header.cell(value)
        for index, row in enumerate(data.rows, start=1):
            cells = table.row()
            for value in overall_row(index, row, data):
                cells.cell(pdf_text(value))
    return bytes(pdf.output())


def pdf_text(value) -> str:
    """Show a cell in the PDF: scores with 2 decimals in the user's format, text as is."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format_decimal(value, format="0.00")
    return str(value).removeprefix("'")  # the formula guard is for spreadsheets only


def download_name(exam: Exam, extension: str) -> str:
    return f"ket-qua-{exam.code}.{extension}"
