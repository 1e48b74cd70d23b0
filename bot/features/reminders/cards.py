"""Cards the outbox sends: meeting reminders with RSVP buttons, and meeting change notices."""

from __future__ import annotations

from typing import Any

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import format_span, t
from bot.core.markdown import literal
from bot.core.meetings import MeetingView


def meeting_details(meeting: MeetingView) -> list[dict[str, Any]]:
    details = [
        paragraph(t("meeting.heading", number=meeting.number, title=literal(meeting.title)), weight="Bolder"),
        paragraph(format_span(meeting.starts_at, meeting.ends_at)),
    ]
    if meeting.place:
        details.append(paragraph(t("meeting.place", place=literal(meeting.place))))
    if meeting.online_link:
        details.append(paragraph(f"[{t('meeting.online')}]({meeting.online_link})"))
    if meeting.programme:
        details.append(paragraph(literal(meeting.programme), isSubtle=True, size="Small"))
    return details


def reminder_card(project_name: str, meeting: MeetingView, offset: str, calendar_url: str) -> Card:
    title = t(f"reminder.title.{offset}" if offset in ("1d", "morning", "now") else "reminder.title.days",
              days=offset.rstrip("d"))
    body = [heading(title), paragraph(literal(project_name), isSubtle=True), *meeting_details(meeting)]
    actions = [
        submit(t("rsvp.coming"), "rsvp", meeting_id=meeting.id, intent="coming"),
        submit(t("rsvp.not_coming"), "rsvp", meeting_id=meeting.id, intent="not_coming"),
        {"type": "Action.OpenUrl", "title": t("calendar.add"), "url": calendar_url},
    ]
    return card(body, actions)


def update_card(project_name: str, meeting: MeetingView, calendar_url: str) -> Card:
    cancelled = meeting.cancelled_at is not None
    body = [heading(t("meeting.cancelled_notice" if cancelled else "meeting.changed")),
            paragraph(literal(project_name), isSubtle=True), *meeting_details(meeting),
            paragraph(t("meeting.cancelled_calendar" if cancelled else "meeting.changed_calendar"), size="Small")]
    return card(body, [{"type": "Action.OpenUrl", "title": t("calendar.update"), "url": calendar_url}])
