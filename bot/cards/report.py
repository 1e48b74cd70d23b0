"""The coordinator's project report as a card: key figures, participants per meeting as a chart
(with a fact list for clients without charts), attendance per municipality, the evaluation, and
buttons for the Excel and PDF versions."""

from __future__ import annotations

from typing import Any

from bot.cards import Card, card, heading, paragraph, submit
from bot.i18n import t
from bot.report import ProjectReport
from bot.report_text import evaluation_lines, key_figures, municipality_sentence, participants_sentence


def report_card(project_id: int, report: ProjectReport) -> Card:
    body: list[dict[str, Any]] = [
        heading(t("report.title")),
        paragraph(report.project_name, weight="Bolder"),
        paragraph(municipality_sentence(report)),
        paragraph(participants_sentence(report)),
        {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in key_figures(report)]},
    ]
    if report.held:
        body.append(participants_chart(report))
        body.append(_organisation_table(report))
    body.append(paragraph(t("report.evaluation"), weight="Bolder", spacing="Medium"))
    body += [paragraph(line, spacing="Small") for line in evaluation_lines(report)]
    if report.evaluation.summary:
        body.append(paragraph(report.evaluation.summary, isSubtle=True))
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


def _organisation_table(report: ProjectReport) -> dict[str, Any]:
    headers = [t("report.column.organisation"), t("report.column.registered"),
               *(t("report.meeting_short", number=m.number) for m in report.held)]
    rows = [[o.name, str(o.registered), *(str(n) for n in o.per_meeting)] for o in report.organisations]
    return {
        "type": "Table", "firstRowAsHeaders": True, "showGridLines": False, "spacing": "Medium",
        "columns": [{"width": 3}] + [{"width": 1}] * (len(headers) - 1),
        "rows": [_row(headers, bold=True)] + [_row(row) for row in rows],
    }


def _row(cells: list[str], bold: bool = False) -> dict[str, Any]:
    return {"type": "TableRow", "cells": [
        {"type": "TableCell", "items": [paragraph(cell, weight="Bolder" if bold else "Default", size="Small")]}
        for cell in cells]}
