"""The coordinator's project report as a card: key figures, participants per meeting as a chart
(with a fact list for clients without charts), attendance per municipality, the evaluation, and
buttons for the Excel and PDF versions.

Each figure appears once on the card (the workbook and the PDF, read as documents, keep their own
summary sheet): the sentences say how many municipalities took part, which are missing and the
participants' range, so the fact list holds only what they do not; before any meeting is held there
are no municipality figures at all (nothing to contradict "Kommuner som saknas"); municipalities with
nothing in any column share one row; the evaluation is the summary paragraph, with a line per
meeting only when there are several."""

from __future__ import annotations

from typing import Any

from bot.core.cards import Card, card, heading, largest_that_fits, paragraph, submit
from bot.core.i18n import t
from bot.core.markdown import literal
from bot.features.report.rules import ProjectReport
from bot.features.report.text import (
    NONE,
    absence_lines,
    evaluation_lines,
    homework_value,
    meeting_evaluation_line,
    municipality_sentence,
    participants_sentence,
)


def report_card(project_id: int, report: ProjectReport) -> Card:
    """The report within Teams' message size: for a long project the attendance table shows the latest
    meetings (as many as fit) and says that the whole table is in the Excel report."""
    held = len(report.held)
    return largest_that_fits(lambda shown: _report_card(project_id, report, shown), held) if held else \
        _report_card(project_id, report, 0)


def _report_card(project_id: int, report: ProjectReport, meetings_shown: int) -> Card:
    body: list[dict[str, Any]] = [heading(t("report.title")), paragraph(literal(report.project_name),
                                                                              weight="Bolder")]
    if report.held:
        body += [paragraph(municipality_sentence(report)), paragraph(participants_sentence(report))]
    else:
        body.append(paragraph(t("report.no_meetings_held")))
    facts = [(t("report.fact.examples"), str(report.examples_received))]
    if homework_value(report) != NONE:
        facts.append((t("report.fact.homework"), homework_value(report)))
    body.append({"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]})
    if report.held:
        body.append(participants_chart(report))
        body.append(_organisation_table(report, meetings_shown))
        if meetings_shown < len(report.held):
            body.append(paragraph(t("report.table_more", count=len(report.held) - meetings_shown), isSubtle=True,
                                  size="Small"))
    body += [paragraph(line, size="Small") for line in absence_lines(report)]
    body.append(paragraph(t("report.evaluation"), weight="Bolder", spacing="Medium"))
    body += [paragraph(line, spacing="Small") for line in _evaluation(report)]
    actions = [submit(t("report.export_xlsx"), "report_export", project_id=project_id, format="xlsx"),
               submit(t("report.export_pdf"), "report_export", project_id=project_id, format="pdf")]
    return card(body, actions)


def participants_chart(report: ProjectReport) -> dict[str, Any]:
    """``Chart.VerticalBar`` of participants per held meeting, with a FactSet fallback."""
    points = [(t("report.meeting_short", number=m.number), m.participants) for m in report.held]
    return {
        "type": "Chart.VerticalBar",
        "title": t("report.chart_title"),
        "data": [{"x": label, "y": value, "color": "categoricalBlue"} for label, value in points],
        "fallback": {"type": "FactSet", "facts": [{"title": label, "value": str(value)} for label, value in points]},
    }


def _evaluation(report: ProjectReport) -> list[str]:
    """The summary (totals, shares, trends) once; per-meeting lines add something only when there
    are several meetings."""
    meetings = report.evaluation.meetings
    if not report.evaluation.summary or not meetings:
        return evaluation_lines(report)
    lines = [report.evaluation.summary]
    if len(meetings) > 1:
        lines += [meeting_evaluation_line(result) for result in meetings]
    return lines


def _organisation_table(report: ProjectReport, meetings_shown: int) -> dict[str, Any]:
    first = len(report.held) - meetings_shown  # the latest meetings are shown
    headers = [t("report.column.organisation"), t("report.column.registered"),
               *(t("report.meeting_short", number=m.number) for m in report.held[first:])]
    active = [o for o in report.organisations if o.registered or any(o.per_meeting)]
    rows = [[o.name, str(o.registered), *(str(n) for n in o.per_meeting[first:])] for o in active]
    idle = len(report.organisations) - len(active)
    if idle:  # one row for every municipality with nothing in any column, not a row of zeros each
        rows.append([t("report.idle_organisations", count=idle), "0", *("0" for _ in report.held[first:])])
    return {
        "type": "Table", "firstRowAsHeader": True, "showGridLines": False, "spacing": "Medium",
        "columns": [{"width": 3}] + [{"width": 1}] * (len(headers) - 1),
        "rows": [_row(headers, bold=True)] + [_row(row) for row in rows],
    }


def _row(cells: list[str], bold: bool = False) -> dict[str, Any]:
    return {"type": "TableRow", "cells": [
        {"type": "TableCell", "items": [paragraph(cell, weight="Bolder" if bold else "Default", size="Small")]}
        for cell in cells]}
