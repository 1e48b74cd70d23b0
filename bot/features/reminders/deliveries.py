"""How the outbox renders meeting reminders (planned, or a coordinator's `påminn`) and change
notices: the card is the same for everyone, so it is rendered once a batch; each person is checked
at send time (still expected at the meeting, not told about it already today)."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.core.actions import card_activity
from bot.features.reminders.cards import reminder_card, update_card
from bot.features.reminders.daily import LocalDay
from bot.features.reminders.one_a_day import OneADay
from bot.outbox.addresses import person_of
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch, Renderer, payload
from storage.models import Delivery
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

REMINDER, UPDATE = "reminder", "meeting_update"


class ReminderDeliveries:
    def __init__(self, projects: ProjectRepository, registrations: RegistrationRepository, outbox: Outbox,
                 day: LocalDay, public_url: str) -> None:
        self._projects = projects
        self._registrations = registrations
        self._one_a_day = OneADay(outbox, day)
        self._public_url = public_url.rstrip("/")

    def renderers(self) -> dict[str, Renderer]:
        return {REMINDER: self.meeting, UPDATE: self.meeting}

    async def meeting(self, delivery: Delivery, batch: Batch) -> Activity:
        """The reminder or the change notice, to a person still expected who has not heard about
        the meeting today (a change notice goes anyway), or to a conversation."""
        planned = payload(delivery)
        meeting_id = int(planned["meeting_id"])
        offset = str(planned.get("offset", ""))
        activity = await batch.once(("reminders.card", delivery.kind, meeting_id, offset),
                                    lambda: self._meeting_card(delivery.kind, meeting_id, offset))
        person = person_of(delivery.recipient)
        if person is not None:
            if not await self._expected(meeting_id, person, batch):
                raise NotRelevant("not expected at the meeting (cannot come, or no longer registered)")
            await self._one_a_day.check(delivery, person, meeting_id, batch)
        return activity

    async def _expected(self, meeting_id: int, person_id: int, batch: Batch) -> bool:
        """Whether the person is still expected at the meeting (registered and not away, or sent in
        someone's place): read once for the whole batch (its own recipients only), or on its own
        for a send outside a prepared batch."""
        if person_id not in batch.people:
            return bool(await self._registrations.expected_at_meeting(meeting_id, [person_id]))

        async def read() -> frozenset[int]:
            return frozenset(await self._registrations.expected_at_meeting(meeting_id, batch.people))

        return person_id in await batch.once(("reminders.expected", meeting_id), read)

    async def _meeting_card(self, kind: str, meeting_id: int, offset: str) -> Activity:
        meeting = await self._projects.meeting(meeting_id)
        project = await self._projects.by_id(meeting.project_id) if meeting else None
        if meeting is None or project is None:
            raise NotRelevant("the meeting no longer exists")
        url = f"{self._public_url}/calendar/{project.calendar_token}/traff-{meeting.number}.ics"
        if kind == UPDATE:
            return card_activity(update_card(project.name, meeting, url))
        if meeting.cancelled_at is not None:
            raise NotRelevant("the meeting is cancelled")
        return card_activity(reminder_card(project.name, meeting, offset, url))
