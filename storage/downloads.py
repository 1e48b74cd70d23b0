"""Repository of waiting export files (see DownloadFile): any replica serves any link until it expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import DownloadFile


class DownloadRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, token_hash: str, person_id: int | None, filename: str, content_type: str, data: bytes,
                  now: datetime, expires_at: datetime) -> None:
        """Store a file (and drop the expired ones: nothing else reads them again)."""
        async with self._sessions.begin() as session:
            await session.execute(delete(DownloadFile).where(DownloadFile.expires_at <= now))
            session.add(DownloadFile(token_hash=token_hash, person_id=person_id, filename=filename,
                                     content_type=content_type, data=data, created_at=now, expires_at=expires_at))

    async def get(self, token_hash: str, now: datetime) -> DownloadFile | None:
        async with self._sessions() as session:
            return await session.scalar(select(DownloadFile).where(DownloadFile.token_hash == token_hash,
                                                                   DownloadFile.expires_at > now))

    async def revoke_person(self, person_id: int) -> int:
        """Delete every link made for this person (erasure); returns how many there were."""
        async with self._sessions.begin() as session:
            result = await session.execute(delete(DownloadFile).where(DownloadFile.person_id == person_id))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
