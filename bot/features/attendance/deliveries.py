"""How the outbox renders the check-in card of a meeting: to the project channel, while the meeting
exists."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.core.actions import card_activity
from bot.features.attendance.cards import checkin_card
from bot.features.attendance.service import KIND
from bot.outbox.addresses import person_of
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch, Renderer, payload
from storage.models import Delivery
from storage.projects import ProjectRepository


class AttendanceDeliveries:
    def __init__(self, projects: ProjectRepository) -> None:
        self._projects = projects

    def renderers(self) -> dict[str, Renderer]:
        return {KIND: self.checkin}

    async def checkin(self, delivery: Delivery, _batch: Batch) -> Activity:
        meeting = await self._projects.meeting(int(payload(delivery)["meeting_id"]))
        project = await self._projects.by_id(meeting.project_id) if meeting else None
        if meeting is None or project is None:
            raise NotRelevant("the meeting no longer exists")
        if _person(delivery) is not None:
            # Planned 1:1 before the check-in card went to the channel only (bot/features/attendance/service.py).
            raise NotRelevant("the check-in card goes to the project channel only")
        return card_activity(checkin_card(project.name, meeting))


def _person(delivery: Delivery) -> int | None:
    return person_of(delivery.recipient)
