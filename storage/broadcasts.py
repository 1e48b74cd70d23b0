"""Coordinators' messages: drafted with an audience, previewed, then confirmed into the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Broadcast


class BroadcastRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def draft(self, project_id: int, audience: str, text: str, send_at: datetime,
                    created_by: int | None) -> Broadcast:
        async with self._sessions.begin() as session:
            broadcast = Broadcast(project_id=project_id, audience=audience, text=text, send_at=send_at,
                                  created_by=created_by, state="draft")
            session.add(broadcast)
            await session.flush()
            return broadcast

    async def by_id(self, broadcast_id: int) -> Broadcast | None:
        async with self._sessions() as session:
            return await session.get(Broadcast, broadcast_id)

    async def confirm(self, broadcast_id: int) -> bool:
        """Draft -> confirmed, once: a second click finds nothing to confirm."""
        return await self._transition(broadcast_id, "draft", "confirmed")

    async def cancel(self, broadcast_id: int) -> bool:
        return await self._transition(broadcast_id, "draft", "cancelled")

    async def _transition(self, broadcast_id: int, before: str, after: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.state == before).values(state=after)
            )
            return (result.rowcount or 0) == 1  # type: ignore[attr-defined]
