"""Engine and session factory, and applying Alembic migrations at start-up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Select, bindparam, event, exc, inspect, make_url, select
from sqlalchemy.dialects import postgresql, registry, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.recent import KeptRows
from storage.sqlite_inline import WalCheckpoints

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
registry.register("sqlite.inline", "storage.sqlite_inline", "InlineSQLiteDialect")


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys and WAL so readers never block the writer.
    ``hide_parameters``: a database error's message would otherwise carry the statement's values
    (names, e-mail addresses, answers) into the log.

    Every SQLite URL (``sqlite://``, ``sqlite+aiosqlite://``, ...) runs on :mod:`storage.sqlite_inline`:
    the ``sqlite3`` module on the event loop's thread, where aiosqlite hops to a thread per call."""
    if url.startswith("sqlite"):
        inline = make_url(url).set(drivername="sqlite+inline")
        engine = create_async_engine(inline, connect_args={"timeout": 30}, hide_parameters=True)
        checkpoints = _wal_checkpoints(engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
            # SQLAlchemy, not the driver, decides when a transaction begins (see _begin_immediate).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted and overwritten values are zeroed, not left in free space (erasure, issue 13).
            cursor.execute("PRAGMA secure_delete=ON")
            if checkpoints is not None:  # the log is checkpointed off the event loop (WalCheckpoints)
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Any) -> None:
            # A deferred transaction that reads and then writes fails at once with "database is
            # locked" when another connection wrote in between (the busy timeout does not apply to
            # that upgrade). Write transactions (session_factory(...).begin()) therefore take the
            # write lock at BEGIN and wait for it; read-only sessions stay deferred.
            immediate = connection.get_execution_options().get(WRITE_OPTION)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    engine = create_async_engine(url, pool_size=POOL_SIZE, max_overflow=10, hide_parameters=True)
    _ping_after_idle(engine, IDLE_PING_SECONDS)
    return engine


def _wal_checkpoints(engine: AsyncEngine) -> WalCheckpoints | None:
    """A file database's log checkpoints, started with the engine and stopped when it is disposed."""
    path = engine.url.database
    if not path or path == ":memory:" or "mode=memory" in str(engine.url):
        return None
    checkpoints = WalCheckpoints(path)
    checkpoints.start()
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: checkpoints.stop())
    return checkpoints


IDLE_PING_SECONDS = 10.0
POOL_SIZE = 20
"""PostgreSQL connections kept open. A connection beyond them (the pool's overflow) is closed when it
is returned, and a new one is a new server process: with 16 turns at once and 10 kept, every burst
opened and closed some, and those turns waited for the connect (issue 18: p99 52 ms against 20 ms)."""


def _ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Checks a pooled connection before use only when it has been idle a while. SQLAlchemy's
    ``pool_pre_ping`` pings on every checkout: a round trip per session, doubling the queries of a turn
    that reads its state and nothing else. A connection in steady use proves itself; one that sat idle
    (the server restarted, a proxy cut it) is pinged, and a failed ping makes the pool connect anew.
    A connection that breaks while in use still invalidates the pool (SQLAlchemy's disconnect handling)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:  # any failure means: not this connection
            raise exc.DisconnectionError("idle connection failed its ping") from error


WRITE_OPTION = "dalalab_write"


class Sessions(async_sessionmaker[AsyncSession]):
    """Sessions; ``begin()`` marks a write transaction (SQLite then takes its write lock at once).

    SQLite has one writer at a time. Left to the file lock, concurrent writers of this process poll it
    with growing sleeps (SQLite's busy handler: up to 100 ms a try), and a burst of writes gets a tail of
    seconds. So this process's SQLite writers queue on an asyncio lock instead, first come first served,
    and the file lock (with its busy timeout) only arbitrates between processes.

    On PostgreSQL a plain session (``sessions()``) runs its statements without a transaction: at READ
    COMMITTED each statement sees its own snapshot either way, and BEGIN and ROLLBACK are two round trips
    per read session that buy nothing. ``begin()`` sessions keep theirs. A write that is one statement
    (data-modifying ``WITH`` parts, which PostgreSQL runs atomically) may use a plain session: one round
    trip where a transaction takes three or more (:func:`on_postgresql` tells when it may)."""

    def __init__(self, engine: AsyncEngine) -> None:
        reader = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" \
            else engine
        inline = engine.dialect.driver == "inline"
        super().__init__(reader, expire_on_commit=False, class_=_InlineSession if inline else AsyncSession)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self.kept = KeptRows(engine.sync_engine)
        """Rows read lately (projects, meetings, evaluations), shared by the repositories made on these sessions."""
        self._write_turns = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:  # type: ignore[override]
        if self._write_turns is None:
            async with self(bind=self._writer) as session, session.begin():
                yield session
            return
        async with self._write_turns, self(bind=self._writer) as session, session.begin():
            yield session


class _InlineSession(AsyncSession):
    """A session on SQLite run on the loop's thread (storage.sqlite_inline), whose ``close()`` never waits
    on the loop, so no cancellation can land in the middle of it. AsyncSession shields its closing from
    cancellation in a task of its own: a task and two trips through the loop for every session."""

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()


async def once_more_on_conflict(write: Callable[[], Awaitable[T]]) -> T:
    """``write()``, and once more should it fail on a unique key: a concurrent write of the same row (a double
    click, a second process) inserted it first, and the second try finds it and updates it."""
    try:
        return await write()
    except IntegrityError:
        return await write()


_BY_KEY: dict[type[Any], Select[Any]] = {}


async def by_key(session: AsyncSession, model: type[T], key: int) -> T | None:
    """The row of ``model`` with primary key ``key``: ``session.get`` for a session that has not loaded it
    yet, with the statement built once per model. ``session.get`` builds and annotates a new one on every
    call, which costs a third of a one-row read on SQLite."""
    statement = _BY_KEY.get(model)
    if statement is None:
        [column] = inspect(model).primary_key  # type: ignore[union-attr]
        statement = _BY_KEY[model] = select(model).where(column == bindparam("key"))
    return await session.scalar(statement, {"key": key})  # type: ignore[no-any-return]


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return Sessions(engine)


def on_postgresql(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Whether these are :class:`Sessions` on PostgreSQL, whose plain sessions run without a transaction: a write
    that is one statement may then use one (with another session factory it would be rolled back)."""
    return isinstance(sessions, Sessions) and sessions.kw["bind"].dialect.name == "postgresql"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_migrations(url: str) -> None:
    """Synchronous entry point for scripts: migrate the database at ``url``."""

    async def _run() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(_run())


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database (PostgreSQL or SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
