"""The schedule card: a project's meetings in Swedish date format, with calendar buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.cards import Card, card, heading, paragraph
from bot.core.i18n import format_span, t
from bot.core.markdown import literal
from bot.core.meetings import MeetingView
from bot.features.schedule.calendar import SERIES


def schedule_card(project_name: str, meetings: Sequence[MeetingView], calendar_base: str, title_key: str,
                  series: str | None = SERIES, calendars: bool = True) -> Card:
    """``calendar_base`` is the project's calendar address without the file name; ``series`` the
    series file to offer (a registered person's own meetings, see ``bot.features.schedule.calendar.series_file``; None
    for none); ``calendars`` False offers no calendar at all (a person on the waitlist)."""
    body: list[dict[str, Any]] = [heading(t(title_key)), paragraph(literal(project_name), weight="Bolder")]
    if not meetings:
        body.append(paragraph(t("schedule.none")))
    for meeting in meetings:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "spacing": "Medium",
                "items": [
                    paragraph(_heading(meeting), weight="Bolder"),
                    paragraph(format_span(meeting.starts_at, meeting.ends_at)),
                    *([paragraph(t("meeting.place", place=literal(meeting.place)))] if meeting.place else []),
                    *([paragraph(f"[{t('meeting.online')}]({meeting.online_link})")] if meeting.online_link else []),
                    *([paragraph(literal(meeting.programme), isSubtle=True, size="Small")]
                      if meeting.programme else []),
                ],
                **({"selectAction": {
                    "type": "Action.OpenUrl",
                    "url": f"{calendar_base}/traff-{meeting.number}.ics",
                    "title": t("calendar.add_meeting", number=meeting.number),
                }} if calendars else {}),
            }
        )
    if not calendars:
        return card(body, [])
    actions = [
        {
            "type": "Action.OpenUrl",
            "title": t("calendar.add_meeting", number=m.number),
            "url": f"{calendar_base}/traff-{m.number}.ics",
        }
        for m in meetings[:4]
    ]
    if len(meetings) > 1 and series is not None:
        actions.insert(
            0, {"type": "Action.OpenUrl", "title": t("calendar.add_series"), "url": f"{calendar_base}/{series}.ics"}
        )
    return card(body, actions[:5])


def _heading(meeting: MeetingView) -> str:
    text = t("meeting.heading", number=meeting.number, title=literal(meeting.title))
    return f"{text} – {t('pe.meeting_cancelled')}" if meeting.cancelled_at is not None else text
