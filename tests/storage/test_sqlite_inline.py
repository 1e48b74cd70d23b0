"""SQLite on the loop's thread: a busy database is waited for without blocking the loop, and given up on
after the engine's timeout."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.db import create_engine, session_factory
from storage.sqlite_inline import (
    SQLITE_BUSY,
    SQLITE_BUSY_SNAPSHOT,
    InlineDBAPI,
    WalCheckpoints,
    is_busy,
    taking_turns,
)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "inline.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    return path


@pytest.fixture
async def engine(database: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    yield engine
    await engine.dispose()


@pytest.fixture
def other_writer(database: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection holding the write lock until the test commits it."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO item (name) VALUES ('theirs')")
    yield connection
    connection.close()


async def test_every_sqlite_url_runs_on_the_inline_driver(engine: AsyncEngine) -> None:
    assert engine.dialect.driver == "inline"
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite3.Connection)


async def test_a_write_waits_for_another_writer_while_the_loop_goes_on(
    engine: AsyncEngine, other_writer: sqlite3.Connection
) -> None:
    async def write() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO item (name) VALUES ('ours')"))

    waiting = asyncio.create_task(write())
    await asyncio.sleep(0.1)  # the loop runs this test while the write waits: it is not blocked
    assert not waiting.done()
    other_writer.execute("COMMIT")
    await asyncio.wait_for(waiting, 5)
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM item ORDER BY id"))).scalars().all()
    assert names == ["theirs", "ours"]


async def test_a_write_gives_up_after_the_engines_timeout(database: Path, other_writer: sqlite3.Connection) -> None:
    engine = create_async_engine(f"sqlite+inline:///{database}", connect_args={"timeout": 0.2})
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO item (name) VALUES ('ours')"))
    finally:
        await engine.dispose()


async def test_reads_go_on_while_another_process_writes(engine: AsyncEngine, other_writer: sqlite3.Connection) -> None:
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM item"))).scalar_one() == 0


def test_busy_is_every_form_of_sqlite_busy_but_a_stale_snapshot() -> None:
    def error(code: int) -> sqlite3.OperationalError:
        made = sqlite3.OperationalError("database is locked")
        made.sqlite_errorcode = code
        return made

    assert is_busy(error(SQLITE_BUSY))
    assert is_busy(error(SQLITE_BUSY | (1 << 8)))  # SQLITE_BUSY_RECOVERY
    assert not is_busy(error(SQLITE_BUSY_SNAPSHOT))
    assert not is_busy(error(1))
    assert is_busy(sqlite3.OperationalError("database is locked"))  # raised without a code
    assert not is_busy(sqlite3.OperationalError("no such table: item"))


async def test_a_session_on_the_loops_thread_closes_without_a_task_of_its_own(engine: AsyncEngine) -> None:
    """AsyncSession closes in a task it shields from cancellation; on the loop's thread closing cannot be
    interrupted, so the session closes in place (and its connection is back in the pool at once)."""
    sessions = session_factory(engine)
    tasks_before = len(asyncio.all_tasks())
    created: list[object] = []
    loop = asyncio.get_running_loop()
    factory = loop.get_task_factory()
    loop.set_task_factory(lambda loop, coro, **kw: created.append(coro) or asyncio.Task(coro, loop=loop, **kw))
    try:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO item (name) VALUES ('x')"))
    finally:
        loop.set_task_factory(factory)
    assert created == [] and len(asyncio.all_tasks()) == tasks_before
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("background", [True, False])
async def test_background_work_lets_the_loop_in_every_few_statements(engine: AsyncEngine, background: bool) -> None:
    """Statements do not give the loop a turn; under taking_turns, every eighth does."""
    done: list[int] = []
    seen: list[int] = []

    async def pass_of_statements() -> None:
        async with engine.connect() as connection:
            for number in range(40):
                await connection.execute(text("SELECT :n"), {"n": number})
                done.append(number)

    async def turn() -> None:
        while len(done) < 40:
            seen.append(len(done))
            await asyncio.sleep(0)

    async def run() -> None:
        with taking_turns() if background else contextlib.nullcontext():
            await pass_of_statements()

    await asyncio.gather(run(), turn())
    between = [count for count in seen if 0 < count < 40]
    if background:
        assert len(between) >= 4  # every 8 statements: 8, 16, 24, 32
    else:
        assert between == []


def test_a_busy_database_outside_an_async_call_is_an_error_at_once(database: Path,
                                                                    other_writer: sqlite3.Connection) -> None:
    """Nothing to wait on without the loop (the pool closing a connection at exit): SQLite's error, not a hang."""
    connection = InlineDBAPI().connect(str(database), timeout=5)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            connection.execute("BEGIN IMMEDIATE")
    finally:
        connection.close()


async def test_the_engine_leaves_checkpoints_to_a_thread_of_their_own(engine: AsyncEngine) -> None:
    """A checkpoint (pages written into the file, an fsync) would otherwise run inside some turn's COMMIT."""
    async with engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 0
    assert any(thread.name == "sqlite-wal-checkpoints" for thread in threading.enumerate())


def test_the_checkpoint_thread_moves_the_log_into_the_file(database: Path) -> None:
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO item (name) VALUES (?)", ("x" * 1_000_000,))
    in_the_log_only = database.stat().st_size
    checkpoints = WalCheckpoints(str(database), every=0.01)
    checkpoints.start()
    checkpoints.stop()  # after a last checkpoint
    writer.close()
    assert in_the_log_only < 100_000 < 1_000_000 < database.stat().st_size
