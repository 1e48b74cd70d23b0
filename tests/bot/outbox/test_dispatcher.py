"""The dispatcher on SQLite and PostgreSQL with a scripted fake Sender and an injected clock whose
``sleep`` moves time forward instead of waiting: retries, final failures, skips, rate limits and
recovery after a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox.addresses import conversation_address, person_address, person_of
from bot.outbox.dispatcher import DeliveryError, Dispatcher, DispatchReport, NotRelevant
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.retry import RetryPolicy
from storage.models import Delivery
from storage.outbox import STALE_CLAIM, Outbox, PlannedDelivery

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
EPOCH = datetime(2027, 1, 1, tzinfo=UTC)

Outcome = str | BaseException


class FakeClock:
    """Wall clock and monotonic clock in one; ``sleep`` advances both and returns at once."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - EPOCH).total_seconds()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


class ScriptedSender:
    """Answers each recipient's sends from its script, in order; any send not scripted fails the test."""

    def __init__(self, clock: FakeClock, script: dict[str, list[Outcome]]) -> None:
        self._clock = clock
        self._script = {recipient: list(outcomes) for recipient, outcomes in script.items()}
        self.calls: list[tuple[str, datetime]] = []

    async def send(self, delivery: Delivery) -> str | None:
        self.calls.append((delivery.recipient, self._clock()))
        outcomes = self._script.get(delivery.recipient)
        if not outcomes:
            pytest.fail(f"unexpected send of {delivery.kind} {delivery.source} to {delivery.recipient}")
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def assert_script_used_up(self) -> None:
        assert {recipient: outcomes for recipient, outcomes in self._script.items() if outcomes} == {}

    def times(self, recipient: str) -> list[datetime]:
        return [moment for who, moment in self.calls if who == recipient]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox(sessions: async_sessionmaker[AsyncSession]) -> Outbox:
    return Outbox(sessions)


@pytest.fixture
def limiter(clock: FakeClock) -> RateLimiter:
    return RateLimiter(clock.monotonic)


def dispatcher(outbox: Outbox, sender: ScriptedSender, limiter: RateLimiter, clock: FakeClock,
               policy: RetryPolicy | None = None) -> Dispatcher:
    return Dispatcher(outbox, sender, limiter, clock, policy=policy, sleep=clock.sleep)


def planned(recipient: str, source: str = "meeting:1:1d", due_at: datetime = NOW,
            relevant_until: datetime | None = None) -> PlannedDelivery:
    return PlannedDelivery("reminder", source, recipient, due_at, None, {"meeting_id": 1}, relevant_until)


async def row(sessions: async_sessionmaker[AsyncSession], recipient: str, source: str = "meeting:1:1d") -> Delivery:
    async with sessions() as session:
        found = await session.scalar(
            select(Delivery).where(Delivery.recipient == recipient, Delivery.source == source)
        )
        assert found is not None
        return found


async def run_until_settled(runner: Dispatcher, outbox: Outbox, clock: FakeClock, rounds: int = 20) -> DispatchReport:
    """Run the dispatcher, jumping the clock to the next due row, until nothing is pending."""
    total = DispatchReport()
    for _ in range(rounds):
        report = await runner.run_once()
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        total.skipped += report.skipped
        total.errors += report.errors
        next_due = await outbox.next_due_at()
        if next_due is None:
            return total
        clock.now = max(clock.now, next_due)
    pytest.fail(f"still pending after {rounds} rounds")


async def test_429_with_retry_after_puts_the_row_back_until_then(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(1))])
    sender = ScriptedSender(clock, {person_address(1): [DeliveryError("Too Many Requests", 429, 30.0), "act-1"]})
    runner = dispatcher(outbox, sender, limiter, clock)

    report = await runner.run_once()

    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    delivery = await row(sessions, person_address(1))
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.due_at == NOW + timedelta(seconds=30)
    assert delivery.last_error == "HTTP 429: Too Many Requests"
    clock.now = delivery.due_at
    assert (await runner.run_once()).sent == 1
    assert (await row(sessions, person_address(1))).state == "sent"
    sender.assert_script_used_up()


