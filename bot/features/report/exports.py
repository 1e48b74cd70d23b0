"""The project report as an XLSX workbook a coordinator can attach to a report: a summary sheet
with the key figures, and one sheet each for meetings, municipalities, the evaluation and homework.

Only figures: no names. Organisation and question texts are still written as text cells through
``bot.features.registration.exports``' writer, which keeps a leading "=" from becoming a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.i18n import current_zone, t
from bot.features.registration.exports import _fit_columns, _write_header, _write_text
from bot.features.report.rules import ProjectReport
from bot.features.report.text import evaluation_lines, key_figures, municipality_sentence, participants_sentence
from bot.features.results.exports import _write_row

Cell = str | int | float | None
DATE_FORMAT = "%Y-%m-%d"
PARAGRAPH_WIDTH = 90


def report_xlsx(report: ProjectReport) -> bytes:
    workbook = Workbook()
    workbook.properties.title = t("report.file_title", project=report.project_name)
    workbook.properties.subject = report.project_name
    workbook.properties.creator = "DalaLab"
    summary = workbook.active
    summary.title = t("report.sheet.summary")
    _fill_summary(summary, report)
    _fill_table(workbook.create_sheet(t("report.sheet.meetings")), *_meeting_table(report))
    _fill_table(workbook.create_sheet(t("report.sheet.organisations")), *_organisation_table(report))
    _fill_table(workbook.create_sheet(t("report.sheet.evaluation")), *_evaluation_table(report))
    _fill_table(workbook.create_sheet(t("report.sheet.homework")), *_homework_table(report))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill_summary(sheet: Worksheet, report: ProjectReport) -> None:
    _write_text(sheet.cell(row=1, column=1), t("report.file_title", project=report.project_name))
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    generated = report.generated_at.astimezone(current_zone()).strftime(DATE_FORMAT)
    _write_text(sheet.cell(row=2, column=1), t("report.generated", date=generated))
    row = 4
    for title, value in key_figures(report):
        _write_row(sheet, row, [title, value])
        sheet.cell(row=row, column=1).font = Font(bold=True)
        row += 1
    for text in (municipality_sentence(report), participants_sentence(report), *evaluation_lines(report),
                 report.evaluation.summary):
        if text:
            row += 1
            _write_text(sheet.cell(row=row, column=1), text)
            sheet.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = PARAGRAPH_WIDTH - 40


def _fill_table(sheet: Worksheet, headers: list[str], rows: Sequence[Sequence[Cell]]) -> None:
    _write_header(sheet, headers)
    for index, row in enumerate(rows, start=2):
        _write_row(sheet, index, row)
    _fit_columns(sheet)


def _meeting_table(report: ProjectReport) -> tuple[list[str], list[list[Cell]]]:
    headers = [t(f"report.column.{key}") for key in ("meeting", "title", "date", "registered", "participants",
                                                      "attendance_known", "answered", "invited", "response_rate",
                                                      "absent", "substitutes")]
    results = {r.meeting_number: r for r in report.evaluation.meetings}
    rows: list[list[Cell]] = []
    for meeting in report.meetings:
        result = results.get(meeting.number)
        known = t("export.yes") if meeting.attendance_known else t("export.no")
        rows.append([meeting.number, meeting.title, meeting.starts_at.astimezone(current_zone()).strftime(DATE_FORMAT),
                     meeting.registered, meeting.participants if meeting.held else None,
                     known if meeting.held else None, result.answered if result else None,
                     result.invited if result else None, result.response_rate_percent if result else None,
                     meeting.absent, meeting.substitutes])
    return headers, rows


def _organisation_table(report: ProjectReport) -> tuple[list[str], list[list[Cell]]]:
    headers = [t("report.column.organisation"), t("report.column.registered"),
               *(t("report.meeting_short", number=m.number) for m in report.held), t("report.column.people")]
    rows: list[list[Cell]] = [[o.name, o.registered, *o.per_meeting, o.people] for o in report.organisations]
    rows.append([t("export.total"), sum(o.registered for o in report.organisations),
                 *(m.participants for m in report.held), sum(o.people for o in report.organisations)])
    return headers, rows


def _evaluation_table(report: ProjectReport) -> tuple[list[str], list[list[Cell]]]:
    headers = [t("report.column.meeting"), t("evaluation_results.column.question"),
               t("evaluation_results.column.share_high"), t("evaluation_results.column.n")]
    rows: list[list[Cell]] = []
    for result in report.evaluation.meetings:
        for scale in result.scales:
            if scale.shown:
                rows.append([result.meeting_number, scale.question_text, scale.share_high_percent, scale.answered])
    rows += [[t("report.whole_project"), share.question, share.share_percent, share.answered]
             for share in report.evaluation.project]
    return headers, rows


def _homework_table(report: ProjectReport) -> tuple[list[str], list[list[Cell]]]:
    headers = [t(f"report.column.{key}") for key in ("assignment", "expected", "answered", "response_rate")]
    rows: list[list[Cell]] = [[h.title, h.expected, h.answered, h.rate_percent] for h in report.homework]
    total = report.homework_total
    rows.append([t("export.total"), total.expected, total.answered, total.rate_percent])
    return headers, rows
