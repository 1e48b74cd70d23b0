"""Cards of a meeting's answers: a reminder after "Jag kommer" or "Jag kan inte" (replaced in place,
so the answer shows and the other choices stay at hand), the one-time code for a colleague, and the
colleague's welcome to the one meeting they go to."""

from __future__ import annotations

from datetime import datetime

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import format_span, format_when, t
from bot.core.meetings import MeetingView
from bot.features.registration.handover_codes import shown
from bot.features.reminders.cards import meeting_details


def coming_card(meeting: MeetingView) -> Card:
    return card([heading(t("rsvp.answered_coming", number=meeting.number)), *meeting_details(meeting),
                 paragraph(t("rsvp.thanks_coming", number=meeting.number,
                             when=format_span(meeting.starts_at, meeting.ends_at)))],
                [submit(t("rsvp.not_coming_after_all"), "rsvp", meeting_id=meeting.id, intent="not_coming")])


def away_card(meeting: MeetingView, registration_id: int | None) -> Card:
    actions = [submit(t("absence.send_colleague", number=meeting.number), "substitute_offer", meeting_id=meeting.id)]
    if registration_id is not None:
        actions.append(submit(t("absence.hand_over_place"), "transfer", registration_id=registration_id))
    actions.append(submit(t("rsvp.coming_after_all"), "rsvp", meeting_id=meeting.id, intent="coming"))
    body = [heading(t("rsvp.answered_not_coming", number=meeting.number)),
            paragraph(t("meeting.heading", number=meeting.number, title=meeting.title), isSubtle=True),
            paragraph(t("absence.no_more_messages", number=meeting.number)),
            paragraph(t("absence.choices", number=meeting.number))]
    return card(body, actions)


def code_card(meeting: MeetingView, code: str, expires_at: datetime) -> Card:
    body = [heading(t("absence.code_title", number=meeting.number)),
            paragraph(t("absence.code", code=shown(code), number=meeting.number, until=format_when(expires_at))),
            paragraph(t("absence.place_kept"), isSubtle=True)]
    return card(body, [submit(t("rsvp.coming_after_all"), "rsvp", meeting_id=meeting.id, intent="coming")])


def welcome_card(project_name: str, meeting: MeetingView, holder: str, organisation: str, calendar_url: str) -> Card:
    body = [heading(t("substitute.welcome", number=meeting.number)), paragraph(project_name, isSubtle=True),
            *meeting_details(meeting),
            paragraph(t("substitute.on_behalf", holder=holder, organisation=organisation, number=meeting.number))]
    return card(body, [{"type": "Action.OpenUrl", "title": t("calendar.add"), "url": calendar_url}])
