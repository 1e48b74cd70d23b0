"""The schedule card: a project's meetings in Swedish date format, with calendar buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.cards import Card, card, heading, paragraph
from bot.i18n import format_time, format_when, t
from storage.models import Meeting


def schedule_card(project_name: str, meetings: Sequence[Meeting], calendar_base: str, title_key: str) -> Card:
    """``calendar_base`` is the project's calendar address without the file name."""
    body: list[dict[str, Any]] = [heading(t(title_key)), paragraph(project_name, weight="Bolder")]
    if not meetings:
        body.append(paragraph(t("schedule.none")))
    for meeting in meetings:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "spacing": "Medium",
                "items": [
                    paragraph(t("meeting.heading", number=meeting.number, title=meeting.title), weight="Bolder"),
                    paragraph(t("meeting.when", when=format_when(meeting.starts_at), end=format_time(meeting.ends_at))),
                    *([paragraph(t("meeting.place", place=meeting.place))] if meeting.place else []),
                    *([paragraph(f"[{t('meeting.online')}]({meeting.online_link})")] if meeting.online_link else []),
                    *([paragraph(meeting.programme, isSubtle=True, size="Small")] if meeting.programme else []),
                ],
                "selectAction": {
                    "type": "Action.OpenUrl",
                    "url": f"{calendar_base}/traff-{meeting.number}.ics",
                    "title": t("calendar.add_meeting", number=meeting.number),
                },
            }
        )
    actions = [
        {
            "type": "Action.OpenUrl",
            "title": t("calendar.add_meeting", number=m.number),
            "url": f"{calendar_base}/traff-{m.number}.ics",
        }
        for m in meetings[:4]
    ]
    if len(meetings) > 1:
        actions.insert(
            0, {"type": "Action.OpenUrl", "title": t("calendar.add_series"), "url": f"{calendar_base}/serie.ics"}
        )
    return card(body, actions[:5])
