"""The project report as a PDF (fpdf2, pure Python) a coordinator can attach to a report: key
figures, participants per meeting with a chart, attendance per municipality, the evaluation and
homework, in Swedish with å, ä and ö.

The text is set in DejaVu Sans, the TTF fonts matplotlib ships (found through its font manager,
never a path relative to the working directory), embedded so every reader shows the same.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from fpdf import FPDF
from fpdf.fonts import FontFace

from bot.core.i18n import current_zone, t
from bot.features.report.chart import participants_png
from bot.features.report.rules import ProjectReport
from bot.features.report.text import evaluation_lines, key_figures, municipality_sentence, participants_sentence

FAMILY = "DejaVu"
BODY_SIZE, SMALL_SIZE, HEADING_SIZE, TITLE_SIZE = 10, 8, 13, 17
HEADER_FILL = (222, 235, 247)
MARGIN_MM = 18
DATE_FORMAT = "%Y-%m-%d"


@cache
def font_files() -> tuple[str, str]:
    """(regular, bold) DejaVu Sans from matplotlib's own font directory."""
    from matplotlib import font_manager

    regular = font_manager.FontProperties(family="DejaVu Sans")
    bold = font_manager.FontProperties(family="DejaVu Sans", weight="bold")
    return (font_manager.findfont(regular, fallback_to_default=False),
            font_manager.findfont(bold, fallback_to_default=False))


def report_pdf(report: ProjectReport) -> bytes:
    pdf = _document(report)
    _front_page(pdf, report)
    _organisations(pdf, report)
    _evaluation(pdf, report)
    _homework(pdf, report)
    return bytes(pdf.output())


def _document(report: ProjectReport) -> FPDF:
    pdf = FPDF(format="A4")
    regular, bold = font_files()
    pdf.add_font(FAMILY, "", regular)
    pdf.add_font(FAMILY, "B", bold)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, MARGIN_MM)
    pdf.set_title(t("report.file_title", project=report.project_name))
    pdf.set_author("DalaLab, Region Dalarna")
    pdf.set_creation_date(report.generated_at)
    pdf.add_page()
    return pdf


def _front_page(pdf: FPDF, report: ProjectReport) -> None:
    pdf.set_font(FAMILY, "B", TITLE_SIZE)
    pdf.multi_cell(0, 8, t("report.title"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", HEADING_SIZE)
    pdf.multi_cell(0, 7, report.project_name, new_x="LMARGIN", new_y="NEXT")
    generated = report.generated_at.astimezone(current_zone()).strftime(DATE_FORMAT)
    _paragraph(pdf, t("report.generated", date=generated), SMALL_SIZE)
    pdf.ln(2)
    _paragraph(pdf, municipality_sentence(report))
    _paragraph(pdf, participants_sentence(report))
    pdf.ln(1)
    _table(pdf, [t("report.column.fact"), t("report.column.value")], key_figures(report), (70, 104))
    if report.held:
        pdf.ln(3)
        pdf.image(io.BytesIO(participants_png(report)), w=pdf.epw)
        _meetings(pdf, report)


def _meetings(pdf: FPDF, report: ProjectReport) -> None:
    headers = [t(f"report.column.{key}") for key in ("meeting", "date", "registered", "participants",
                                                      "attendance_known")]
    rows = [[str(m.number), m.starts_at.astimezone(current_zone()).strftime(DATE_FORMAT), str(m.registered),
             str(m.participants) if m.held else "–",
             (t("export.yes") if m.attendance_known else t("export.no")) if m.held else "–"]
            for m in report.meetings]
    _heading(pdf, t("report.sheet.meetings"))
    _table(pdf, headers, rows, (20, 36, 34, 34, 50))


def _organisations(pdf: FPDF, report: ProjectReport) -> None:
    pdf.add_page()
    _heading(pdf, t("report.attendance_by_organisation"))
    held = report.held
    headers = [t("report.column.organisation"), t("report.column.registered"),
               *(t("report.meeting_short", number=m.number) for m in held), t("report.column.people")]
    rows = [[o.name, str(o.registered), *(str(n) for n in o.per_meeting), str(o.people)]
            for o in report.organisations]
    rest = (pdf.epw - 58) / (len(headers) - 1)
    _table(pdf, headers, rows, (58, *([rest] * (len(headers) - 1))))


def _evaluation(pdf: FPDF, report: ProjectReport) -> None:
    pdf.ln(4)
    _heading(pdf, t("report.evaluation"))
    for line in evaluation_lines(report):
        _paragraph(pdf, line)
    if report.evaluation.summary:
        pdf.ln(1)
        _paragraph(pdf, report.evaluation.summary, SMALL_SIZE)


def _homework(pdf: FPDF, report: ProjectReport) -> None:
    pdf.ln(4)
    _heading(pdf, t("report.sheet.homework"))
    _paragraph(pdf, t("report.examples_received", count=report.examples_received))
    if not report.homework:
        _paragraph(pdf, t("report.no_homework"))
        return
    total = report.homework_total
    rows = [[h.title, str(h.expected), str(h.answered), _percent(h.rate_percent)] for h in report.homework]
    rows.append([t("export.total"), str(total.expected), str(total.answered), _percent(total.rate_percent)])
    headers = [t(f"report.column.{key}") for key in ("assignment", "expected", "answered", "response_rate")]
    _table(pdf, headers, rows, (80, 30, 30, 34))


def _percent(value: int | None) -> str:
    return "–" if value is None else f"{value} %"


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font(FAMILY, "B", HEADING_SIZE)
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _paragraph(pdf: FPDF, text: str, size: int = BODY_SIZE) -> None:
    pdf.set_font(FAMILY, "", size)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _table(pdf: FPDF, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
    pdf.set_font(FAMILY, "", SMALL_SIZE)
    heading_style = FontFace(family=FAMILY, emphasis="BOLD", fill_color=HEADER_FILL)
    with pdf.table(col_widths=tuple(widths), width=sum(widths), align="LEFT", headings_style=heading_style,
                   line_height=SMALL_SIZE * 0.55, first_row_as_headings=True) as table:
        for values in [list(headers), *(list(row) for row in rows)]:
            row = table.row()
            for value in values:
                row.cell(value)
