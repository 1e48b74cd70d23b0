"""What the outbox sends shows its dates in the settings' zone (TZ_NAME), as replies in a turn do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox.addresses import person_address
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.sender import OutboxSender
from storage.outbox import Outbox, PlannedDelivery
from storage.people import PeopleRepository
from tests.bot.outbox.meeting_renderers import meeting_renderers
from tests.bot.outbox.test_dispatcher import FakeClock
from tests.storage.followup_seed import START, seed

NEW_YORK = ZoneInfo("America/New_York")


class CardMessenger:
    """Stands in for the Bot Connector: 1:1 cards are recorded; anything else fails the test."""

    def __init__(self, people: PeopleRepository) -> None:
        self.people = people
        self.cards: list[str] = []

    async def send_to_person(self, person_id: int, activity: Any, known: Any = None) -> str:
        self.cards.append(str(activity.attachments[0].content))
        return f"activity-{len(self.cards)}"


async def test_a_reminder_shows_the_meeting_in_the_settings_zone(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "z1", ["falun"])
    [person, *_] = seeded.people
    meeting = seeded.meeting_ids[0]
    clock = FakeClock(START - timedelta(hours=18))  # the afternoon before
    outbox = Outbox(sessions)
    await outbox.plan([PlannedDelivery("reminder", f"meeting:{meeting}:1d", person_address(person), clock.now, None,
                                       {"meeting_id": meeting, "offset": "1d"})])
    messenger = CardMessenger(PeopleRepository(sessions))
    sender = OutboxSender(messenger, meeting_renderers(sessions, clock, outbox=outbox))  # type: ignore[arg-type]

    report = await Dispatcher(outbox, sender, RateLimiter(clock.monotonic), clock, sleep=clock.sleep,
                              zone=NEW_YORK).run_once()

    assert report.sent == 1
    # 08.00-13.00 UTC on 3 May 2027 is 04.00-09.00 in New York (10.00-15.00 in Stockholm).
    [card] = messenger.cards
    assert "måndag 3 maj kl. 04.00–09.00" in card
