"""The dispatcher when things go wrong around it (SQLite and PostgreSQL): the database goes away
right after a message went out (recorded once it is back, never sent again), a long batch keeps its
lease so no other dispatcher takes it over, stopping hands back what was not started, and a
connector timeout is retried until the message is sent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from msrest.exceptions import ClientRequestError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox.addresses import person_address
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.retry import RetryPolicy
from storage.models import Delivery
from storage.outbox import Outbox, PlannedDelivery
from tests.bot.outbox.test_dispatcher import FakeClock, ScriptedSender


def planned(n: int, due: datetime) -> PlannedDelivery:
    return PlannedDelivery("reminder", "meeting:1:1d", person_address(n), due, None, {"meeting_id": 1})


async def rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str, int]]:
    async with sessions() as session:
        found = await session.execute(select(Delivery.recipient, Delivery.state, Delivery.attempts))
        return {recipient: (state, attempts) for recipient, state, attempts in found.tuples()}


class DatabaseAwayAfterSending(Outbox):
    """The database is unreachable for the first ``failures`` attempts to record a sent message."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], failures: int) -> None:
        super().__init__(sessions)
        self.failures = failures

    async def record(self, *args: Any, **kwargs: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE delivery", {}, ConnectionRefusedError("database is down"))
        return await super().record(*args, **kwargs)


async def no_pause(_seconds: float) -> None:
    await asyncio.sleep(0)


async def test_a_sent_message_is_recorded_once_the_database_is_back_and_never_resent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = FakeClock()
    outbox = DatabaseAwayAfterSending(sessions, failures=3)
    await outbox.plan([planned(1, clock.now)])
    sender = ScriptedSender(clock, {person_address(1): ["act-1"]})  # a second send would fail the test
    dispatcher = Dispatcher(outbox, sender, RateLimiter(clock.monotonic), clock, sleep=clock.sleep, pause=no_pause)

    report = await dispatcher.run_once()

    assert report.sent == 1 and outbox.failures == 0
    assert await rows(sessions) == {person_address(1): ("sent", 1)}
    clock.now += timedelta(hours=1)
    assert (await dispatcher.run_once()).sent == 0
    sender.assert_script_used_up()


class SlowSender:
    def __init__(self, seconds: float = 0.25, on_start: Callable[[int], None] = lambda _n: None) -> None:
        self.seconds = seconds
        self.on_start = on_start
        self.sent: list[str] = []
        self.starts = 0
        self.started = asyncio.Event()

    async def send(self, delivery: Delivery) -> str:
        self.starts += 1
        self.on_start(self.starts)
        self.started.set()
        await asyncio.sleep(self.seconds)
        self.sent.append(delivery.recipient)
        return f"act-{delivery.id}"


async def test_a_long_batch_keeps_its_lease_and_is_not_taken_over(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Eight sends of 0.5 s one after the other take 4 s, longer than the 2.4 s lease: the renewals
    (every 0.8 s) keep another dispatcher from taking the rows that wait their turn."""
    lease = timedelta(seconds=2.4)
    await Outbox(sessions).plan([planned(n, datetime.now(UTC)) for n in range(8)])
    sender = SlowSender(0.5)
    dispatcher = Dispatcher(Outbox(sessions, lease), sender, RateLimiter(time.monotonic),
                            lambda: datetime.now(UTC), concurrency=1, lease_seconds=lease.total_seconds())
    other = Outbox(sessions, lease)

    running = asyncio.create_task(dispatcher.run_once())
    await sender.started.wait()
    taken_by_other = []
    while not running.done():
        taken_by_other += await other.claim_due(datetime.now(UTC))
        await asyncio.sleep(0.1)

    assert (await running).sent == 8
    assert taken_by_other == []
    assert sorted(sender.sent) == sorted(person_address(n) for n in range(8))


async def test_stop_finishes_the_send_under_way_and_hands_back_the_rest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime.now(UTC)
    await Outbox(sessions).plan([planned(n, now) for n in range(5)])
    # SIGTERM arrives while the second message is being sent.
    sender = SlowSender(on_start=lambda started: dispatcher.stop() if started == 2 else None)
    dispatcher = Dispatcher(Outbox(sessions), sender, RateLimiter(time.monotonic), lambda: now, concurrency=1)

    report = await dispatcher.run_once()

    state = await rows(sessions)
    assert report.sent == len(sender.sent) == 2  # the first, and the one in flight when stop came
    assert sorted(state.values()) == [("pending", 0)] * 3 + [("sent", 1)] * 2
    assert (await dispatcher.run_once()).sent == 0  # stopped: claims nothing
    dispatcher.resume()
    assert (await dispatcher.run_once()).sent == 3


@pytest.mark.parametrize("failure", [TimeoutError(), ClientRequestError("read timed out")])
async def test_a_connector_timeout_is_retried_until_sent(
    sessions: async_sessionmaker[AsyncSession], failure: BaseException
) -> None:
    clock = FakeClock()
    outbox = Outbox(sessions)
    await outbox.plan([planned(1, clock.now)])
    sender = ScriptedSender(clock, {person_address(1): [failure, failure, "act-1"]})
    dispatcher = Dispatcher(outbox, sender, RateLimiter(clock.monotonic), clock, RetryPolicy(), sleep=clock.sleep)

    for _ in range(5):
        await dispatcher.run_once()
        next_due = await outbox.next_due_at()
        if next_due is None:
            break
        clock.now = max(clock.now, next_due)

    assert await rows(sessions) == {person_address(1): ("sent", 3)}
    sender.assert_script_used_up()
