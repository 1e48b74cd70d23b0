"""Coordinator exports of a project's registrations, as CSV and XLSX files that open well in Swedish Excel.

The cells hold text people typed themselves, so every export neutralises spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.i18n import current_zone, t

STATUSES = ("registered", "waitlisted", "cancelled")
COLUMNS = (
    "organisation",
    "name",
    "role_title",
    "email",
    "status",
    "meetings",
    "dietary",
    "consent_list",
    "registered_at",
)
# Spreadsheets run a cell starting with these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "%Y-%m-%d %H:%M"
EXCEL_DATE_FORMAT = "yyyy-mm-dd hh:mm"
MIN_WIDTH, MAX_WIDTH = 8, 50

SummaryRow = tuple[str, int, int]
"""(organisation, registered, waitlisted) for the per-organisation sheet."""


@dataclass(frozen=True)
class RegistrationRow:
    """One registration as the coordinator sees it in an export."""

    organisation: str
    name: str
    role_title: str
    email: str
    status: str
    """registered, waitlisted or cancelled"""
    meetings: str
    """The meeting numbers, like "1, 2, 4"."""
    dietary: str
    consent_list: bool
    registered_at: datetime

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown registration status {self.status!r}")
        if self.registered_at.tzinfo is None:
            raise ValueError("registered_at must be timezone-aware")


def neutralise_formula(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would otherwise run it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def registrations_csv(rows: Iterable[RegistrationRow]) -> bytes:
    """UTF-8 with BOM and semicolons: what Excel with Swedish settings opens without an import wizard."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_headers())
    for row in rows:
        when = row.registered_at.astimezone(current_zone()).strftime(DATE_FORMAT)
        writer.writerow([neutralise_formula(text) for text in _texts(row)] + [when])
    return buffer.getvalue().encode("utf-8-sig")


def registrations_xlsx(rows: Iterable[RegistrationRow], project_name: str, summary: Sequence[SummaryRow]) -> bytes:
    """A workbook with every registration and a sheet of counts per organisation."""
    workbook = Workbook()
    workbook.properties.title = t("export.title", project=project_name)
    workbook.properties.subject = project_name
    workbook.properties.creator = "DalaLab"
    _fill_registrations(workbook.active, list(rows))
    _fill_summary(workbook.create_sheet(t("export.sheet.by_organisation")), summary)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _headers() -> list[str]:
    return [t(f"export.column.{column}") for column in COLUMNS]


def _texts(row: RegistrationRow) -> list[str]:
    """The row's text cells (all but the time) as the coordinator reads them: statuses in words."""
    return [
        row.organisation,
        row.name,
        row.role_title,
        row.email,
        t(f"export.status.{row.status}"),
        row.meetings,
        row.dietary,
        _yes_no(row.consent_list),
    ]


def _yes_no(value: bool) -> str:
    return t("export.yes") if value else t("export.no")


def _fill_registrations(sheet: Worksheet, rows: list[RegistrationRow]) -> None:
    sheet.title = t("export.sheet.registrations")
    _write_header(sheet, _headers())
    for index, row in enumerate(rows, start=2):
        for column, text in enumerate(_texts(row), start=1):
            _write_text(sheet.cell(row=index, column=column), text)
        when = sheet.cell(row=index, column=len(COLUMNS))
        # Excel has no time zones: store the Stockholm wall-clock time the coordinator expects.
        when.value = row.registered_at.astimezone(current_zone()).replace(tzinfo=None)
        when.number_format = EXCEL_DATE_FORMAT
    sheet.auto_filter.ref = sheet.dimensions
    _fit_columns(sheet)


def _fill_summary(sheet: Worksheet, summary: Sequence[SummaryRow]) -> None:
    _write_header(
        sheet,
        [t("export.column.organisation"), t("export.column.registered_count"), t("export.column.waitlisted_count")],
    )
    for organisation, registered, waitlisted in summary:
        sheet.append([None, registered, waitlisted])
        _write_text(sheet.cell(row=sheet.max_row, column=1), organisation)
    # Values rather than SUM formulas: previews and readers that do not calculate still show the totals.
    sheet.append([t("export.total"), sum(r[1] for r in summary), sum(r[2] for r in summary)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    _fit_columns(sheet)


def _write_header(sheet: Worksheet, headers: list[str]) -> None:
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column)
        _write_text(cell, header)
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _write_text(cell: Cell, text: str) -> None:
    """Always a text cell: openpyxl would store "=…" as a formula and "#N/A" as an error."""
    # Control characters are invalid in XLSX and would make openpyxl refuse the whole export.
    clean = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.value = clean
    cell.data_type = "s"
    if clean.startswith(FORMULA_PREFIXES):
        # What Excel itself does for a typed leading apostrophe: the value stays as written, and
        # editing the cell later does not turn it into a formula.
        cell.quotePrefix = True


def _fit_columns(sheet: Worksheet) -> None:
    for cells in sheet.columns:
        longest = max(_display_length(cell.value) for cell in cells)
        sheet.column_dimensions[cells[0].column_letter].width = min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)


def _display_length(value: object) -> int:
    if isinstance(value, datetime):
        return len("2027-04-02 14:05")
    return len(str(value)) if value is not None else 0
