"""Printed documents: room lists, admission slips, session-code sheets (fpdf2, DejaVu Sans).

The font ships with the app (exam_server/static/fonts), so Vietnamese renders the same on an
exam LAN without internet or system fonts. Renderers take plain rows and return PDF bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

FONT_DIR = Path(__file__).resolve().parents[1] / "static" / "fonts"
FONT = "DejaVu"


class Document(FPDF):
    """An A4 page with the platform's font, a running title and page numbers."""

    def __init__(self, title: str, subtitle: str = ""):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.doc_subtitle = subtitle
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("exam-platform")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 6, f"{self.doc_title} — {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, 7, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=10)

    def line_text(self, text: str, size: int = 10, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def signatures(self, labels: Sequence[str]) -> None:
        self.ln(6)
        self.set_font(FONT, "B", 9)
        width = (self.w - self.l_margin - self.r_margin) / max(1, len(labels))
        y = self.get_y()
        for index, label in enumerate(labels):
            self.set_xy(self.l_margin + index * width, y)
            self.multi_cell(width, 5, label, align="C")
        self.set_font(FONT, size=8)
        self.set_xy(self.l_margin, y + 11)
        for index in range(len(labels)):
            self.set_xy(self.l_margin + index * width, y + 11)
            self.multi_cell(width, 4, _("(signature, full name)"), align="C")
        self.set_xy(self.l_margin, y + 32)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


# --- room lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedCandidate:
    seat: int | None
    registration_number: str
    full_name: str
    date_of_birth: str
    note: str = ""


@dataclass(frozen=True)
class RoomSheet:
    room: str
    shift: str
    starts: str
    candidates: Sequence[ListedCandidate]
    staff: Sequence[str] = ()


def room_lists_pdf(exam_name: str, sheets: Sequence[RoomSheet]) -> bytes:
    """One list per room and shift, to check identities and sign attendance."""
    pdf = Document(_("Candidate list"), exam_name)
    for sheet in sheets:
        pdf.add_page()
        pdf.heading(_("CANDIDATE LIST OF THE ROOM"))
        pdf.line_text(exam_name, bold=True)
        pdf.line_text(
            _("Room: %(room)s — Shift: %(shift)s — Start: %(start)s")
            % {"room": sheet.room, "shift": sheet.shift, "start": sheet.starts}
        )
        if sheet.staff:
            pdf.line_text(_("Staff: %(names)s") % {"names": "; ".join(sheet.staff)}, size=9)
        pdf.ln(2)
        pdf.set_font(FONT, size=9)
        with pdf.table(
            col_widths=(10, 16, 26, 56, 26, 46),
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 234, 240)),
            line_height=7,
        ) as table:
            table.row(
                [
                    _("No."),
                    _("Seat"),
                    _("SBD"),
                    _("Full name"),
                    _("Date of birth"),
                    _("Signature"),
                ]
            )
            for number, c in enumerate(sheet.candidates, start=1):
                table.row(
                    [
                        str(number),
                        str(c.seat or ""),
                        c.registration_number,
                        c.full_name,
                        c.date_of_birth,
                        c.note,
                    ]
                )
        pdf.ln(2)
        pdf.line_text(
            _("%(count)d candidates on this list.") % {"count": len(sheet.candidates)}, size=9
        )
        pdf.signatures([_("Head proctor"), _("Proctor"), _("Technician")])
    if not sheets:
        pdf.add_page()
        pdf.heading(_("No room is set up for this exam."))
    return pdf.output_bytes()


# --- admission slips ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
    registration_number: str
    full_name: str
    date_of_birth: str
    room: str
    seat: int | None
    shift: str
    starts: str
    access_code: str | None  # None when the code was issued before (it is shown only once)


SLIPS_PER_PAGE = 3


