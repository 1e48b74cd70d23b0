"""How the outbox renders case-example and homework messages, and the checks at send time that
make a planned message pointless (NotRelevant): the municipality has sent an example, the person
has answered, the person is no longer registered, the example changed since the review."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from bot.core.cards import Card
from bot.features.examples.cards import channel_post, feedback_card, request_message
from bot.features.examples.requests import NUDGE_KIND as EXAMPLE_NUDGE
from bot.features.examples.requests import REQUEST_KIND as EXAMPLE_REQUEST
from bot.features.examples.rules import ExampleStatus
from bot.features.examples.service import FEEDBACK_KIND, POST_KIND
from bot.features.homework.cards import compilation_card, task_card
from bot.features.homework.service import COMPILATION_KIND, NUDGE_KIND, TASK_KIND, HomeworkService, audience
from bot.outbox.dispatcher import NotRelevant
from storage.examples import ExampleRepository
from storage.homework import HomeworkRepository
from storage.models import Delivery
from storage.participants import ParticipantRepository
from storage.projects import ProjectRepository

CardRenderer = Callable[[Delivery], Awaitable[Card]]


def _payload_id(delivery: Delivery, key: str) -> int:
    return int(json.loads(delivery.payload or "{}")[key])


def _person_id(delivery: Delivery) -> int:
    kind, _, target = delivery.recipient.partition(":")
    if kind != "person":
        raise NotRelevant(f"{delivery.kind} goes to people, not {kind}")
    return int(target)


class ExampleDeliveries:
    def __init__(self, examples: ExampleRepository, participants: ParticipantRepository,
                 projects: ProjectRepository) -> None:
        self._examples = examples
        self._participants = participants
        self._projects = projects

    def renderers(self) -> dict[str, CardRenderer]:
        return {EXAMPLE_REQUEST: self.request, EXAMPLE_NUDGE: self.request, FEEDBACK_KIND: self.feedback,
                POST_KIND: self.post}

    async def request(self, delivery: Delivery) -> Card:
        """The request, or the nudge: only while the person's municipality has sent nothing."""
        request = await self._examples.request(_payload_id(delivery, "request_id"))
        if request is None:
            raise NotRelevant("the request no longer exists")
        participant = await self._participants.find(request.project_id, _person_id(delivery))
        project = await self._projects.by_id(request.project_id)
        if participant is None or project is None:
            raise NotRelevant("no longer registered in the project")
        nudge = delivery.kind == EXAMPLE_NUDGE
        if nudge and participant.organisation_id in await self._examples.organisations_answered(request.id):
            raise NotRelevant("the municipality has sent an example")
        return request_message(request.id, project.name, request.theme, request.deadline, nudge)

    async def feedback(self, delivery: Delivery) -> Card:
        entry = await self._examples.entry(_payload_id(delivery, "example_id"))
        status = json.loads(delivery.payload or "{}").get("status")
        if entry is None or entry.example.status != status:
            raise NotRelevant("the example changed after the review")
        return feedback_card(entry, entry.example.status)

    async def post(self, delivery: Delivery) -> Card:
        entry = await self._examples.entry(_payload_id(delivery, "example_id"))
        if entry is None or entry.example.status != ExampleStatus.APPROVED:
            raise NotRelevant("the example is no longer approved")
        return channel_post(entry)


class HomeworkDeliveries:
    def __init__(self, service: HomeworkService, homework: HomeworkRepository,
                 participants: ParticipantRepository) -> None:
        self._service = service
        self._homework = homework
        self._participants = participants

    def renderers(self) -> dict[str, CardRenderer]:
        return {TASK_KIND: self.task, NUDGE_KIND: self.task, COMPILATION_KIND: self.compilation}

    async def task(self, delivery: Delivery) -> Card:
        """The task, or the reminder: the reminder only to those who have not answered."""
        task = await self._service.task(_payload_id(delivery, "assignment_id"))
        if task is None:
            raise NotRelevant("the assignment no longer exists")
        person_id = _person_id(delivery)
        if person_id not in {p.person_id for p in await audience(self._participants, task.assignment)}:
            raise NotRelevant("no longer registered for the meeting")
        previous = await self._homework.submission(task.assignment.id, person_id)
        nudge = delivery.kind == NUDGE_KIND
        if nudge and previous is not None:
            raise NotRelevant("answered already")
        return task_card(task, previous, nudge)

    async def compilation(self, delivery: Delivery) -> Card:
        compilation = await self._service.compilation(_payload_id(delivery, "assignment_id"))
        if compilation is None:
            raise NotRelevant("the assignment no longer exists")
        return compilation_card(compilation, delivered=True)
