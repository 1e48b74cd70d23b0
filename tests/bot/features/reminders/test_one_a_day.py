"""Reminders, change notices and evaluations keep to one message a day about a meeting when the
outbox sends them, on SQLite and PostgreSQL: a `påminn` or a second reminder on a day the person
already heard about the meeting is skipped, a change notice still goes, and the evaluation waits
for the next morning (without using up an attempt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.evaluation.rules import DEFAULT_QUESTIONS, questions_to_json
from bot.outbox.addresses import person_address
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.sender import OutboxSender
from storage.evaluations import EvaluationRepository
from storage.models import Delivery
from storage.outbox import Outbox, PlannedDelivery
from storage.people import PeopleRepository
from tests.bot.outbox.meeting_renderers import meeting_renderers
from tests.bot.outbox.test_dispatcher import FakeClock
from tests.storage.followup_seed import START, seed

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DAY_BEFORE = START - timedelta(days=1)  # 10.00 in Stockholm the day before the meeting


class RecordingMessenger:
    """Stands in for the Bot Connector: 1:1 sends are recorded; anything else fails the test."""

    def __init__(self, people: PeopleRepository) -> None:
        self.people = people
        self.sent: list[int] = []

    async def send_to_person(self, person_id: int, activity: Any, known: Any = None) -> str:
        self.sent.append(person_id)
        return f"activity-{len(self.sent)}"


def dispatcher(sessions: async_sessionmaker[AsyncSession], clock: FakeClock,
               messenger: RecordingMessenger) -> Dispatcher:
    outbox = Outbox(sessions)
    sender = OutboxSender(messenger, meeting_renderers(sessions, clock, outbox=outbox,  # type: ignore[arg-type]
                                                       public_url="http://bot"))
    return Dispatcher(outbox, sender, RateLimiter(clock.monotonic), clock, sleep=clock.sleep)


async def sent_earlier(sessions: async_sessionmaker[AsyncSession], kind: str, source: str, person: int,
                       payload: dict[str, Any], at: datetime) -> None:
    outbox = Outbox(sessions)
    await outbox.plan([PlannedDelivery(kind, source, person_address(person), at, None, payload)])
    async with sessions() as session:
        row_id = await session.scalar(select(Delivery.id).where(Delivery.source == source,
                                                                Delivery.recipient == person_address(person)))
    assert row_id is not None
    await outbox.mark_sent(row_id, "earlier", at)


async def states(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[str, str], tuple[str, datetime, int]]:
    async with sessions() as session:
        rows = await session.scalars(select(Delivery))
        return {(d.source, d.recipient): (d.state, d.due_at, d.attempts) for d in rows}


async def test_a_second_reminder_the_same_day_is_skipped_and_news_still_goes(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "d1", ["falun", "mora"])
    a, b = seeded.people
    meeting = seeded.meeting_ids[0]
    clock = FakeClock(DAY_BEFORE + timedelta(hours=4))
    payload = {"meeting_id": meeting, "offset": "1d"}
    await sent_earlier(sessions, "reminder", f"meeting:{meeting}:1d", a, payload, DAY_BEFORE)
    await Outbox(sessions).plan(
        [PlannedDelivery("reminder", f"meeting:{meeting}:now", person_address(p), clock.now, None,
                         {"meeting_id": meeting, "offset": "now"}) for p in (a, b)]
        + [PlannedDelivery("meeting_update", f"meeting:{meeting}:v1", person_address(a), clock.now, None,
                           {"meeting_id": meeting})])
    messenger = RecordingMessenger(PeopleRepository(sessions))

    report = await dispatcher(sessions, clock, messenger).run_once()

    assert (report.sent, report.skipped) == (2, 1)
    assert sorted(messenger.sent) == sorted([a, b])
    rows = await states(sessions)
    assert rows[(f"meeting:{meeting}:now", person_address(a))][0] == "skipped"
    assert rows[(f"meeting:{meeting}:now", person_address(b))][0] == "sent"
    assert rows[(f"meeting:{meeting}:v1", person_address(a))][0] == "sent"


async def test_two_rows_for_one_person_in_one_batch_make_one_message(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "d2", ["falun"])
    [a] = seeded.people
    meeting = seeded.meeting_ids[0]
    clock = FakeClock(DAY_BEFORE)
    await Outbox(sessions).plan([
        PlannedDelivery("reminder", f"meeting:{meeting}:{label}", person_address(a), clock.now, None,
                        {"meeting_id": meeting, "offset": label}) for label in ("1d", "now")])
    messenger = RecordingMessenger(PeopleRepository(sessions))

    report = await dispatcher(sessions, clock, messenger).run_once()

    assert (report.sent, report.skipped, messenger.sent) == (1, 1, [a])


async def test_the_evaluation_after_a_reminder_that_day_waits_for_the_next_morning(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "d3", ["falun", "mora"])
    a, b = seeded.people
    meeting = seeded.meeting_ids[0]
    morning = START - timedelta(hours=2)  # 08.00 on the meeting's day
    await sent_earlier(sessions, "reminder", f"meeting:{meeting}:now", a, {"meeting_id": meeting}, morning)
    ends = START + timedelta(hours=5)
    evaluation = await EvaluationRepository(sessions).ensure(meeting, questions_to_json(DEFAULT_QUESTIONS),
                                                             ends, ends + timedelta(days=7))
    source = f"evaluation:{evaluation.id}"
    await Outbox(sessions).plan([PlannedDelivery("evaluation", source, person_address(p), ends, None,
                                                 {"evaluation_id": evaluation.id}) for p in (a, b)])
    clock = FakeClock(ends)
    messenger = RecordingMessenger(PeopleRepository(sessions))
    run = dispatcher(sessions, clock, messenger)

    report = await run.run_once()

    assert (report.sent, report.deferred, messenger.sent) == (1, 1, [b])
    state, due, attempts = (await states(sessions))[(source, person_address(a))]
    next_morning = datetime(2027, 5, 4, 7, 0, tzinfo=UTC)  # 09.00 in Stockholm
    assert (state, due, attempts) == ("pending", next_morning, 0)
    assert await EvaluationRepository(sessions).invite_state(evaluation.id, a) is None  # not asked yet

    clock.now = next_morning
    later = await run.run_once()
    assert (later.sent, messenger.sent) == (1, [b, a])
    assert await EvaluationRepository(sessions).invite_state(evaluation.id, a) is False  # asked, not answered
