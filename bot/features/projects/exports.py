"""A project written back as the YAML file ``bot.features.projects.spec`` reads: operators keep their files, and a
project made with cards in Teams exports to a file that imports back unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.features.projects.spec import MeetingSpec, ProjectSpec


def project_yaml(spec: ProjectSpec, zone: ZoneInfo) -> str:
    """The file for ``spec``: local dates and quoted "HH:MM" times, optional fields only when set."""
    data: dict[str, Any] = {"slug": spec.slug, "name": spec.name}
    if spec.description:
        data["description"] = spec.description
    data["quota_per_organisation"] = spec.quota_per_organisation
    if spec.capacity is not None:
        data["capacity"] = spec.capacity
    if spec.registration_deadline is not None:
        data["registration_deadline"] = _deadline_text(spec.registration_deadline, zone)
    data["state"] = spec.state
    if spec.registration_closed:
        data["registration_closed"] = True
    if spec.contact:
        data["contact"] = spec.contact
    data["reminders"] = spec.reminders
    if spec.evaluation_questions is not None:
        data["evaluation_questions"] = [
            {"key": q.key, "text": q.text, "kind": q.kind, "required": q.required} for q in spec.evaluation_questions
        ]
    data["meetings"] = [_meeting(meeting, zone) for meeting in spec.meetings]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _meeting(meeting: MeetingSpec, zone: ZoneInfo) -> dict[str, Any]:
    start, end = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
    data: dict[str, Any] = {
        "number": meeting.number,
        "title": meeting.title,
        "date": start.date().isoformat(),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
    }
    for key in ("place", "online_link", "programme"):
        if getattr(meeting, key):
            data[key] = getattr(meeting, key)
    if meeting.cancelled:
        data["cancelled"] = True
    return data


def _deadline_text(deadline: datetime, zone: ZoneInfo) -> str:
    """Midnight local time is the end of the day before, written as that date (as people write it)."""
    local = deadline.astimezone(zone)
    if local.time() == datetime.min.time():
        return (local.date() - timedelta(days=1)).isoformat()
    return f"{local:%Y-%m-%d %H:%M}"
