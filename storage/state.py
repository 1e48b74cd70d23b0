"""A botbuilder ``Storage`` on SQL, backing ConversationState, UserState and dialog stacks.

Items are serialised with jsonpickle (dialog stacks hold arbitrary Python objects, as in
botbuilder's BlobStorage). Concurrency follows MemoryStorage: an e_tag that is missing,
None or "*" overwrites; any other e_tag must match the stored one or the write fails.
"""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from typing import Any

import jsonpickle
from botbuilder.core import ConversationState, Storage, TurnContext, UserState
from botbuilder.core.bot_state import CachedBotState
from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import dialect_insert
from storage.models import StateItem, utcnow


class _CachedState(CachedBotState):
    """botbuilder's per-turn copy of a state, telling changes by a pickle of it (~10 µs) rather than
    by jsonpickle's flattening (~150 µs, twice a turn). Only equality matters: a state that cannot
    be pickled is compared as botbuilder compares it.

    A state nothing was stored for starts as ``{}`` and counts as unchanged while it stays ``{}``:
    botbuilder hashes the missing item (None) instead, so every first turn of a conversation wrote an
    empty state (a write transaction per first contact) that reads back exactly as no item does."""

    def __init__(self, state: dict[str, object] | None = None) -> None:
        super().__init__(state)
        if state is None:
            self.hash = self.compute_hash(self.state)

    def compute_hash(self, obj: object) -> Any:
        try:
            return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - pickling fails for some objects: then as botbuilder does
            return super().compute_hash(obj)


class _LeanLoad:
    """``BotState.load`` with :class:`_CachedState` (the same steps; botbuilder names the class inline)."""

    _storage: Storage
    _context_service_key: str

    async def load(self, turn_context: TurnContext, force: bool = False) -> None:
        cached = self.get_cached_state(turn_context)  # type: ignore[attr-defined]
        if force or not cached or not cached.state:
            key = self.get_storage_key(turn_context)  # type: ignore[attr-defined]
            items = await self._storage.read([key])
            turn_context.turn_state[self._context_service_key] = _CachedState(items.get(key))


class LeanConversationState(_LeanLoad, ConversationState):
    """ConversationState with cheap change detection (see :class:`_CachedState`)."""


class LeanUserState(_LeanLoad, UserState):
    """UserState with cheap change detection (see :class:`_CachedState`)."""


class ETagConflict(Exception):
    """The item changed since it was read (another turn wrote it first)."""


