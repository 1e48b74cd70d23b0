"""The coordinator's homework compilation as an XLSX file: every answer in full, and who has not
answered. Answers are typed by people, so text cells are made formula-safe as in
``bot.features.registration.exports``."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.i18n import current_zone, t
from bot.features.homework.service import Compilation

# The registration export's cell writers: one place decides how a text cell is made formula-safe.
from bot.features.registration.exports import EXCEL_DATE_FORMAT, _fit_columns, _write_header, _write_text

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ANSWER_COLUMNS = ("name", "organisation", "answer", "links", "submitted_at", "updated_at")


def compilation_xlsx(compilation: Compilation) -> bytes:
    """Sheets "Svar" (one row per answer) and "Har inte svarat"."""
    task = compilation.task
    workbook = Workbook()
    workbook.properties.title = t("homework_export.title", title=task.assignment.title)
    workbook.properties.subject = task.project.name
    workbook.properties.creator = "DalaLab"
    _fill_answers(workbook.active, compilation)
    _fill_missing(workbook.create_sheet(t("homework_export.sheet.missing")), compilation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill_answers(sheet: Worksheet, compilation: Compilation) -> None:
    sheet.title = t("homework_export.sheet.answers")
    _write_header(sheet, [t(f"homework_export.column.{column}") for column in ANSWER_COLUMNS])
    for row, answered in enumerate(compilation.answers, start=2):
        person = answered.participant
        submission = answered.submission
        texts = (person.name if person else t("homework.unknown_person"), person.organisation_name if person else "",
                 submission.text, submission.links)
        for column, text in enumerate(texts, start=1):
            _write_text(sheet.cell(row=row, column=column), text)
            sheet.cell(row=row, column=column).alignment = Alignment(wrap_text=True, vertical="top")
        for column, moment in ((5, submission.submitted_at), (6, submission.updated_at)):
            cell = sheet.cell(row=row, column=column)
            # Excel has no time zones: the Stockholm wall-clock time the coordinator expects.
            cell.value = moment.astimezone(current_zone()).replace(tzinfo=None)
            cell.number_format = EXCEL_DATE_FORMAT
    sheet.auto_filter.ref = sheet.dimensions
    _fit_columns(sheet)


def _fill_missing(sheet: Worksheet, compilation: Compilation) -> None:
    _write_header(sheet, [t("homework_export.column.name"), t("homework_export.column.organisation")])
    for row, person in enumerate(compilation.missing, start=2):
        _write_text(sheet.cell(row=row, column=1), person.name)
        _write_text(sheet.cell(row=row, column=2), person.organisation_name)
    _fit_columns(sheet)
