"""Shared fixtures: databases on SQLite and, where available, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.db import create_engine, migrate, session_factory

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[AsyncEngine]:
    """A freshly migrated database: a SQLite file, or a private schema on PostgreSQL."""
    if request.param == "sqlite":
        db = create_engine(f"sqlite+aiosqlite:///{tmp_path}/test.db")
        await migrate(db)
        yield db
        await db.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(postgres_url())
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_async_engine(
        postgres_url(), connect_args={"server_settings": {"search_path": schema}}, pool_size=5
    )
    try:
        await migrate(db)
        yield db
    finally:
        await db.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def sqlite_sessions(tmp_path: object) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a freshly migrated SQLite file, for tests of what sits above storage (run once, not
    once per database)."""
    db = create_engine(f"sqlite+aiosqlite:///{tmp_path}/sqlite.db")
    await migrate(db)
    yield session_factory(db)
    await db.dispose()


# --- every Adaptive Card the suite builds, checked once at the end (tests/cards_check.py) -------------


def pytest_configure(config: pytest.Config) -> None:
    from tests.cards_check import capture_card_factory

    capture_card_factory()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a green run whose cards Teams would not take: schema 1.5 and Microsoft's renderer with
    Teams' host config (at most 6 actions). Skipped when only some tests were selected with -k or when
    the run failed already (the report would be noise)."""
    from tests.cards_check import CAPTURED, check_cards, describe

    if exitstatus != 0 or not CAPTURED or os.environ.get("DALALAB_SKIP_CARD_CHECK") == "1":
        return
    problems = check_cards(list(CAPTURED))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"cards checked: {len(CAPTURED)} distinct, {len(problems)} with problems")
        for card, found in problems[:30]:
            reporter.write_line(f"  card '{describe(card)}':")
            for problem in found[:5]:
                reporter.write_line(f"    {problem}")
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
