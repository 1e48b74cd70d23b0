"""The coordinator's evaluation report as XLSX and CSV files that open well in Swedish Excel.

Only what ``bot.features.results.rules`` lets through is written: no names, no organisation beside a
free text, nothing from a meeting below the anonymity threshold. Free texts and question texts were
typed by people, so every text cell is protected against formula injection as in ``bot.features.registration.exports``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.i18n import t
from bot.features.evaluation.rules import SCALE_STEPS, Question

# The registration export's cell writers: one place decides how a text cell is made formula-safe.
from bot.features.registration.exports import _fit_columns, _write_header, _write_text, neutralise_formula
from bot.features.results.rules import MeetingResult, ProjectTrend

Cell = str | int | float | None
MEAN_FORMAT = "0.0"
SUMMARY_TABLE_ROW = 4
"""The per-meeting table starts below the title and the summary paragraph."""
SUMMARY_COLUMNS = 6
CHARACTERS_PER_LINE, POINTS_PER_LINE = 110, 15


def results_xlsx(
    project_name: str,
    results: Sequence[MeetingResult],
    trend: ProjectTrend,
    questions: Sequence[Question],
    summary_text: str,
) -> bytes:
    """Sheets "Sammanfattning", "Per fråga", "Fritext" and "Trend"."""
    workbook = Workbook()
    workbook.properties.title = t("evaluation_results.title", project=project_name)
    workbook.properties.subject = project_name
    workbook.properties.creator = "DalaLab"
    summary_sheet = workbook.active
    summary_sheet.title = t("evaluation_results.sheet.summary")
    _fill_summary(summary_sheet, project_name, results, summary_text)
    _fill_per_question(workbook.create_sheet(t("evaluation_results.sheet.per_question")), results, questions)
    _fill_free_texts(workbook.create_sheet(t("evaluation_results.sheet.free_texts")), results, questions)
    _fill_trend(workbook.create_sheet(t("evaluation_results.sheet.trend")), trend)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def results_csv(results: Sequence[MeetingResult], questions: Sequence[Question]) -> bytes:
    """One row per meeting and scale question; UTF-8 with BOM, semicolons and decimal commas:
    what Excel with Swedish settings opens without an import wizard."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(question_headers())
    for row in question_rows(results, questions):
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def question_headers() -> list[str]:
    return [
        t("evaluation_results.column.meeting"),
        t("evaluation_results.column.meeting_title"),
        t("evaluation_results.column.invited"),
        t("evaluation_results.column.answered"),
        t("evaluation_results.column.response_rate"),
        t("evaluation_results.column.question"),
        *(t(f"scale.{step}") for step in range(1, SCALE_STEPS + 1)),
        t("evaluation_results.column.n"),
        t("evaluation_results.column.mean"),
        t("evaluation_results.column.share_high"),
    ]


def question_rows(results: Sequence[MeetingResult], questions: Sequence[Question]) -> list[list[Cell]]:
    """Every meeting x scale question; the figures are empty where the results are not shown."""
    rows: list[list[Cell]] = []
    for result in results:
        meeting: list[Cell] = [result.meeting_number, result.meeting_title, result.invited, result.answered,
                               result.response_rate_percent]
        for question in (q for q in questions if q.kind == "scale"):
            summary = result.scale(question.key)
            if summary is None or not summary.shown:
                rows.append([*meeting, question.text, *([None] * (SCALE_STEPS + 3))])
                continue
            rows.append([*meeting, question.text, *summary.counts, summary.answered, summary.mean,
                         summary.share_high_percent])
    return rows


def _csv_value(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, str):
        return neutralise_formula(value)
    return value


def _fill_summary(sheet: Worksheet, project_name: str, results: Sequence[MeetingResult], summary_text: str) -> None:
    headers = [t(f"evaluation_results.column.{key}")
               for key in ("meeting", "meeting_title", "invited", "answered", "response_rate", "shown")]
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=SUMMARY_TABLE_ROW, column=column)
        _write_text(cell, header)
        cell.font = Font(bold=True)
    for index, result in enumerate(results, start=SUMMARY_TABLE_ROW + 1):
        shown = t("export.yes") if result.shown else t("evaluation_results.not_shown", threshold=result.threshold)
        _write_row(sheet, index, [result.meeting_number, result.meeting_title, result.invited, result.answered,
                                  result.response_rate_percent, shown])
    # Sized by the table: the title and paragraph below span the columns and would widen column A.
    _fit_columns(sheet)
    _write_text(sheet.cell(row=1, column=1), t("evaluation_results.title", project=project_name))
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    _write_paragraph(sheet, 2, summary_text)


def _write_paragraph(sheet: Worksheet, row: int, text: str) -> None:
    cell = sheet.cell(row=row, column=1)
    _write_text(cell, text)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=SUMMARY_COLUMNS)
    # Excel does not grow a merged row to fit wrapped text: give it room for the paragraph.
    sheet.row_dimensions[row].height = POINTS_PER_LINE * max(1, math.ceil(len(text) / CHARACTERS_PER_LINE))


def _fill_per_question(sheet: Worksheet, results: Sequence[MeetingResult], questions: Sequence[Question]) -> None:
    _write_header(sheet, question_headers())
    mean_column = len(question_headers()) - 1
    for index, row in enumerate(question_rows(results, questions), start=2):
        _write_row(sheet, index, row)
        sheet.cell(row=index, column=mean_column).number_format = MEAN_FORMAT
    sheet.auto_filter.ref = sheet.dimensions
    _fit_columns(sheet)


def _fill_free_texts(sheet: Worksheet, results: Sequence[MeetingResult], questions: Sequence[Question]) -> None:
    """Question, meeting and text only: no name, no organisation, in the results' sorted order."""
    _write_header(sheet, [t("evaluation_results.column.question"), t("evaluation_results.column.meeting"),
                          t("evaluation_results.column.text")])
    for question in (q for q in questions if q.kind == "text"):
        for result in results:
            for text in result.free_texts.get(question.key, []):
                _write_row(sheet, sheet.max_row + 1, [question.text, result.meeting_number, text])
    _fit_columns(sheet)
    for (cell,) in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _fill_trend(sheet: Worksheet, trend: ProjectTrend) -> None:
    """Share "i stor eller mycket stor utsträckning" (%) per question and meeting; empty where hidden."""
    numbers = sorted({number for question in trend.questions for number, _ in question.points})
    _write_header(sheet, [t("evaluation_results.column.question"),
                          *(t("evaluation_results.trend_meeting", number=number) for number in numbers)])
    for index, question in enumerate(trend.questions, start=2):
        shares = dict(question.points)
        _write_row(sheet, index, [question.question_text, *(shares.get(number) for number in numbers)])
    _fit_columns(sheet)


def _write_row(sheet: Worksheet, row: int, values: Sequence[Cell]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str):
            _write_text(cell, value)
        else:
            cell.value = value
