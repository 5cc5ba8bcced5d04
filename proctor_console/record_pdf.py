"""The room record (biên bản phòng thi) as a PDF, in the user's language, with a font that
draws every Vietnamese letter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from exam_server.models import Candidate
from proctor_console import labels
from proctor_console.record import RoomRecord

# The app's own copy first (served with the app, no system package needed), then Debian's.
FONT_DIRS = (
    Path(__file__).resolve().parents[1] / "exam_server" / "static" / "fonts",
    Path("/usr/share/fonts/truetype/dejavu"),
)
FONT = "DejaVu"
LINE = 6


def font_files() -> tuple[Path, Path]:
    """Return the regular and bold DejaVu Sans files (bold falls back to regular)."""
    for folder in FONT_DIRS:
        regular = folder / "DejaVuSans.ttf"
        if regular.exists():
            bold = folder / "DejaVuSans-Bold.ttf"
            return regular, bold if bold.exists() else regular
    raise FileNotFoundError("DejaVuSans.ttf not found in " + ", ".join(map(str, FONT_DIRS)))


class RecordPDF(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        regular, bold = font_files()
        self.add_font(FONT, "", str(regular))
        self.add_font(FONT, "B", str(bold))
        self.set_margins(18, 15, 18)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self.footer_text} — {self.page_no()}/{{nb}}", align="C")

    # -- writing helpers --------------------------------------------------------------------

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 45:  # never leave a heading alone at the foot of a page
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 10)

    def line_text(self, text: str) -> None:
        self.multi_cell(0, LINE, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rows(self, header: list[str], body: list[list[str]], widths: tuple[int, ...]) -> None:
        if not body:
            self.line_text(_("None."))
            return
        self.set_font(FONT, "", 9)
        with self.table(
            col_widths=widths,
            text_align="LEFT",
            line_height=5,
            headings_style=_heading_style(),
            padding=1,
        ) as table:
            for row_values in [header, *body]:
                row = table.row()
                for value in row_values:
                    row.cell(value)
        self.set_font(FONT, "", 10)
        self.ln(1)


def _heading_style():
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(235, 239, 244))


def render_room_record(
    record: RoomRecord, fmt: Callable[[dt.datetime | None], str], made_at: dt.datetime
) -> bytes:
    """Return the room record as PDF bytes; `fmt` formats a time for the reader."""
    room = record.room
    staff_label, opened_label = _("Staff"), _("opened")
    pdf = RecordPDF(f"{record.exam.code} · {room.room.name} · {room.shift.name}")
    pdf.alias_nb_pages()
    pdf.add_page()
    _title(pdf, record, fmt)
    who = _namer(record)

    pdf.heading(_("1. Room staff"))
    if record.staff:
        for role, name in record.staff:
            pdf.line_text(f"{_role(role)}: {name}")
    else:
        pdf.line_text(
            _("No staff assigned in the system; names are written on the signature lines.")
        )

    pdf.heading(_("2. Attendance"))
    pdf.line_text(
        _(
            "Registered: %(registered)d. Present: %(present)d. Absent: %(absent)d.",
            registered=len(record.candidates),
            present=len(record.present),
            absent=len(record.absent),
        )
    )
    pdf.line_text(_("Late entry accepted until %(time)s.", time=fmt(record.late_entry_closes_at)))
    if record.absent:
        pdf.line_text(_("Absent: %(names)s.", names="; ".join(who(c.id) for c in record.absent)))
    late_rows = []
    for candidate, check_in in record.late:
        decision = record.decisions.get(check_in.late_decision_id)
        late_rows.append(
            [
                who(candidate.id),
                fmt(check_in.arrived_at),
                f"{decision.reference} ({decision.decided_by})" if decision else "",
            ]
        )
    if late_rows:
        pdf.line_text(_("Late arrivals admitted on a decision of the chair:"))
        pdf.rows([_("Candidate"), _("Arrived"), _("Decision")], late_rows, (80, 35, 59))

    pdf.heading(_("3. Opening of the session-code envelope"))
    envelope = record.envelope
    if envelope is None:
        pdf.line_text(_("Not recorded."))
    else:
        pdf.line_text(
            _(
                "Opened at %(time)s by %(name)s before the candidates %(first)s and %(second)s.",
                time=fmt(envelope.opened_at),
                name=record.envelope_by,
                first=who(envelope.witness_1_id),
                second=who(envelope.witness_2_id),
            )
        )
        pdf.line_text(
            _("The seal was intact.") if envelope.seal_intact else _("The seal was NOT intact.")
        )
        if envelope.note:
            pdf.line_text(_("Note: %(note)s", note=envelope.note))

    pdf.heading(_("4. Start and end"))
    pdf.line_text(_("Programmed start: %(time)s.", time=fmt(room.shift.starts_at)))
    pdf.line_text(_("Room started: %(time)s.", time=fmt(record.started_at)))
    pdf.line_text(_("Room closed: %(time)s.", time=fmt(record.closed_at)))

    pdf.heading(_("5. Pauses"))
    pdf.rows(
        [_("Paused"), _("Resumed"), _("Reason"), _("By")],
        [
            [
                fmt(p.paused_at),
                fmt(p.resumed_at),
                p.reason + (f" / {p.resume_reason}" if p.resume_reason else ""),
                p.paused_by,
            ]
            for p in record.pauses
        ],
        (32, 32, 75, 35),
    )

    pdf.heading(_("6. Incidents"))
    pdf.rows(
        [_("Time"), _("Kind of incident"), _("Candidates"), _("What happened"), _("Action taken")],
        [
            [
                fmt(v.occurred_at),
                str(labels.INCIDENT_KINDS.get(v.kind, v.kind))
                + (f"\n{labels.SANCTIONS.get(v.sanction, v.sanction)}" if v.sanction else "")
                + ("\n" + _("(amended, %(n)d versions)", n=versions) if versions > 1 else ""),
                "\n".join(who(cid) for cid in v.candidate_ids),
                v.description + (f"\n{staff_label}: {v.staff}" if v.staff else ""),
                v.action_taken,
            ]
            for versions, v in record.incidents
        ],
        (26, 26, 40, 50, 32),
    )

    pdf.heading(_("7. Retakes"))
    pdf.rows(
        [_("Candidate"), _("Part"), _("When"), _("Reason")],
        [
            [
                who(r.candidate_id),
                _part(record, r.part_id),
                str(labels.RETAKE_MODES.get(r.mode, r.mode))
                + (f"\n{fmt(r.scheduled_at)}" if r.scheduled_at else "")
                + (f"\n{opened_label} {fmt(r.opened_at)}" if r.opened_at else ""),
                r.reason,
            ]
            for r in record.retakes
        ],
        (50, 30, 40, 54),
    )

    pdf.heading(_("8. Sanctions"))
    pdf.rows(
        [_("Candidate"), _("Sanction"), _("Reason"), _("Witnesses")],
        [
            [who(s.candidate_id), str(labels.SANCTIONS.get(s.kind, s.kind)), s.reason, s.witnesses]
            for s in record.sanctions
        ],
        (45, 30, 60, 39),
    )

    pdf.heading(_("9. Time extensions"))
    pdf.rows(
        [_("Candidate"), _("Part"), _("Minutes"), _("Decision"), _("Reason")],
        [
            [
                who(attempt.candidate_id),
                _part(record, attempt.part_id),
                str(extension.seconds // 60),
                _decision(record, extension.decision_id),
                extension.reason,
            ]
            for extension, attempt in record.extensions
        ],
        (45, 28, 18, 40, 43),
    )

    pdf.heading(_("10. Papers collected"))
    for part in record.parts:
        pdf.line_text(
            _(
                "%(part)s: %(submitted)d submitted, %(voided)d voided.",
                part=part.title,
                submitted=record.submitted_by_part.get(part.id, 0),
                voided=record.voided_by_part.get(part.id, 0),
            )
        )

    pdf.heading(_("11. Signatures on the result list"))
    if not record.signatures_recorded:
        pdf.line_text(_("Not recorded yet."))
    elif record.unsigned:
        pdf.line_text(
            _(
                "Did not sign (their result is 0 when results are compiled): %(names)s.",
                names="; ".join(who(s.candidate_id) for s in record.unsigned),
            )
        )
    else:
        pdf.line_text(_("Every candidate who sat the test signed the result list."))

    pdf.ln(2)
    pdf.line_text(
        _("Drawn up at %(time)s from the records held by the exam server.", time=fmt(made_at))
    )
    _signature_lines(pdf, record, who)
    return bytes(pdf.output())


def _title(pdf: RecordPDF, record: RoomRecord, fmt) -> None:
    pdf.set_font(FONT, "B", 10)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    y = pdf.get_y()
    pdf.multi_cell(half, 5, record.exam.name.upper(), align="C")
    left_end = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.multi_cell(half, 5, _("SOCIALIST REPUBLIC OF VIET NAM"), align="C", new_x=XPos.LMARGIN)
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(half, 5, _("Independence – Freedom – Happiness"), align="C")
    pdf.set_y(max(left_end, pdf.get_y()) + 6)
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, _("ROOM RECORD"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    room = record.room
    pdf.cell(
        0,
        6,
        _("%(room)s — %(shift)s", room=room.room.name, shift=room.shift.name),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    pdf.line_text(_("Exam: %(name)s (%(code)s).", name=record.exam.name, code=record.exam.code))


def _signature_lines(pdf: RecordPDF, record: RoomRecord, who) -> None:
    if pdf.get_y() > pdf.h - 80:
        pdf.add_page()
    pdf.ln(6)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / 3
    names = {role: name for role, name in record.staff}
    pdf.set_font(FONT, "B", 10)
    titles = [_("Head proctor"), _("Proctor"), _("Technician")]
    for title in titles:
        pdf.cell(width, 6, title, align="C")
    pdf.ln(6)
    pdf.set_font(FONT, "", 9)
    for _title_text in titles:
        pdf.cell(width, 5, _("(signature and full name)"), align="C")
    pdf.ln(22)
    for role in ("head_proctor", "proctor", "technician"):
        pdf.cell(width, 5, names.get(role, "…………………………"), align="C")
    pdf.ln(12)
    if record.envelope is not None:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(0, 6, _("Candidate witnesses of the envelope"), align="C")
        pdf.ln(6)
        pdf.set_font(FONT, "", 9)
        half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
        pdf.ln(18)
        pdf.cell(half, 5, who(record.envelope.witness_1_id), align="C")
        pdf.cell(half, 5, who(record.envelope.witness_2_id), align="C")
        pdf.ln(6)


def _namer(record: RoomRecord) -> Callable[[int], str]:
    def who(candidate_id: int) -> str:
        candidate: Candidate | None = record.by_id.get(candidate_id)
        if candidate is None:
            return str(candidate_id)
        return f"{candidate.registration_number} {candidate.full_name}"

    return who


def _part(record: RoomRecord, part_id: int) -> str:
    return next((p.title for p in record.parts if p.id == part_id), "")


def _decision(record: RoomRecord, decision_id: int | None) -> str:
    decision = record.decisions.get(decision_id)
    return f"{decision.reference} ({decision.decided_by})" if decision else ""


def _role(role: str) -> str:
    return {
        "head_proctor": _("Head proctor"),
        "proctor": _("Proctor"),
        "technician": _("Technician"),
    }.get(role, role)
