"""Attendance: what people answered to a meeting reminder, and check-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Attendance

INTENTS = ("coming", "not_coming")


class AttendanceRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def answer(self, person_id: int, meeting_id: int, intent: str, now: datetime) -> Attendance:
        """Record (or change) a person's answer; pressing the same button twice keeps one row."""
        if intent not in INTENTS:
            raise ValueError(f"unknown intent {intent!r}")
        for attempt in (1, 2):
            try:
                async with self._sessions.begin() as session:
                    row = await session.scalar(
                        select(Attendance).where(Attendance.person_id == person_id, Attendance.meeting_id == meeting_id)
                    )
                    if row is None:
                        row = Attendance(person_id=person_id, meeting_id=meeting_id)
                        session.add(row)
                    row.intent = intent
                    row.answered_at = now
                    return row
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def answers(self, meeting_id: int) -> dict[int, str]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(Attendance.person_id, Attendance.intent).where(Attendance.meeting_id == meeting_id)
            )
            return {person_id: intent for person_id, intent in rows.tuples() if intent}
