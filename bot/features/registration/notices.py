"""What registration tells people outside their own turn: a place from the waitlist, a place handed to
a colleague; and the calendar file of the meetings a registration chose. Used by the registration,
coordinator and project-editor actions alike."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import MessageFactory

from bot.core.actions import card_activity
from bot.core.i18n import t
from bot.core.markdown import literal
from bot.features.registration.cards import MeetingLine, confirmation
from bot.features.registration.rules import Status
from bot.features.registration.service import chosen_meetings
from bot.features.schedule.calendar import series_file
from bot.teams.proactive import Messenger
from storage.models import Meeting, Project, Registration

log = logging.getLogger(__name__)


class RegistrationNotices:
    def __init__(self, messenger: Messenger, public_url: str) -> None:
        self._messenger = messenger
        self._public_url = public_url.rstrip("/")

    async def tell_promoted(self, registration: Registration, project: Project) -> None:
        lines = meeting_lines(chosen_meetings(registration, project.meetings))
        card = confirmation(project.name, Status.REGISTERED, None, True, lines,
                            self.calendar_url(project, registration))
        card["body"].insert(
            0,
            {
                "type": "TextBlock",
                "text": t("waitlist.promoted", project=literal(project.name)),
                "wrap": True,
                "weight": "Bolder",
                "color": "Good",
            },
        )
        await self.notify(registration.person_id, None, card)

    async def notify(self, person_id: int, text: str | None, card: dict[str, Any] | None = None) -> None:
        activity = card_activity(card) if card else MessageFactory.text(text or "")
        try:
            await self._messenger.send_to_person(person_id, activity)
        except Exception:  # noqa: BLE001 - the change is saved; a failed notice must not undo it
            log.exception("could not notify person %s", person_id)

    def calendar_url(self, project: Project, registration: Registration) -> str:
        """The calendar file of the meetings ``registration`` chose (not the project's whole series)."""
        numbers = (m.number for m in chosen_meetings(registration, project.meetings))
        return f"{self._public_url}/calendar/{project.calendar_token}/{series_file(numbers)}.ics"


def meeting_lines(meetings: list[Meeting]) -> list[MeetingLine]:
    return [MeetingLine(m.number, m.title, m.starts_at, m.place, m.ends_at) for m in meetings]
