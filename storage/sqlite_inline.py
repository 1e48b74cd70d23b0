"""SQLite for the async engine, run on the event loop's own thread (issue 18).

aiosqlite runs every call of a connection on a worker thread of its own: a statement is four hops
there and back (cursor, execute, fetchall, close), each a queue put, a future and a wake-up of the
loop, and each waiting for the GIL while the loop is busy with other turns. A write turn of six
statements paid more for the hops than SQLite took to answer (tens of microseconds from its page
cache). This dialect keeps SQLAlchemy's async API and the pysqlite dialect's SQL and types, and calls
the ``sqlite3`` module in place.

What must not happen on the loop's thread is waiting for SQLite's file lock: the busy handler sleeps
inside ``sqlite3_step``, and the holder of the lock (another turn of this process) could never run to
release it. So connections have no busy timeout; a statement that finds the database busy raises at
once, and is tried again after an ``asyncio.sleep``, which lets the holder finish, until the engine's
``timeout`` (30 s, as SQLite's own handler had) has passed. Within this process writers queue on
:class:`storage.db.Sessions`' lock, so the retry is for other processes (a second replica on the same
file, a maintenance script).

Rows are fetched whole and every statement is reset before ``execute`` returns, as aiosqlite's adapter
did: a statement left stepping would hold its read snapshot, and the WAL could not be checkpointed past it.

A statement no longer gives the loop a turn, so neither does a long run of them: a planning pass of a few
hundred statements held off every turn for ~100 ms. Background work runs under :func:`taking_turns`, which
lets the loop run what is ready every few statements.

Nor should the loop wait for the disk. SQLite checkpoints its write-ahead log from the connection whose
commit crosses 1,000 pages: up to 4 MB written into the database file and an fsync, inside some turn's
COMMIT. :class:`WalCheckpoints` does it from a thread of its own instead (sqlite3 releases the GIL while it
works), and the engine's connections leave it to that thread.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import AdaptedConnection
from sqlalchemy.engine.url import URL
from sqlalchemy.util.concurrency import await_only, in_greenlet

log = logging.getLogger(__name__)

SQLITE_BUSY = 5
SQLITE_BUSY_SNAPSHOT = 517
"""A deferred transaction that read an older snapshot cannot start writing: retrying cannot help."""
FIRST_RETRY_SECONDS = 0.001
LONGEST_RETRY_SECONDS = 0.05
DEFAULT_BUSY_SECONDS = 30.0

T = TypeVar("T")

_STRIDE: ContextVar[int] = ContextVar("sqlite_inline_stride", default=0)


@contextmanager
def taking_turns(every: int = 8) -> Iterator[None]:
    """Statements run inside (in this task and the tasks it starts) give the loop a turn every ``every``
    statements: for background work, so that a long pass does not hold off the turns for its whole length.
    A turn's own few statements run without, so a write transaction is not drawn out across loop passes."""
    token = _STRIDE.set(every)
    try:
        yield
    finally:
        _STRIDE.reset(token)


