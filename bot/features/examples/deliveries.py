"""How the outbox renders case-example messages, and the checks at send time that make a planned
one pointless (NotRelevant): the municipality has sent an example, the person is no longer
registered, the example changed since the review."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.core.actions import card_activity
from bot.features.examples.cards import channel_post, feedback_card, request_message
from bot.features.examples.requests import NUDGE_KIND, REQUEST_KIND
from bot.features.examples.rules import ExampleStatus
from bot.features.examples.service import FEEDBACK_KIND, POST_KIND
from bot.outbox.addresses import person_of
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch, Renderer, payload
from storage.examples import ExampleRepository
from storage.models import Delivery
from storage.participants import ParticipantRepository
from storage.projects import ProjectRepository


class ExampleDeliveries:
    def __init__(self, examples: ExampleRepository, participants: ParticipantRepository,
                 projects: ProjectRepository) -> None:
        self._examples = examples
        self._participants = participants
        self._projects = projects

    def renderers(self) -> dict[str, Renderer]:
        return {REQUEST_KIND: self.request, NUDGE_KIND: self.request, FEEDBACK_KIND: self.feedback,
                POST_KIND: self.post}

    async def request(self, delivery: Delivery, _batch: Batch) -> Activity:
        """The request, or the nudge: only while the person's municipality has sent nothing."""
        request = await self._examples.request(int(payload(delivery)["request_id"]))
        if request is None:
            raise NotRelevant("the request no longer exists")
        participant = await self._participants.find(request.project_id, _person_id(delivery))
        project = await self._projects.by_id(request.project_id)
        if participant is None or project is None:
            raise NotRelevant("no longer registered in the project")
        nudge = delivery.kind == NUDGE_KIND
        if nudge and participant.organisation_id in await self._examples.organisations_answered(request.id):
            raise NotRelevant("the municipality has sent an example")
        return card_activity(request_message(request.id, project.name, request.theme, request.deadline, nudge))

    async def feedback(self, delivery: Delivery, _batch: Batch) -> Activity:
        planned = payload(delivery)
        entry = await self._examples.entry(int(planned["example_id"]))
        if entry is None or entry.example.status != planned.get("status"):
            raise NotRelevant("the example changed after the review")
        return card_activity(feedback_card(entry, entry.example.status))

    async def post(self, delivery: Delivery, _batch: Batch) -> Activity:
        entry = await self._examples.entry(int(payload(delivery)["example_id"]))
        if entry is None or entry.example.status != ExampleStatus.APPROVED:
            raise NotRelevant("the example is no longer approved")
        return card_activity(channel_post(entry))


def _person_id(delivery: Delivery) -> int:
    if (person_id := person_of(delivery.recipient)) is None:
        raise NotRelevant(f"{delivery.kind} goes to people, not {delivery.recipient}")
    return person_id
