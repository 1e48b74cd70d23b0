"""The one-message-a-day rule (bot/features/reminders/daily.py) applied when a message about a
meeting is about to go out: reminders, change notices and evaluations all ask it, so what one of
them lets through in a batch counts for the others."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.features.reminders.daily import Defer, LocalDay, Skip, day_start, same_day_decision
from bot.outbox.addresses import person_address
from bot.outbox.dispatcher import Deferred, NotRelevant
from bot.outbox.renderers import Batch
from storage.models import Delivery
from storage.outbox import Outbox


class OneADay:
    def __init__(self, outbox: Outbox, day: LocalDay) -> None:
        """``outbox`` and ``day``: what people were sent today, and what today is."""
        self._outbox = outbox
        self._day = day

    async def check(self, delivery: Delivery, person_id: int, meeting_id: int, batch: Batch,
                    evaluation_id: int | None = None) -> None:
        """Nobody hears twice about a meeting on one day: raises NotRelevant or Deferred when this
        message would be the second. What is sent today is read once for the batch's people; what
        the batch has already chosen to send counts as sent."""
        now = self._day.clock()
        since = day_start(now, self._day.zone)
        sources = [f"evaluation:{evaluation_id}"] if evaluation_id is not None else []
        recipient = delivery.recipient

        async def read(recipients: Collection[str]) -> dict[str, list[datetime]]:
            return await self._outbox.sent_about(recipients, sources, [f"meeting:{meeting_id}:"], since)

        chosen: list[datetime] = []
        if person_id in batch.people:
            people = [person_address(p) for p in batch.people]
            sent = await batch.once(("reminders.sent_today", meeting_id, evaluation_id, since), lambda: read(people))
            chosen = batch.kept(("reminders.chosen", meeting_id, recipient), list)
        else:
            sent = await read([recipient])
        decision = same_day_decision(delivery.kind, now, [*sent.get(recipient, []), *chosen], self._day.zone,
                                     self._day.quiet)
        if isinstance(decision, Skip):
            raise NotRelevant(decision.reason)
        if isinstance(decision, Defer):
            raise Deferred("a message about the meeting went to this person today", decision.until)
        chosen.append(now)
