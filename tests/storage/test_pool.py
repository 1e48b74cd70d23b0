"""PostgreSQL connections are pinged before use only after sitting idle: a connection the server
dropped while idle is replaced without the caller noticing, and a busy one costs no extra round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from storage import db
from tests.conftest import postgres_url

pytestmark = pytest.mark.postgres


async def backend_pid(engine: db.AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_dropped_while_idle_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every returned connection counts as idle
    engine = db.create_engine(postgres_url())
    killer = db.create_engine(postgres_url())
    try:
        first = await backend_pid(engine)
        async with killer.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        assert await backend_pid(engine) != first  # a new connection, and no error
    finally:
        await engine.dispose()
        await killer.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(monkeypatch: pytest.MonkeyPatch) -> None:
    pings: list[object] = []
    original = AsyncAdapt_asyncpg_connection.ping
    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", lambda self: pings.append(self) or original(self))
    engine = db.create_engine(postgres_url())
    try:
        for _ in range(3):
            await backend_pid(engine)
        assert pings == []
    finally:
        await engine.dispose()
