"""Leader election for the scheduler: on PostgreSQL exactly one of several processes holds the advisory
lock, a standby takes over when the leader stops or loses its connection; SQLite is always leader."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.outbox.leader import LeaderElection
from storage.db import create_engine
from tests.conftest import postgres_url

RETRY = 0.2


class Replica:
    """One process's election, recording its hooks."""

    def __init__(self, engine: AsyncEngine, key: int) -> None:
        self.events: list[str] = []
        self.election = LeaderElection(engine, self._elected, self._deposed, retry_every=RETRY, key=key)

    async def _elected(self) -> None:
        self.events.append("elected")

    async def _deposed(self) -> None:
        self.events.append("deposed")


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
async def engines() -> AsyncIterator[list[AsyncEngine]]:
    created = [create_engine(postgres_url()) for _ in range(3)]
    yield created
    for engine in created:
        await engine.dispose()


@pytest.fixture
def key() -> int:
    # A key of its own: other test runs may use the same database at the same time.
    return random.randrange(1, 2**62)


async def test_sqlite_is_always_the_leader(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/l.db")
    replica = Replica(engine, 1)
    await replica.election.start()
    assert replica.election.is_leader and replica.events == ["elected"]
    await asyncio.sleep(RETRY * 2)
    await replica.election.stop()
    assert replica.events == ["elected", "deposed"]
    await engine.dispose()


@pytest.mark.postgres
async def test_exactly_one_replica_leads_and_a_standby_takes_over(engines: list[AsyncEngine], key: int) -> None:
    first, second, third = (Replica(engine, key) for engine in engines)
    for replica in (first, second, third):
        await replica.election.start()
    await asyncio.sleep(RETRY * 3)
    assert [r.election.is_leader for r in (first, second, third)] == [True, False, False]
    assert second.events == third.events == []

    await first.election.stop()
    await until(lambda: second.election.is_leader or third.election.is_leader)
    await asyncio.sleep(RETRY * 3)
    assert sum(r.election.is_leader for r in (second, third)) == 1
    assert first.events == ["elected", "deposed"]
    for replica in (second, third):
        await replica.election.stop()


@pytest.mark.postgres
async def test_a_leader_that_loses_its_connection_steps_down(engines: list[AsyncEngine], key: int) -> None:
    leader, standby, admin = Replica(engines[0], key), Replica(engines[1], key), engines[2]
    await leader.election.start()
    await standby.election.start()
    assert leader.election.is_leader and not standby.election.is_leader

    async with admin.connect() as connection:
        killed = await connection.scalar(text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND ((classid::bigint << 32) | objid::bigint) = :key"), {"key": key})
    assert killed

    await until(lambda: standby.election.is_leader)
    await until(lambda: not leader.election.is_leader)
    assert leader.events == ["elected", "deposed"] and standby.events == ["elected"]
    # The old leader stays a standby: the lock is taken.
    await asyncio.sleep(RETRY * 3)
    assert not leader.election.is_leader
    for replica in (leader, standby):
        await replica.election.stop()
