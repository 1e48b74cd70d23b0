"""PostgreSQL's connection pool keeps what concurrent turns use: a burst opens no connection that the
next burst would have to open again. And a write that lost a race on a unique key is tried once more."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import POOL_SIZE, create_engine, once_more_on_conflict
from tests.conftest import postgres_url

CONCURRENT_TURNS = 16


async def _burst(engine: AsyncEngine, started: asyncio.Barrier) -> None:
    async def one() -> None:
        async with engine.connect() as connection:
            await started.wait()  # all of them hold a connection at once
            await connection.execute(text("SELECT 1"))

    await asyncio.gather(*(one() for _ in range(CONCURRENT_TURNS)))


async def test_bursts_of_concurrent_turns_reuse_their_connections() -> None:
    engine = create_engine(postgres_url())
    opened: list[Any] = []
    event.listen(engine.sync_engine, "connect", lambda connection, _record: opened.append(connection))
    try:
        await _burst(engine, asyncio.Barrier(CONCURRENT_TURNS))
        assert len(opened) == CONCURRENT_TURNS
        await _burst(engine, asyncio.Barrier(CONCURRENT_TURNS))
        assert len(opened) == CONCURRENT_TURNS, "the second burst had to connect again"
        assert POOL_SIZE >= CONCURRENT_TURNS
    finally:
        await engine.dispose()


async def test_a_write_that_lost_a_race_on_a_unique_key_is_tried_once_more() -> None:
    attempts: list[int] = []

    async def write(failures: int, error: Exception) -> str:
        attempts.append(1)
        if len(attempts) <= failures:
            raise error
        return "stored"

    conflict = IntegrityError("INSERT", {}, Exception("unique"))
    assert await once_more_on_conflict(lambda: write(1, conflict)) == "stored" and len(attempts) == 2
    attempts.clear()
    with pytest.raises(IntegrityError):  # a second loss is not a race any more
        await once_more_on_conflict(lambda: write(2, conflict))
    assert len(attempts) == 2
    attempts.clear()
    with pytest.raises(ValueError):  # any other failure is not tried again
        await once_more_on_conflict(lambda: write(1, ValueError("bad")))
    assert len(attempts) == 1
