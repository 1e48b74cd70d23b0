"""How the outbox renders a triad round's announcement: one person's group and question, 1:1."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.core.actions import card_activity
from bot.features.triads.cards import announcement_card
from bot.features.triads.service import DELIVERY_KIND, TriadService
from bot.outbox.addresses import person_of
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch, Renderer, payload
from storage.models import Delivery


class TriadDeliveries:
    def __init__(self, service: TriadService) -> None:
        self._service = service

    def renderers(self) -> dict[str, Renderer]:
        return {DELIVERY_KIND: self.announcement}

    async def announcement(self, delivery: Delivery, _batch: Batch) -> Activity:
        round_id = payload(delivery).get("round_id")
        person = person_of(delivery.recipient)
        if not isinstance(round_id, int) or person is None:
            raise NotRelevant("not a triad announcement to a person")
        announcement = await self._service.announcement(round_id, person)
        if announcement is None:
            raise NotRelevant("the triad round is gone or the person is no longer in it")
        return card_activity(announcement_card(announcement))
