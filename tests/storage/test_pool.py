"""PostgreSQL's connection pool keeps what concurrent turns use: a burst opens no connection that the
next burst would have to open again."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import POOL_SIZE, create_engine
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
