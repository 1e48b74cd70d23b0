"""A PostgreSQL database of its own for a test that runs the whole bot (in-process or as separate
processes), created on the test server and dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import postgres_url


@asynccontextmanager
async def fresh_database() -> AsyncIterator[URL]:
    base = make_url(postgres_url())
    name = f"dalalab_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def as_setting(url: URL) -> str:
    """The URL as DATABASE_URL expects it (with the password, if there is one)."""
    return url.render_as_string(hide_password=False)
