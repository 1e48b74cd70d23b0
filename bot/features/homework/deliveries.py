"""How the outbox renders homework messages (the task, its reminder, the coordinator's compilation),
and the checks at send time that make a planned one pointless (NotRelevant): the person has
answered, or is no longer registered for the meeting."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.core.actions import card_activity
from bot.features.homework.cards import compilation_card, task_card
from bot.features.homework.service import COMPILATION_KIND, NUDGE_KIND, TASK_KIND, HomeworkService, audience
from bot.outbox.addresses import person_of
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch, Renderer, payload
from storage.homework import HomeworkRepository
from storage.models import Delivery
from storage.participants import ParticipantRepository


class HomeworkDeliveries:
    def __init__(self, service: HomeworkService, homework: HomeworkRepository,
                 participants: ParticipantRepository) -> None:
        self._service = service
        self._homework = homework
        self._participants = participants

    def renderers(self) -> dict[str, Renderer]:
        return {TASK_KIND: self.task, NUDGE_KIND: self.task, COMPILATION_KIND: self.compilation}

    async def task(self, delivery: Delivery, _batch: Batch) -> Activity:
        """The task, or the reminder: the reminder only to those who have not answered."""
        task = await self._service.task(int(payload(delivery)["assignment_id"]))
        if task is None:
            raise NotRelevant("the assignment no longer exists")
        person_id = _person_id(delivery)
        if person_id not in {p.person_id for p in await audience(self._participants, task.assignment)}:
            raise NotRelevant("no longer registered for the meeting")
        previous = await self._homework.submission(task.assignment.id, person_id)
        nudge = delivery.kind == NUDGE_KIND
        if nudge and previous is not None:
            raise NotRelevant("answered already")
        return card_activity(task_card(task, previous, nudge))

    async def compilation(self, delivery: Delivery, _batch: Batch) -> Activity:
        compilation = await self._service.compilation(int(payload(delivery)["assignment_id"]))
        if compilation is None:
            raise NotRelevant("the assignment no longer exists")
        return card_activity(compilation_card(compilation, delivered=True))


def _person_id(delivery: Delivery) -> int:
    if (person_id := person_of(delivery.recipient)) is None:
        raise NotRelevant(f"{delivery.kind} goes to people, not {delivery.recipient}")
    return person_id