def is_busy(error: BaseException) -> bool:
    """SQLITE_BUSY in any of its forms but the one no wait can cure."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:  # an error raised without SQLite's code: by its message, as SQLite words it
        return isinstance(error, sqlite3.OperationalError) and str(error).startswith("database is locked")
    return code & 0xFF == SQLITE_BUSY and code != SQLITE_BUSY_SNAPSHOT


class InlineConnection(AdaptedConnection):
    """The DBAPI connection SQLAlchemy's pool holds: a ``sqlite3.Connection`` and a busy deadline."""

    __slots__ = ("dbapi", "_sqlite", "_busy_seconds", "statements")

    def __init__(self, dbapi: InlineDBAPI, connection: sqlite3.Connection, busy_seconds: float) -> None:
        self.dbapi = dbapi
        self._sqlite = connection
        self._connection = connection  # type: ignore[assignment]  # what driver_connection returns
        self._busy_seconds = busy_seconds
        self.statements = 0

    @property
    def isolation_level(self) -> str | None:
        return self._sqlite.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._sqlite.isolation_level = value  # type: ignore[assignment]  # SQLAlchemy sets None or a level

    def create_function(self, *args: Any, **kw: Any) -> None:
        self._sqlite.create_function(*args, **kw)

    def cursor(self, server_side: bool = False) -> InlineCursor:
        return InlineCursor(self)

    def execute(self, operation: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        cursor = self.cursor()
        cursor.execute(operation, parameters)
        return cursor

    def commit(self) -> None:
        self.when_free(self._sqlite.commit)

    def rollback(self) -> None:
        self.when_free(self._sqlite.rollback)

    def close(self) -> None:
        self._sqlite.close()

    def terminate(self) -> None:
        self._sqlite.close()

    def when_free(self, call: Callable[[], T]) -> T:
        """``call()``, tried again after a non-blocking sleep while the database is busy."""
        deadline: float | None = None
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                return call()
            except sqlite3.OperationalError as error:
                if not is_busy(error) or not in_greenlet():  # outside SQLAlchemy's async calls: no loop to wait on
                    raise
                now = time.monotonic()
                deadline = deadline if deadline is not None else now + self._busy_seconds
                if now >= deadline:
                    raise
            await_only(asyncio.sleep(delay))
            delay = min(delay * 2, LONGEST_RETRY_SECONDS)


class InlineCursor:
    """A DBAPI cursor whose rows were all fetched by ``execute`` (the statement is already reset)."""

    __slots__ = ("_owner", "description", "rowcount", "lastrowid", "arraysize", "_rows")
    server_side = False

    def __init__(self, connection: InlineConnection) -> None:
        self._owner = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: deque[Any] = deque()

    def execute(self, operation: str, parameters: Sequence[Any] | None = None) -> None:
        self._await_turn()
        self._owner.when_free(lambda: self._take(self._owner._sqlite.execute(operation, parameters or ())))

    def executemany(self, operation: str, seq_of_parameters: Sequence[Sequence[Any]]) -> None:
        self._await_turn()
        self._owner.when_free(lambda: self._take(self._owner._sqlite.executemany(operation, seq_of_parameters)))

    def _await_turn(self) -> None:
        self._owner.statements += 1
        if not in_greenlet():  # called synchronously (a pool event outside SQLAlchemy's async calls)
            return
        stride = _STRIDE.get()
        await_only(asyncio.sleep(0) if stride and self._owner.statements % stride == 0 else _done())

    def _take(self, cursor: sqlite3.Cursor) -> None:
        """What the statement returned, its rows fetched whole and the statement reset."""
        try:
            if cursor.description:
                self.description = cursor.description
                self.lastrowid = self.rowcount = -1
                self._rows = deque(cursor.fetchall())
            else:
                self.description = None
                self.lastrowid = cursor.lastrowid
                self.rowcount = cursor.rowcount
        finally:
            cursor.close()

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's async result calls this; the statement was reset already."""

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


async def _done() -> None:
    """Awaited once per statement: SQLAlchemy's ``AsyncConnection`` refuses a driver that never awaits
    (its guard against a blocking driver in async code). Blocking is this driver's point, and the
    await costs two greenlet switches, no trip through the event loop."""


class WalCheckpoints:
    """Checkpoints a SQLite file's write-ahead log every ``every`` seconds from a thread of its own, in
    PASSIVE mode (it copies what no reader still needs and waits for no one). Connections that leave
    checkpoints to it run with ``PRAGMA wal_autocheckpoint=0``."""

    def __init__(self, path: str, every: float = 1.0) -> None:
        self._path = path
        self._every = every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop, after one last checkpoint (the log is left short for the next start)."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def checkpoint(self, connection: sqlite3.Connection) -> tuple[int, int, int]:
        """(busy, frames in the log, frames checkpointed), as SQLite reports them."""
        busy, frames, done = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(done)

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        except sqlite3.Error as error:
            log.warning("no WAL checkpoints for this database: %s", error.__class__.__name__)
            return
        try:
            while not self._stopped.wait(self._every):
                self._try(connection)
            self._try(connection)
        finally:
            connection.close()

    def _try(self, connection: sqlite3.Connection) -> None:
        try:
            self.checkpoint(connection)
        except sqlite3.Error as error:  # a busy file or a passing fault: the next round tries again
            log.debug("WAL checkpoint skipped: %s", error)


class InlineDBAPI:
    """The DBAPI module SQLAlchemy sees: ``sqlite3``'s names, and a ``connect`` without a busy timeout."""

    paramstyle = "qmark"

    def __init__(self) -> None:
        for name in ("DatabaseError", "Error", "IntegrityError", "NotSupportedError", "OperationalError",
                     "ProgrammingError", "InterfaceError", "InternalError", "DataError", "Warning",
                     "sqlite_version", "sqlite_version_info", "PARSE_COLNAMES", "PARSE_DECLTYPES", "Binary"):
            setattr(self, name, getattr(sqlite3, name))

    def connect(self, *args: Any, **kw: Any) -> InlineConnection:
        busy_seconds = float(kw.pop("timeout", DEFAULT_BUSY_SECONDS))
        kw["check_same_thread"] = False  # the pool may close a connection from another thread at exit
        connection = sqlite3.connect(*args, timeout=0, **kw)  # type: ignore[call-overload]
        return InlineConnection(self, connection, busy_seconds)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """``sqlite+inline://``: the pysqlite dialect, async, on the loop's thread (see the module's docstring)."""

    driver = "inline"
    is_async = True
    supports_statement_cache = True
    supports_server_side_cursors = False

    @classmethod
    def import_dbapi(cls) -> Any:
        return InlineDBAPI()

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool if cls._is_url_file_db(url) else pool.StaticPool

    def get_driver_connection(self, connection: Any) -> Any:
        return connection._sqlite

    def do_terminate(self, dbapi_connection: Any) -> None:
        dbapi_connection.terminate()
