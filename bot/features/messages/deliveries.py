"""How the outbox renders a coordinator's message to a project: only while it stays confirmed."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.core.actions import card_activity
from bot.features.messages.cards import broadcast_card
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch, Renderer, payload
from storage.broadcasts import BroadcastRepository
from storage.models import Delivery
from storage.projects import ProjectRepository

MESSAGE = "message"


class MessageDeliveries:
    def __init__(self, broadcasts: BroadcastRepository, projects: ProjectRepository) -> None:
        self._broadcasts = broadcasts
        self._projects = projects

    def renderers(self) -> dict[str, Renderer]:
        return {MESSAGE: self.message}

    async def message(self, delivery: Delivery, _batch: Batch) -> Activity:
        broadcast = await self._broadcasts.by_id(int(payload(delivery)["broadcast_id"]))
        if broadcast is None or broadcast.state != "confirmed":
            raise NotRelevant("the message was cancelled")
        project = await self._projects.by_id(broadcast.project_id)
        return card_activity(broadcast_card(project.name if project else "", broadcast.text))
