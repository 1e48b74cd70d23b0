"""Coordinator cards: registrations per municipality with the waitlist, exports, project settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.cards import Card, card, heading, largest_that_fits, paragraph, submit
from bot.core.i18n import count_phrase, format_deadline, format_when, t
from bot.core.markdown import literal
from storage.models import Project, Registration
from storage.registrations import ProjectOverview


def overview_card(project: Project, overview: ProjectOverview) -> Card:
    """Counts per municipality and the waitlist, as much of it as keeps the card within Teams'
    message size (the rest is in the Excel export)."""
    return largest_that_fits(lambda shown: _overview_card(project, overview, shown), len(overview.waitlist))


def _overview_card(project: Project, overview: ProjectOverview, shown: int) -> Card:
    capacity = t("overview.capacity", capacity=project.capacity) if project.capacity else ""
    deadline = (
        format_deadline(project.registration_deadline) if project.registration_deadline else t("overview.no_deadline")
    )
    body: list[dict[str, Any]] = [
        heading(t("overview.title")),
        paragraph(literal(project.name), weight="Bolder"),
        paragraph(
            t(
                "overview.summary",
                registered=count_phrase("count.registered", overview.registered_total),
                waitlisted=len(overview.waitlist),
                organisations=count_phrase("count.organisations", len([c for c in overview.counts if c.registered])),
                quota=project.quota_per_organisation,
                deadline=deadline,
            )
            + (f" {capacity}" if capacity else "")
        ),
        {
            "type": "Table",
            "firstRowAsHeader": True,
            "showGridLines": False,
            "columns": [{"width": 3}, {"width": 1}, {"width": 1}],
            "rows": [_row(t("overview.organisation"), t("overview.registered"), t("overview.waitlisted"), bold=True)]
            + [_row(literal(c.organisation), str(c.registered), str(c.waitlisted)) for c in overview.counts],
        },
    ]
    if overview.waitlist:
        body.append(paragraph(t("overview.waitlist"), weight="Bolder", spacing="Medium"))
        body += [paragraph(_waiting_line(i, r), spacing="Small")
                 for i, r in enumerate(overview.waitlist[:shown], start=1)]
        if shown < len(overview.waitlist):
            body.append(paragraph(t("overview.waitlist_more", count=len(overview.waitlist) - shown), isSubtle=True))
    actions = [
        submit(t("overview.export_xlsx"), "export", project_id=project.id, format="xlsx"),
        submit(t("overview.export_csv"), "export", project_id=project.id, format="csv"),
        submit(t("settings.open"), "project_settings_open", project_id=project.id),
    ]
    return card(body, actions)


def download_card(title: str, url: str) -> Card:
    return card([paragraph(title)], [{"type": "Action.OpenUrl", "title": t("download.open"), "url": url}])


def settings_card(project: Project, zone: ZoneInfo) -> Card:
    last_day = last_open_day(project.registration_deadline, zone)
    body = [
        heading(t("settings.title")),
        paragraph(literal(project.name), weight="Bolder"),
        {
            "type": "Input.Number",
            "id": "quota",
            "label": t("settings.quota"),
            "min": 1,
            "max": 50,
            "value": project.quota_per_organisation,
            "isRequired": True,
            "errorMessage": t("settings.quota_invalid"),
        },
        {
            "type": "Input.Number",
            "id": "capacity",
            "label": t("settings.capacity"),
            "min": 1,
            "max": 10000,
            **({"value": project.capacity} if project.capacity else {}),
        },
        {
            "type": "Input.Date",
            "id": "deadline",
            "label": t("settings.deadline"),
            "placeholder": t("input.date_placeholder"),
            **({"value": last_day.isoformat()} if last_day else {}),
        },
    ]
    return card(body, [submit(t("settings.save"), "project_settings", project_id=project.id)])


def last_open_day(deadline: datetime | None, zone: ZoneInfo) -> date | None:
    """The deadline shown as the last day registration is open: a deadline at local midnight
    belongs to the day before it."""
    if deadline is None:
        return None
    local = deadline.astimezone(zone)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return (local - timedelta(days=1)).date()
    return local.date()


def _row(*cells: str, bold: bool = False) -> dict[str, Any]:
    return {
        "type": "TableRow",
        "cells": [
            {"type": "TableCell", "items": [paragraph(cell, weight="Bolder" if bold else "Default")]} for cell in cells
        ],
    }


def _waiting_line(position: int, registration: Registration) -> str:
    organisation = registration.organisation_other or registration.organisation.name
    return t(
        "overview.waiting_line",
        position=position,
        name=literal(registration.name),
        organisation=literal(organisation),
        since=format_when(registration.queued_at),
    )


def settings_summary(project: Project) -> str:
    deadline = (
        format_deadline(project.registration_deadline) if project.registration_deadline else t("overview.no_deadline")
    )
    capacity = str(project.capacity) if project.capacity else t("settings.no_capacity")
    return t(
        "settings.saved",
        project=literal(project.name),
        quota=project.quota_per_organisation,
        capacity=capacity,
        deadline=deadline,
    )
