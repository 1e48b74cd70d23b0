"""Which process runs the scheduler: exactly one per database, decided by a PostgreSQL advisory lock.

Every replica tries ``pg_try_advisory_lock`` on a connection of its own (outside the pool, so the
lock never travels with a pooled connection) and retries periodically. The holder checks its
connection on the same period: if it is gone, PostgreSQL has released the lock and another replica
may already have it, so the holder steps down. When a holder dies, its connection closes and the
lock is free at once; a standby takes over within one retry period. For at most that period after a
silent network loss two replicas may both run the scheduler; the outbox's claims (storage/outbox.py)
keep every delivery single even then. SQLite has one process by design: it is always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.outbox import DATABASE_ERRORS

log = logging.getLogger(__name__)

SCHEDULER_LOCK = 0x44414C41_4C414200
"""The advisory lock key ("DALALAB" in ASCII); advisory locks are per database."""

Hook = Callable[[], Awaitable[None]]


class LeaderElection:
    def __init__(self, engine: AsyncEngine, on_elected: Hook, on_deposed: Hook, retry_every: float = 10.0,
                 key: int = SCHEDULER_LOCK) -> None:
        self._always = engine.dialect.name != "postgresql"
        # NullPool: closing the connection really closes it, which is what releases the lock.
        self._engine = engine if self._always else create_async_engine(engine.url, poolclass=NullPool)
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._retry_every = retry_every
        self._key = key
        self._connection: AsyncConnection | None = None
        self._leader = False
        self._standby_told = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def is_leader(self) -> bool:
        return self._leader

    async def start(self) -> None:
        """Try at once (a lone process is the leader before start-up finishes), then keep trying."""
        await self.check()
        self._task = asyncio.create_task(self._keep_checking())

    async def stop(self) -> None:
        """Step down (the scheduler stops gracefully) and release the lock for a standby."""
        # The flag ends the loop even when the cancellation is lost (one arriving just as a database
        # call completes can be swallowed on its way through the driver).
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._step_down()
        if not self._always:
            await self._engine.dispose()

    async def check(self) -> None:
        """One round: a leader verifies it still holds the lock, a standby tries to take it."""
        if self._leader and self._always:
            return
        if self._leader:
            if not await self._still_connected():
                log.warning("lost the database connection that holds the scheduler lock; stepping down")
                await self._step_down()
            return
        if self._always or await self._acquire():
            self._leader = True
            log.info("this process runs the scheduler")
            await self._run_hook(self._on_elected)

    async def _keep_checking(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self._retry_every)
            if not self._stopping:
                await self.check()

    async def _acquire(self) -> bool:
        try:
            async with asyncio.timeout(self._retry_every):
                connection = await self._engine.connect().start()
        except DATABASE_ERRORS as error:  # a timeout is an OSError too
            log.warning("cannot reach the database for the scheduler lock (%s)", type(error).__name__)
            return False
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            held = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}))
        except DATABASE_ERRORS:
            held = False
        if not held:
            await _close(connection)
            if not self._standby_told:
                self._standby_told = True
                log.info("standby: another process runs the scheduler")
            return False
        self._connection = connection
        self._standby_told = False
        return True

    async def _still_connected(self) -> bool:
        assert self._connection is not None
        try:
            async with asyncio.timeout(self._retry_every):
                await self._connection.execute(text("SELECT 1"))
        except DATABASE_ERRORS:
            return False
        return True

    async def _step_down(self) -> None:
        if self._leader:
            self._leader = False
            await self._run_hook(self._on_deposed)
            log.info("this process no longer runs the scheduler")
        connection, self._connection = self._connection, None
        if connection is not None:
            await _close(connection)

    async def _run_hook(self, hook: Hook) -> None:
        try:
            await hook()
        except Exception:  # noqa: BLE001 - a failing hook must not stop the election
            log.exception("scheduler start/stop failed")


async def _close(connection: AsyncConnection) -> None:
    with contextlib.suppress(*DATABASE_ERRORS):
        async with asyncio.timeout(5):
            await connection.close()
