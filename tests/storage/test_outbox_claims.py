"""The outbox's claim protocol on SQLite and PostgreSQL: claimed rows are owned but not attempted,
only the row being sent is "sending", the claim count fences out an owner whose lease ran out, a
renewed lease is never taken over, and a dead owner's rows come back (the "sending" ones marked in
doubt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox.addresses import person_address
from storage.models import Delivery
from storage.outbox import IN_DOUBT, Outbox, Outcome, PlannedDelivery

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def reminder(recipient: str) -> PlannedDelivery:
    return PlannedDelivery("reminder", "meeting:1:1d", recipient, NOW, payload={"meeting_id": 1})


@pytest.fixture
def outbox(sessions: async_sessionmaker[AsyncSession]) -> Outbox:
    return Outbox(sessions, LEASE)


async def states(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str, int, str]]:
    async with sessions() as session:
        rows = await session.execute(select(Delivery.recipient, Delivery.state, Delivery.attempts,
                                            Delivery.last_error))
        return {recipient: (state, attempts, error) for recipient, state, attempts, error in rows.tuples()}


async def test_a_claimed_batch_is_owned_and_only_the_row_being_sent_is_sending(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await outbox.plan([reminder(person_address(1)), reminder(person_address(2))])
    first, _second = await outbox.claim_due(NOW)
    assert await outbox.start_sending(first.id, first.attempts, NOW)
    assert await states(sessions) == {person_address(1): ("sending", 1, ""), person_address(2): ("claimed", 1, "")}
    assert not await outbox.start_sending(first.id, first.attempts, NOW)  # once only


async def test_a_dead_owners_claimed_rows_come_back_safe_and_its_sending_row_in_doubt(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await outbox.plan([reminder(person_address(1)), reminder(person_address(2))])
    in_flight, _waiting = await Outbox(sessions, LEASE).claim_due(NOW)
    await outbox.start_sending(in_flight.id, in_flight.attempts, NOW)
    # The owner dies here. Until its lease runs out nobody touches its rows.
    assert await outbox.claim_due(NOW + LEASE) == []
    again = await outbox.claim_due(NOW + LEASE + timedelta(seconds=1))
    assert await states(sessions) == {person_address(1): ("claimed", 2, IN_DOUBT),
                                      person_address(2): ("claimed", 2, "")}
    resent = next(d for d in again if d.recipient == person_address(1))
    assert await outbox.start_sending(resent.id, resent.attempts, NOW)
    assert await outbox.mark_sent(resent.id, "a-2", NOW, resent.attempts, note=IN_DOUBT)
    assert (await states(sessions))[person_address(1)] == ("sent", 2, IN_DOUBT)  # it may have arrived twice


async def test_an_owner_whose_lease_ran_out_can_no_longer_move_the_row(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await outbox.plan([reminder(person_address(1))])
    [old] = await Outbox(sessions, LEASE).claim_due(NOW)
    [new] = await outbox.claim_due(NOW + LEASE + timedelta(seconds=1))
    assert not await outbox.start_sending(old.id, old.attempts, NOW)
    assert not await outbox.mark_sent(old.id, "late", NOW, old.attempts)
    assert not await outbox.mark_retry(old.id, "HTTP 503", NOW, old.attempts)
    assert await outbox.start_sending(new.id, new.attempts, NOW)
    assert await outbox.mark_sent(new.id, "a-1", NOW, new.attempts)
    assert (await states(sessions))[person_address(1)] == ("sent", 2, "")


async def test_a_renewed_lease_is_never_taken_over(outbox: Outbox, sessions: async_sessionmaker[AsyncSession]) -> None:
    await outbox.plan([reminder(person_address(1)), reminder(person_address(2))])
    claimed = await Outbox(sessions, LEASE).claim_due(NOW)
    await outbox.start_sending(claimed[0].id, claimed[0].attempts, NOW)
    for seconds in (20, 40, 60):
        assert await outbox.renew([d.id for d in claimed], NOW + timedelta(seconds=seconds)) == 2
        assert await outbox.claim_due(NOW + timedelta(seconds=seconds + 29)) == []


async def test_released_rows_are_pending_again_and_the_claim_does_not_count(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await outbox.plan([reminder(person_address(1)), reminder(person_address(2))])
    first, second = await outbox.claim_due(NOW)
    await outbox.start_sending(first.id, first.attempts, NOW)
    assert await outbox.release([(first.id, first.attempts), (second.id, second.attempts)]) == 1  # not "sending"
    assert await states(sessions) == {person_address(1): ("sending", 1, ""), person_address(2): ("pending", 0, "")}
    assert [d.recipient for d in await outbox.claim_due(NOW)] == [person_address(2)]


async def test_a_wave_starts_only_the_rows_the_caller_still_owns(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await outbox.plan([reminder(person_address(n)) for n in range(1, 4)])
    first, second, third = await outbox.claim_due(NOW)
    assert await outbox.start_sending(third.id, third.attempts, NOW)  # already sending: not "claimed"
    started = await outbox.start_sending_many(
        [(first.id, first.attempts), (second.id, second.attempts + 1), (third.id, third.attempts)], NOW)
    assert started == {first.id}  # the second: a stale claim; the third: not claimed any more
    assert (await states(sessions))[person_address(1)] == ("sending", 1, "")


async def test_a_waves_outcomes_are_recorded_together_and_only_by_the_owner(
    outbox: Outbox, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await outbox.plan([reminder(person_address(n)) for n in range(1, 6)])
    rows = await outbox.claim_due(NOW)
    await outbox.start_sending_many([(row.id, row.attempts) for row in rows], NOW)
    one, two, three, four, five = rows
    await outbox.record([
        Outcome.sent(one.id, one.attempts, "act-1", NOW),
        Outcome.sent(two.id, two.attempts, "act-2", NOW, note=IN_DOUBT),
        Outcome.sent(three.id, three.attempts + 1, "act-3", NOW),  # a claim that is no longer theirs
        Outcome.retry(four.id, four.attempts, "HTTP 429: slow down", NOW + timedelta(seconds=5)),
        Outcome.failed(five.id, five.attempts, "HTTP 403: Forbidden"),
    ])
    assert await states(sessions) == {
        person_address(1): ("sent", 1, ""), person_address(2): ("sent", 1, IN_DOUBT),
        person_address(3): ("sending", 1, ""), person_address(4): ("pending", 1, "HTTP 429: slow down"),
        person_address(5): ("failed", 1, "HTTP 403: Forbidden"),
    }
    async with sessions() as session:
        activity_ids = dict((await session.execute(select(Delivery.recipient, Delivery.activity_id))).tuples().all())
    assert activity_ids[person_address(1)] == "act-1" and activity_ids[person_address(3)] is None
