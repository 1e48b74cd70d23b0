"""A botbuilder ``Storage`` on SQL, backing ConversationState, UserState and dialog stacks.

Items are serialised with jsonpickle (dialog stacks hold arbitrary Python objects, as in
botbuilder's BlobStorage). Concurrency follows MemoryStorage: an e_tag that is missing,
None or "*" overwrites; any other e_tag must match the stored one or the write fails.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from typing import Any

import jsonpickle
from botbuilder.core import Storage
from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import dialect_insert
from storage.models import StateItem, utcnow


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

    async def read(self, keys: Sequence[str]) -> dict[str, Any]:
        if keys is None:
            raise ValueError("Keys are required when reading")
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        statement = _read_statement(wanted)
        if self._engine is not None:
            async with self._engine.connect() as connection:
                rows = (await connection.execute(statement)).all()
        else:
            async with self._sessions() as session:
                rows = (await session.execute(statement)).all()
        return {key: _with_etag(jsonpickle.decode(data), e_tag) for key, e_tag, data in rows}

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
