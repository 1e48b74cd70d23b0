"""The outbox sender reads what a claimed batch needs once (the meeting's registrations, the card,
the people's chats); a person who cancelled before the batch is not sent the reminder."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import create_adapter
from bot.core.quiet_hours import QuietHours
from bot.core.settings import Settings
from bot.features.reminders.planner import ReminderPlanner
from bot.outbox.addresses import conversation_address, person_address
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.retry import RetryPolicy
from bot.outbox.sender import OutboxSender
from bot.teams.connector import close_adapter
from bot.teams.proactive import Messenger
from storage.models import Delivery
from storage.outbox import Outbox
from storage.people import PeopleRepository
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from tests.bot.outbox.meeting_renderers import meeting_renderers
from tests.bot.outbox.test_dispatcher import FakeClock
from tests.bot.outbox.test_fanout_fake_connector import (  # noqa: F401 - fixtures
    PEOPLE,
    REMINDER_DUE,
    STOCKHOLM,
    FakeConnector,
    clock,
    connector,
    make_project,
    meet_people,
    register,
)


class CountingRegistrations(RegistrationRepository):
    reads = 0

    async def expected_at_meeting(self, meeting_id: int, among: Collection[int] | None = None) -> list[int]:
        self.reads += 1
        return await super().expected_at_meeting(meeting_id, among)


class CountingOutbox(Outbox):
    day_reads = 0

    async def sent_about(self, recipients: Collection[str], sources: Sequence[str], prefixes: Sequence[str],
                         since: datetime) -> dict[str, list[datetime]]:
        self.day_reads += 1
        return await super().sent_about(recipients, sources, prefixes, since)


class CountingSender(OutboxSender):
    batches = 0

    async def prepare(self, deliveries: Sequence[Delivery]) -> None:
        self.batches += 1
        await super().prepare(deliveries)


async def test_a_batch_reads_registrations_and_chats_once_and_skips_who_cancelled(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, connector: tuple[FakeConnector, str]  # noqa: F811
) -> None:
    fake, service_url = connector
    people = PeopleRepository(sessions)
    projects = ProjectRepository(sessions)
    registrations = CountingRegistrations(sessions)
    outbox = CountingOutbox(sessions)
    person_ids = await meet_people(people, service_url)
    project_id, _meeting_id = await make_project(sessions)
    await register(registrations, project_id, person_ids)
    assert (await ReminderPlanner(projects, registrations, outbox, clock, STOCKHOLM, QuietHours()).plan_all()).planned
    cancelled = await registrations.find(project_id, person_ids[1])
    assert cancelled is not None
    await registrations.cancel(cancelled.id, person_ids[1], clock())
    registrations.reads = 0

    adapter = create_adapter(Settings())
    sender = CountingSender(Messenger(adapter, people, ""),
                            meeting_renderers(sessions, clock, registrations=registrations, outbox=outbox))
    dispatcher = Dispatcher(outbox, sender, RateLimiter(clock.monotonic), clock, sleep=clock.sleep,
                            policy=RetryPolicy(max_attempts=25))
    clock.now = REMINDER_DUE
    sent = skipped = 0
    for _ in range(50):  # the fake connector refuses every 3rd and 5th request: retries come later
        report = await dispatcher.run_once()
        sent, skipped = sent + report.sent, skipped + report.skipped
        next_due = await outbox.next_due_at()
        if next_due is None:
            break
        clock.now = max(clock.now, next_due)
    await close_adapter(adapter)

    async with sessions() as session:
        rows = (await session.execute(select(Delivery.recipient, Delivery.state, Delivery.last_error))).all()
    assert (sent, skipped) == (PEOPLE - 1, 1), [row for row in rows if row[1] != "sent"]
    assert registrations.reads == sender.batches  # one per claimed batch (one meeting), not one per message
    assert outbox.day_reads == sender.batches  # what was sent today: likewise
    assert len({message.conversation for message in fake.messages}) == len(fake.messages) == PEOPLE - 1


async def test_a_message_to_a_person_counts_against_their_1to1_chat(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, connector: tuple[FakeConnector, str]  # noqa: F811
) -> None:
    """The rate limiter's key for a person is the chat in-turn replies to them are counted under."""
    _fake, service_url = connector
    people = PeopleRepository(sessions)
    person_ids = await meet_people(people, service_url)
    chatted, never_chatted = person_ids[0], person_ids[-1]
    adapter = create_adapter(Settings())
    sender = OutboxSender(Messenger(adapter, people, ""))
    deliveries = [Delivery(kind="reminder", source="meeting:1:1d", recipient=person_address(pid))
                  for pid in (chatted, never_chatted)]
    deliveries.append(Delivery(kind="message", source="broadcast:1", recipient=conversation_address("19:team@thread")))
    await sender.prepare(deliveries)
    await close_adapter(adapter)
    assert [sender.window_key(d) for d in deliveries] == ["a:personal-0", person_address(never_chatted),
                                                          "19:team@thread"]