async def test_429_throttles_every_conversation(
    outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(1))])
    sender = ScriptedSender(clock, {person_address(1): [DeliveryError("Too Many Requests", 429, 30.0)],
                                    person_address(2): ["a"]})
    runner = dispatcher(outbox, sender, limiter, clock)
    await runner.run_once()
    assert limiter.wait_time(person_address(2)) == pytest.approx(30.0)

    await outbox.plan([planned(person_address(2), source="broadcast:1")])
    await runner.run_once()

    assert sender.times(person_address(2)) == [NOW + timedelta(seconds=30)]
    assert clock.slept == [pytest.approx(30.0)]


async def test_502_503_504_are_retried_with_backoff_then_sent(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(1))])
    script: list[Outcome] = [DeliveryError("Bad Gateway", 502), DeliveryError("Unavailable", 503),
                             DeliveryError("Gateway Timeout", 504), "act-1"]
    sender = ScriptedSender(clock, {person_address(1): script})

    report = await run_until_settled(dispatcher(outbox, sender, limiter, clock), outbox, clock)

    assert (report.sent, report.retried, report.failed) == (1, 3, 0)
    delivery = await row(sessions, person_address(1))
    assert (delivery.state, delivery.attempts, delivery.activity_id, delivery.last_error) == ("sent", 4, "act-1", "")
    times = sender.times(person_address(1))
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(times, times[1:], strict=False)]
    assert 1.0 <= gaps[0] <= 2.0 and 2.0 <= gaps[1] <= 4.0 and 4.0 <= gaps[2] <= 8.0
    sender.assert_script_used_up()


async def test_lost_connection_is_retried(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(1))])
    sender = ScriptedSender(clock, {person_address(1): [DeliveryError("connection: refused"), "act-1"]})
    await run_until_settled(dispatcher(outbox, sender, limiter, clock), outbox, clock)
    assert (await row(sessions, person_address(1))).state == "sent"


async def test_403_fails_for_good_and_is_not_retried(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(1))])
    sender = ScriptedSender(clock, {person_address(1): [DeliveryError("Forbidden", 403)]})
    runner = dispatcher(outbox, sender, limiter, clock)

    report = await runner.run_once()
    clock.now += timedelta(days=1)
    later = await runner.run_once()

    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    assert later == DispatchReport()
    delivery = await row(sessions, person_address(1))
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 1, "HTTP 403: Forbidden")
    assert len(sender.calls) == 1


async def test_one_failing_recipient_does_not_stop_the_others(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(n)) for n in range(1, 6)])
    sender = ScriptedSender(clock, {
        person_address(1): ["a1"],
        person_address(2): [DeliveryError("Forbidden", 403)],
        person_address(3): [RuntimeError("a bug in rendering")],
        person_address(4): ["a4"],
        person_address(5): ["a5"],
    })

    report = await dispatcher(outbox, sender, limiter, clock).run_once()

    assert (report.sent, report.retried, report.failed) == (3, 1, 1)
    states = {n: (await row(sessions, person_address(n))).state for n in range(1, 6)}
    assert states == {1: "sent", 2: "failed", 3: "pending", 4: "sent", 5: "sent"}
    assert (await row(sessions, person_address(3))).last_error == "RuntimeError: a bug in rendering"
    sender.assert_script_used_up()


async def test_a_reminder_after_the_meeting_started_is_skipped_unsent(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([
        planned(person_address(1), due_at=NOW - timedelta(hours=3), relevant_until=NOW - timedelta(minutes=1)),
        planned(person_address(2), due_at=NOW - timedelta(hours=3), relevant_until=NOW),
    ])
    sender = ScriptedSender(clock, {})

    report = await dispatcher(outbox, sender, limiter, clock).run_once()

    assert report.skipped == 2 and sender.calls == []
    for recipient in (person_address(1), person_address(2)):
        delivery = await row(sessions, recipient)
        assert delivery.state == "skipped"
        assert "too late" in delivery.last_error


async def test_a_reminder_still_relevant_is_sent(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(1), relevant_until=NOW + timedelta(seconds=1))])
    sender = ScriptedSender(clock, {person_address(1): ["act"]})
    await dispatcher(outbox, sender, limiter, clock).run_once()
    assert (await row(sessions, person_address(1))).state == "sent"


async def test_not_relevant_is_skipped_not_retried(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(1))])
    sender = ScriptedSender(clock, {person_address(1): [NotRelevant("no longer registered for the meeting")]})

    report = await run_until_settled(dispatcher(outbox, sender, limiter, clock), outbox, clock)

    assert (report.skipped, report.retried) == (1, 0)
    delivery = await row(sessions, person_address(1))
    assert (delivery.state, delivery.last_error) == ("skipped", "no longer registered for the meeting")
    assert len(sender.calls) == 1


