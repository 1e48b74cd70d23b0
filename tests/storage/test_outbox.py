"""The outbox on SQLite and PostgreSQL: planning is idempotent, claiming is atomic, and rows a
dead process left half-sent are taken up again after a while."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox.addresses import conversation_address, person_address
from storage.models import Delivery
from storage.outbox import STALE_CLAIM, Outbox, PlannedDelivery

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def reminder(recipient: str, due_at: datetime = NOW, source: str = "meeting:1:1d") -> PlannedDelivery:
    return PlannedDelivery("reminder", source, recipient, due_at, payload={"meeting_id": 1, "offset": "1d"})


@pytest.fixture
def outbox(sessions: async_sessionmaker[AsyncSession]) -> Outbox:
    return Outbox(sessions)


async def count_rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Delivery)) or 0)


async def row(sessions: async_sessionmaker[AsyncSession], recipient: str) -> Delivery:
    async with sessions() as session:
        found = await session.scalar(select(Delivery).where(Delivery.recipient == recipient))
        assert found is not None
        return found


async def test_planning_twice_inserts_once(outbox: Outbox, sessions: async_sessionmaker[AsyncSession]) -> None:
    planned = [reminder(person_address(1)), reminder(person_address(2))]
    assert await outbox.plan(planned) == 2
    assert await outbox.plan(planned) == 0
    assert await outbox.plan([reminder(person_address(1), NOW + timedelta(hours=1)), reminder(person_address(3))]) == 1
    assert await count_rows(sessions) == 3


async def test_a_plan_larger_than_a_page_counts_only_the_new_rows(
        outbox: Outbox, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Thousands of rows go in pages of multi-row VALUES, as many as a statement's parameters allow."""
    assert await outbox.plan([reminder(person_address(n)) for n in range(0, 3000, 3)]) == 1000
    assert await outbox.plan([reminder(person_address(n)) for n in range(3000)]) == 2000
    assert await count_rows(sessions) == 3000


async def test_the_same_recipient_gets_each_source_once(outbox: Outbox) -> None:
    assert await outbox.plan([reminder(person_address(1), source="meeting:1:7d"), reminder(person_address(1))]) == 2


async def test_replanning_does_not_resurrect_a_sent_row(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await outbox.plan([reminder(person_address(1))])
    [claimed] = await outbox.claim_due(NOW)
    await outbox.mark_sent(claimed.id, "act-1", NOW)
    assert await outbox.plan([reminder(person_address(1))]) == 0
    assert (await row(sessions, person_address(1))).state == "sent"


async def test_claim_due_takes_only_due_pending_rows(outbox: Outbox) -> None:
    await outbox.plan([
        reminder(conversation_address("early"), NOW - timedelta(minutes=1)),
        reminder(conversation_address("now"), NOW),
        reminder(conversation_address("later"), NOW + timedelta(seconds=1)),
    ])
    claimed = await outbox.claim_due(NOW)
    assert [d.recipient for d in claimed] == [conversation_address("early"), conversation_address("now")]
    assert {(d.state, d.attempts, d.claimed_at) for d in claimed} == {("claimed", 1, NOW)}
    assert await outbox.claim_due(NOW) == []


async def test_claim_due_respects_the_limit(outbox: Outbox) -> None:
    await outbox.plan([reminder(person_address(n)) for n in range(5)])
    assert len(await outbox.claim_due(NOW, limit=3)) == 3
    assert len(await outbox.claim_due(NOW, limit=3)) == 2


async def test_finished_rows_are_never_claimed(outbox: Outbox) -> None:
    await outbox.plan([reminder(person_address(n)) for n in range(4)])
    sent, failed, skipped, retried = await outbox.claim_due(NOW)
    await outbox.mark_sent(sent.id, "act", NOW)
    await outbox.mark_failed(failed.id, "HTTP 403: forbidden")
    await outbox.mark_skipped(skipped.id, "too late")
    await outbox.mark_retry(retried.id, "HTTP 503", NOW + timedelta(minutes=1))
    later = NOW + STALE_CLAIM * 10
    assert [d.id for d in await outbox.claim_due(later)] == [retried.id]


async def test_a_row_left_sending_by_a_dead_process_is_reclaimed_after_five_minutes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    before_crash = Outbox(sessions)
    await before_crash.plan([reminder(person_address(1))])
    [taken] = await before_crash.claim_due(NOW)
    # The process dies here: the row stays "claimed". A new process starts on the same database.
    after_restart = Outbox(sessions)
    assert await after_restart.claim_due(NOW + timedelta(minutes=4, seconds=59)) == []
    assert await after_restart.claim_due(NOW + STALE_CLAIM) == []
    [again] = await after_restart.claim_due(NOW + STALE_CLAIM + timedelta(seconds=1))
    assert again.id == taken.id
    assert again.attempts == 2
    assert again.claimed_at == NOW + STALE_CLAIM + timedelta(seconds=1)


async def test_a_reclaimed_row_is_not_claimed_twice(outbox: Outbox) -> None:
    await outbox.plan([reminder(person_address(1))])
    await outbox.claim_due(NOW)
    later = NOW + STALE_CLAIM + timedelta(seconds=1)
    assert len(await outbox.claim_due(later)) == 1
    assert await outbox.claim_due(later) == []


async def test_reschedule_moves_only_pending_rows_of_the_source(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await outbox.plan([reminder(person_address(1)), reminder(person_address(2)),
                       reminder(person_address(3), source="meeting:2:1d")])
    claimed = await outbox.claim_due(NOW, limit=1)
    assert [d.recipient for d in claimed] == [person_address(1)]
    new_due = NOW + timedelta(days=2)
    assert await outbox.reschedule("reminder", "meeting:1:1d", new_due, new_due + timedelta(days=1)) == 1
    assert (await row(sessions, person_address(2))).due_at == new_due
    assert (await row(sessions, person_address(1))).due_at == NOW
    assert (await row(sessions, person_address(3))).due_at == NOW


async def test_concurrent_claims_never_take_the_same_row(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Two dispatchers (replicas) claiming at once: FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite
    the claim must still hand each row to one of them only."""
    await Outbox(sessions).plan([reminder(person_address(n)) for n in range(60)])

    async def dispatcher() -> list[int]:
        outbox = Outbox(sessions)
        taken: list[int] = []
        for _ in range(20):
            claimed = await outbox.claim_due(NOW, limit=7)
            taken += [d.id for d in claimed]
            await asyncio.sleep(0)  # let the other dispatcher in between claims
        return taken

    first, second, third = await asyncio.gather(dispatcher(), dispatcher(), dispatcher())
    everything = first + second + third
    assert len(everything) == len(set(everything)) == 60
    assert not set(first) & set(second)
    assert not set(first) & set(third)
    assert not set(second) & set(third)