def admission_slips_pdf(exam_name: str, slips: Sequence[Slip]) -> bytes:
    """Admission slips, three to a page, with the access code when it has just been issued."""
    pdf = Document(_("Admission slips"), exam_name)
    height = (pdf.h - 30) / SLIPS_PER_PAGE
    for index, slip in enumerate(slips):
        if index % SLIPS_PER_PAGE == 0:
            pdf.add_page()
        top = 15 + (index % SLIPS_PER_PAGE) * height
        pdf.set_draw_color(120, 120, 120)
        pdf.set_dash_pattern(dash=1.5, gap=1.5)
        pdf.rect(15, top + 2, pdf.w - 30, height - 6)
        pdf.set_dash_pattern()
        pdf.set_xy(20, top + 5)
        pdf.set_font(FONT, "B", 13)
        pdf.cell(pdf.w - 40, 7, _("ADMISSION SLIP"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(20)
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(pdf.w - 40, 5, exam_name, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        rows = [
            (_("SBD"), slip.registration_number),
            (_("Full name"), slip.full_name),
            (_("Date of birth"), slip.date_of_birth),
            (_("Room"), slip.room),
            (_("Seat"), str(slip.seat or "")),
            (_("Shift"), f"{slip.shift} — {slip.starts}"),
        ]
        for label, value in rows:
            pdf.set_x(25)
            pdf.set_font(FONT, size=10)
            pdf.cell(38, 6, f"{label}:")
            pdf.set_font(FONT, "B", 11)
            pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(25)
        pdf.set_font(FONT, size=10)
        pdf.cell(38, 8, f"{_('Access code')}:")
        if slip.access_code:
            pdf.set_font("Courier", "B", 16)
            pdf.cell(0, 8, " ".join([slip.access_code[:4], slip.access_code[4:]]))
        else:
            pdf.set_font(FONT, size=9)
            pdf.cell(0, 8, _("given separately"))
        pdf.set_xy(25, pdf.get_y() + 9)
        pdf.set_font(FONT, size=8)
        pdf.multi_cell(
            pdf.w - 50,
            4,
            _(
                "Bring this slip and your ID card. Keep the access code to yourself: with your"
                " SBD it opens your test."
            ),
        )
    if not slips:
        pdf.add_page()
        pdf.heading(_("No candidate to print."))
    return pdf.output_bytes()


# --- session codes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionCodeSheet:
    shift: str
    starts: str
    room: str
    code: str


def session_code_sheets_pdf(exam_name: str, sheets: Sequence[SessionCodeSheet]) -> bytes:
    """One sheet per room and shift, to seal in an envelope and open before the room."""
    pdf = Document(_("Session codes"), exam_name)
    for sheet in sheets:
        pdf.add_page()
        pdf.heading(_("SESSION CODE — SECRET"), size=16)
        pdf.line_text(exam_name, bold=True)
        pdf.line_text(
            _("Shift: %(shift)s — Start: %(start)s") % {"shift": sheet.shift, "start": sheet.starts}
        )
        pdf.line_text(_("Room: %(room)s") % {"room": sheet.room})
        pdf.ln(10)
        pdf.set_font("Courier", "B", 36)
        pdf.cell(0, 18, " ".join([sheet.code[:4], sheet.code[4:]]), align="C", border=1)
        pdf.ln(24)
        pdf.line_text(
            _(
                "Seal this sheet in an envelope. The head proctor opens it in front of the room"
                " at the start of the shift; two candidates sign that the envelope was sealed."
                " The code lets only the listed candidates open their test."
            )
        )
        pdf.ln(4)
        pdf.signatures([_("Sealed by"), _("Head proctor")])
        pdf.signatures([_("Candidate 1"), _("Candidate 2")])
    if not sheets:
        pdf.add_page()
        pdf.heading(_("No shift to print."))
    return pdf.output_bytes()


# --- data-import record ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRecordSheet:
    exam: str
    imported_at: str
    imported_by: str
    package_sha256: str
    signer: str
    counts: dict


def data_import_pdf(sheet: ImportRecordSheet) -> bytes:
    """The minutes of loading a sealed package onto the exam server, to sign."""
    pdf = Document(_("Data-import record"), sheet.exam)
    pdf.add_page()
    pdf.heading(_("RECORD OF LOADING EXAM DATA ONTO THE EXAM SERVER"))
    pdf.line_text(sheet.exam, bold=True)
    pdf.ln(2)
    for label, value in (
        (_("Loaded at"), sheet.imported_at),
        (_("Loaded by"), sheet.imported_by),
        (_("Package fingerprint (SHA-256)"), sheet.package_sha256),
        (_("Signed by key"), sheet.signer),
    ):
        pdf.line_text(f"{label}: {value}")
    pdf.ln(2)
    labels = {
        "parts": _("Parts"),
        "items": _("Items"),
        "candidates": _("Candidates"),
        "rooms": _("Rooms"),
        "shifts": _("Shifts"),
        "forms": _("Forms"),
        "form_items": _("Items on forms"),
    }
    for key, label in labels.items():
        if key in sheet.counts:
            pdf.line_text(f"{label}: {sheet.counts[key]}")
    pdf.ln(3)
    pdf.line_text(
        _(
            "The package's signature was verified and it was opened with the council's key;"
            " the figures above were read from it."
        ),
        size=9,
    )
    pdf.signatures([_("Technician"), _("Council representative"), _("Supervision board")])
    return pdf.output_bytes()