class SqlStorage(Storage):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__()
        self._sessions = sessions
        bind = sessions.kw.get("bind")
        # Reads go straight to a pooled connection: an ORM session adds ~0.3 ms to every turn that
        # loads state, and a read needs neither its identity map nor its unit of work.
        self._engine: AsyncEngine | None = bind if isinstance(bind, AsyncEngine) else None
        self._local = SqliteLocalReader.for_engine(self._engine) if self._engine is not None else None
        self._postgres = self._engine is not None and self._engine.dialect.name == "postgresql"
        if self._engine is not None and self._postgres:
            # One SELECT needs no transaction: without BEGIN and ROLLBACK it is one round trip, not three.
            self._engine = self._engine.execution_options(isolation_level="AUTOCOMMIT")

    async def read(self, keys: Sequence[str]) -> dict[str, Any]:
        if keys is None:
            raise ValueError("Keys are required when reading")
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        local = self._local.read(wanted) if self._local is not None else None
        rows = local if local is not None else await self._read_async(wanted)
        return {key: _with_etag(jsonpickle.decode(data), e_tag) for key, e_tag, data in rows}

    async def _read_async(self, keys: list[str]) -> Sequence[tuple[str, str, str]]:
        if self._engine is not None and self._postgres:
            found = await _read_with_asyncpg(self._engine, keys)
            if found is not None:
                return found
        statement = _read_statement(keys)
        if self._engine is not None:
            async with self._engine.connect() as connection:
                return (await connection.execute(statement)).tuples().all()
        async with self._sessions() as session:
            return (await session.execute(statement)).tuples().all()

    def close(self) -> None:
        if self._local is not None:
            self._local.close()

    async def write(self, changes: Mapping[str, Any]) -> None:
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        async with self._sessions.begin() as session:
            for key, item in changes.items():
                await self._write_one(session, key, item)

    async def delete(self, keys: Iterable[str]) -> None:
        wanted = list(keys or ())
        if not wanted:
            return
        async with self._sessions.begin() as session:
            await session.execute(delete(StateItem).where(StateItem.key.in_(wanted)))

    async def _write_one(self, session: AsyncSession, key: str, item: Any) -> None:
        expected = _etag_of(item)
        if expected == "":
            raise ETagConflict(f"empty e_tag for {key!r}: read the item before writing it")
        data = jsonpickle.encode(_without_etag(item))
        new_etag = uuid.uuid4().hex
        if expected not in (None, "*"):
            result = await session.execute(
                update(StateItem)
                .where(StateItem.key == key, StateItem.e_tag == expected)
                .values(e_tag=new_etag, data=data, updated_at=utcnow())
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return
            exists = await session.scalar(select(StateItem.key).where(StateItem.key == key))
            if exists is not None:
                raise ETagConflict(f"e_tag conflict for {key!r}")
        await _upsert(session, key, new_etag, data)


class SqliteLocalReader:
    """State reads from a SQLite file straight through ``sqlite3``, on a connection of their own.

    Every turn reads its state: through SQLAlchemy (a pooled connection, BEGIN, SELECT, ROLLBACK) that
    is ~0.2 ms of CPU for a primary-key lookup SQLite answers in ~20 µs from its page cache. In WAL mode
    a reader never waits for a writer, so the lookup runs autocommit (the SELECT is its own snapshot;
    query_only) and without a busy timeout: should SQLite still say "busy" (WAL recovery after a crash),
    or fail in any way, ``read`` returns None at once and the caller takes the engine's path, which
    waits without holding up the event loop (storage/sqlite_inline.py)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._sql = f'SELECT "key", e_tag, data FROM {StateItem.__tablename__} WHERE "key" IN (%s)'  # noqa: S608

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> SqliteLocalReader | None:
        url = engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or "mode=memory" in str(url):
            return None
        return cls(url.database)

    def read(self, keys: list[str]) -> list[tuple[str, str, str]] | None:
        try:
            connection = self._connect()
            return connection.execute(self._sql % ",".join("?" * len(keys)), keys).fetchall()
        except sqlite3.Error:
            self.close()
            return None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, timeout=0, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA query_only=1")
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


_ASYNCPG_READ = f'SELECT "key", e_tag, data FROM {StateItem.__tablename__} WHERE "key" = ANY($1::text[])'  # noqa: S608


async def _read_with_asyncpg(engine: AsyncEngine, keys: list[str]) -> list[tuple[str, str, str]] | None:
    """State read on PostgreSQL with the pooled connection's asyncpg driver itself: SQLAlchemy's
    execution around one primary-key SELECT costs ~0.45 ms of CPU per turn, asyncpg's own ~0.04 ms
    (its prepared statement is cached per connection). The connection is checked out of, and returned
    to, SQLAlchemy's pool as usual (its search_path and idle ping included). On any failure the
    connection is dropped from the pool and None returned: the caller reads through SQLAlchemy, which
    reconnects and raises its own errors."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        if driver is None or not hasattr(driver, "fetch"):
            return None
        try:
            records = await driver.fetch(_ASYNCPG_READ, keys)
        except Exception:  # noqa: BLE001 - any failure: the SQLAlchemy path decides what it means
            await connection.invalidate()
            return None
    return [(record[0], record[1], record[2]) for record in records]


def _read_statement(keys: list[str]) -> Select[tuple[str, str, str]]:
    columns = select(StateItem.key, StateItem.e_tag, StateItem.data)
    # One key (each BotState loads its own) compares with "=": a cached statement, where "IN"
    # would be re-expanded for every call.
    return columns.where(StateItem.key == keys[0]) if len(keys) == 1 else columns.where(StateItem.key.in_(keys))


async def _upsert(session: AsyncSession, key: str, e_tag: str, data: str) -> None:
    values = {"key": key, "e_tag": e_tag, "data": data, "updated_at": utcnow()}
    insert = dialect_insert(session)
    statement = insert(StateItem).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[StateItem.key],
        set_={"e_tag": statement.excluded.e_tag, "data": statement.excluded.data,
              "updated_at": statement.excluded.updated_at},
    )
    await session.execute(statement)


def _etag_of(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _without_etag(item: Any) -> Any:
    if isinstance(item, dict):
        return {key: value for key, value in item.items() if key != "e_tag"}
    if hasattr(item, "e_tag"):
        clone = copy(item)
        clone.e_tag = None
        return clone
    return item


def _with_etag(item: Any, e_tag: str) -> Any:
    if isinstance(item, dict):
        item["e_tag"] = e_tag
    else:
        with contextlib.suppress(AttributeError):
            item.e_tag = e_tag
    return item
