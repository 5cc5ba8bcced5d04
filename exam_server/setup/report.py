"""The form-equivalence report for the council: expected score per form, coverage, exposure."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from fpdf.fonts import FontFace
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.models import Exam, ExamPart, Form, FormItem
from exam_server.setup.charts import histogram, histogram_png
from exam_server.setup.forms import plan_part, topic_names
from exam_server.setup.pdfs import FONT, Document


@dataclass(frozen=True)
class CellCoverage:
    topic: str
    difficulty: int
    per_form: int
    pool: int
    used: int

    @property
    def used_share(self) -> float:
        return self.used / self.pool if self.pool else 0.0


@dataclass
class PartEquivalence:
    position: int
    title: str
    mode: str
    forms: int  # forms compared: every stored form, or the K pool forms
    candidates: int
    has_facility: bool
    target_100: float | None
    tolerance_100: float
    expected_100: list[float] = field(default_factory=list)
    coverage: list[CellCoverage] = field(default_factory=list)
    exposure: list[float] = field(default_factory=list)  # share of forms, per used item
    max_exposure_limit: float = 1.0
    score_png: bytes | None = None
    exposure_png: bytes | None = None

    @property
    def within(self) -> int:
        if self.target_100 is None:
            return 0
        return sum(
            1 for e in self.expected_100 if abs(e - self.target_100) <= self.tolerance_100 + 1e-9
        )

    @property
    def max_exposure(self) -> float:
        return max(self.exposure, default=0.0)

    @property
    def mean_exposure(self) -> float:
        return sum(self.exposure) / len(self.exposure) if self.exposure else 0.0


def part_equivalence(session: Session, part: ExamPart, *, charts: bool = True) -> PartEquivalence:
    """Compute the report of one part from its stored forms and the item statistics."""
    plan = plan_part(session, part)
    maximum = sum(c.count * c.points for c in plan.cells) or 1.0
    facility = {
        item.version_id: item.facility or 0.0
        for items in plan.pool.cells.values()
        for item in items
    }
    forms = session.execute(
        select(Form.id, Form.candidate_id, Form.pool_index).where(Form.part_id == part.id)
    ).all()
    items_by_form: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for form_id, version_id, points in session.execute(
        select(FormItem.form_id, FormItem.item_version_id, FormItem.points)
        .join(Form, Form.id == FormItem.form_id)
        .where(Form.part_id == part.id)
    ):
        items_by_form[form_id].append((version_id, points))
    if part.form_mode == "pool":
        # Compare the K parallel forms themselves, not each candidate's copy.
        distinct = {}
        for form_id, _cid, pool_index in forms:
            distinct.setdefault(pool_index, form_id)
        compared = list(distinct.values())
    else:
        compared = [form_id for form_id, _c, _p in forms]
    report = PartEquivalence(
        position=part.position,
        title=part.title,
        mode=part.form_mode,
        forms=len(compared),
        candidates=len({cid for _f, cid, _p in forms}),
        has_facility=plan.fairness is not None,
        target_100=(plan.fairness.target / maximum * 100) if plan.fairness else None,
        tolerance_100=part.fairness_tolerance * 100,
        max_exposure_limit=part.max_exposure,
    )
    usage: Counter = Counter()
    for form_id in compared:
        rows = items_by_form.get(form_id, [])
        usage.update({version_id for version_id, _p in rows})
        if report.has_facility:
            expected = sum(points * facility.get(version_id, 0.0) for version_id, points in rows)
            report.expected_100.append(expected / maximum * 100)
    report.exposure = (
        sorted((n / len(compared) for n in usage.values()), reverse=True) if compared else []
    )
    names = topic_names(session, [c.topic_id for c in plan.cells])
    for cell in plan.cells:
        pool_ids = {p.version_id for p in plan.pool.get((cell.topic_id, cell.difficulty))}
        report.coverage.append(
            CellCoverage(
                names.get(cell.topic_id, str(cell.topic_id)),
                cell.difficulty,
                cell.count,
                len(pool_ids),
                sum(1 for v in pool_ids if usage.get(v)),
            )
        )
    if charts:
        _draw(report)
    return report


def _draw(report: PartEquivalence) -> None:
    if report.has_facility and report.expected_100:
        centre = report.target_100
        spread = max(
            report.tolerance_100 * 2, max(abs(e - centre) for e in report.expected_100), 1.0
        )
        low, high = centre - spread * 1.2, centre + spread * 1.2
        report.score_png = histogram_png(
            histogram(report.expected_100, low, high, 20),
            title=_("Expected score per form — %(part)s") % {"part": report.title},
            x_label=_("Expected score (of 100)"),
            y_label=_("Forms"),
            band=(centre - report.tolerance_100, centre + report.tolerance_100),
            mark=centre,
        )
    if report.exposure:
        report.exposure_png = histogram_png(
            histogram([e * 100 for e in report.exposure], 0, 100, 20),
            title=_("Item exposure — %(part)s") % {"part": report.title},
            x_label=_("Share of forms showing the item (%%)") % {},
            y_label=_("Items"),
            band=(0, report.max_exposure_limit * 100) if report.max_exposure_limit < 1 else None,
        )


def exam_equivalence(session: Session, exam: Exam, *, charts: bool = True) -> list[PartEquivalence]:
    return [part_equivalence(session, part, charts=charts) for part in exam.parts]


def equivalence_pdf(exam: Exam, reports: list[PartEquivalence]) -> bytes:
    """The report as a PDF for the council file, with the plots."""
    pdf = Document(_("Form equivalence"), exam.name)
    for report in reports:
        pdf.add_page()
        pdf.heading(_("FORM EQUIVALENCE REPORT"))
        pdf.line_text(f"{exam.name} ({exam.code})", bold=True)
        pdf.line_text(
            _("Part %(n)d: %(title)s") % {"n": report.position, "title": report.title}, bold=True
        )
        for line in summary_lines(report):
            pdf.line_text(line, size=9)
        pdf.ln(2)
        pdf.set_font(FONT, size=9)
        with pdf.table(
            col_widths=(70, 22, 28, 28, 32),
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 234, 240)),
            line_height=6,
        ) as table:
            table.row([_("Topic"), _("Difficulty"), _("Per form"), _("Approved"), _("Used")])
            for cell in report.coverage:
                table.row(
                    [
                        cell.topic,
                        str(cell.difficulty),
                        str(cell.per_form),
                        str(cell.pool),
                        f"{cell.used} ({cell.used_share:.0%})",
                    ]
                )
        for png in (report.score_png, report.exposure_png):
            if png:
                pdf.ln(3)
                if pdf.get_y() > pdf.h - 110:
                    pdf.add_page()
                pdf.image(io.BytesIO(png), w=170)
    if not reports:
        pdf.add_page()
        pdf.heading(_("The exam has no part."))
    return pdf.output_bytes()


def summary_lines(report: PartEquivalence) -> list[str]:
    lines = [
        _("Forms compared: %(forms)d (%(mode)s), candidates: %(candidates)d")
        % {
            "forms": report.forms,
            "mode": _("pool of parallel forms") if report.mode == "pool" else _("one form each"),
            "candidates": report.candidates,
        }
    ]
    if report.has_facility and report.expected_100:
        lines.append(
            _(
                "Target expected score %(target).1f of 100, tolerance ± %(tolerance).1f;"
                " forms within: %(within)d of %(forms)d; lowest %(low).1f, highest %(high).1f."
            )
            % {
                "target": report.target_100,
                "tolerance": report.tolerance_100,
                "within": report.within,
                "forms": len(report.expected_100),
                "low": min(report.expected_100),
                "high": max(report.expected_100),
            }
        )
    else:
        lines.append(_("No item statistics yet: expected scores cannot be compared."))
    lines.append(
        _("Item exposure: highest %(max).0f%%, mean %(mean).0f%% of forms (limit %(limit).0f%%).")
        % {
            "max": report.max_exposure * 100,
            "mean": report.mean_exposure * 100,
            "limit": report.max_exposure_limit * 100,
        }
    )
    return lines