async def test_attempts_are_bounded_and_the_last_error_is_kept(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(1))])
    sender = ScriptedSender(clock, {person_address(1): [DeliveryError("Unavailable", 503),
                                                        DeliveryError("Unavailable", 503),
                                                        DeliveryError("Bad Gateway", 502)]})
    runner = dispatcher(outbox, sender, limiter, clock, RetryPolicy(max_attempts=3))

    report = await run_until_settled(runner, outbox, clock)

    assert (report.sent, report.retried, report.failed) == (0, 2, 1)
    delivery = await row(sessions, person_address(1))
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 502: Bad Gateway")
    assert len(sender.calls) == 3


async def test_sends_to_one_conversation_keep_to_teams_rate_limits(
    outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(conversation_address("busy"), source=f"broadcast:{n}") for n in range(10)])
    sender = ScriptedSender(clock, {conversation_address("busy"): [f"a{n}" for n in range(10)]})

    report = await dispatcher(outbox, sender, limiter, clock).run_once()

    assert report.sent == 10
    offsets = [(moment - NOW).total_seconds() for moment in sender.times(conversation_address("busy"))]
    assert offsets == [0.0] * 7 + [1.0, 2.0, 2.0]
    assert clock.slept  # the dispatcher waited (on the fake clock) rather than sending early


async def test_everything_due_is_sent_across_batches(
    outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    await outbox.plan([planned(person_address(n)) for n in range(5)])
    sender = ScriptedSender(clock, {person_address(n): ["a"] for n in range(5)})
    report = await dispatcher(outbox, sender, limiter, clock).run_once(batch=2)
    assert report.sent == 5
    sender.assert_script_used_up()


async def test_restart_mid_run_loses_nothing_and_sends_nothing_twice(
    sessions: async_sessionmaker[AsyncSession], limiter: RateLimiter, clock: FakeClock
) -> None:
    await Outbox(sessions).plan([planned(person_address(n)) for n in range(1, 4)])
    # The first process claims all three, sends one, and is killed: two rows stay "sending".
    crashed = Outbox(sessions)
    first, _, _ = await crashed.claim_due(NOW)
    await crashed.mark_sent(first.id, "before-crash", NOW)

    outbox = Outbox(sessions)
    sender = ScriptedSender(clock, {person_address(2): ["a2"], person_address(3): ["a3"]})
    restarted = dispatcher(outbox, sender, limiter, clock)
    clock.now = NOW + timedelta(minutes=1)
    assert await restarted.run_once() == DispatchReport()  # the claim may still be alive
    clock.now = NOW + STALE_CLAIM + timedelta(seconds=1)
    report = await restarted.run_once()

    assert report.sent == 2
    assert sorted(recipient for recipient, _ in sender.calls) == [person_address(2), person_address(3)]
    assert {(await row(sessions, person_address(n))).state for n in range(1, 4)} == {"sent"}
    assert (await row(sessions, person_address(1))).activity_id == "before-crash"
    assert (await row(sessions, person_address(2))).attempts == 2


class ChatKeyedSender(ScriptedSender):
    """Names the 1:1 chat a person's message goes to, as OutboxSender does."""

    def window_key(self, delivery: Delivery) -> str:
        return f"a:chat-{person_of(delivery.recipient)}"


async def test_a_reminder_waits_for_replies_already_sent_in_the_same_chat(
    outbox: Outbox, limiter: RateLimiter, clock: FakeClock
) -> None:
    """In-turn replies count against the chat they went to; a reminder to that chat counts there too."""
    for _ in range(7):
        limiter.record("a:chat-7")  # the bot just answered seven messages in person 7's 1:1 chat
    await outbox.plan([planned(person_address(8)), planned(person_address(7))])
    sender = ChatKeyedSender(clock, {person_address(7): ["a1"], person_address(8): ["a2"]})
    await run_until_settled(dispatcher(outbox, sender, limiter, clock), outbox, clock)
    assert sender.times(person_address(8)) == [NOW]  # another chat: at once
    assert sender.times(person_address(7))[0] >= NOW + timedelta(seconds=1)  # after the replies left the 1 s window
