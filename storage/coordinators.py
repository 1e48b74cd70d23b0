"""Coordinators added in chat by existing coordinators (on top of COORDINATOR_IDS), by Entra ID
object id: never by display name or anything else the client can choose."""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import dialect_insert
from storage.models import Coordinator, Person

CACHE_SECONDS = 30.0


class CoordinatorRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._cache: tuple[float, frozenset[str]] | None = None

    async def ids(self) -> frozenset[str]:
        """Object ids of the coordinators in the table (cached briefly: asked on every turn)."""
        now = time.monotonic()
        if self._cache is not None and now - self._cache[0] < CACHE_SECONDS:
            return self._cache[1]
        async with self._sessions() as session:
            ids = frozenset(a.lower() for a in (await session.scalars(select(Coordinator.aad_object_id))).all())
        self._cache = (now, ids)
        return ids

    async def all(self) -> list[Coordinator]:
        async with self._sessions() as session:
            return list((await session.scalars(select(Coordinator).order_by(Coordinator.name))).all())

    async def add(self, person_id: int, added_by: str | None) -> Coordinator | None:
        """Make a known person a coordinator (idempotent); None when they have no object id."""
        async with self._sessions.begin() as session:
            person = await session.get(Person, person_id)
            if person is None or not person.aad_object_id:
                return None
            insert = dialect_insert(session)
            await session.execute(insert(Coordinator).values(
                aad_object_id=person.aad_object_id.lower(), tenant_id=person.tenant_id, name=person.name,
                added_by=added_by,
            ).on_conflict_do_nothing(index_elements=["aad_object_id"]))
            self._cache = None
            return await session.scalar(select(Coordinator).where(Coordinator.aad_object_id == person.aad_object_id))

    async def remove(self, coordinator_id: int) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(delete(Coordinator).where(Coordinator.id == coordinator_id))
        self._cache = None
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def candidates(self) -> list[Person]:
        """People the bot knows with an object id who are not coordinators yet."""
        async with self._sessions() as session:
            taken = select(Coordinator.aad_object_id)
            rows = await session.scalars(select(Person).where(
                Person.aad_object_id.is_not(None), Person.erased_at.is_(None), Person.aad_object_id.not_in(taken)
            ).order_by(Person.name).limit(100))
            return list(rows)
