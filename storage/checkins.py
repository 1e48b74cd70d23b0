"""Check-ins at meetings: "Jag är här" taps and the coordinator's attendance list, stored on the
attendance row (``checked_in_at``) beside the RSVP answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import once_more_on_conflict
from storage.models import Attendance, Meeting


@dataclass(frozen=True)
class CheckIn:
    checked_in_at: datetime
    new: bool
    """False when the person had already checked in (a second tap changes nothing)."""


@dataclass(frozen=True)
class PresenceChange:
    added: int
    removed: int


class CheckInRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def check_in(self, person_id: int, meeting_id: int, now: datetime) -> CheckIn:
        """Record that the person is at the meeting; idempotent (the first time is kept)."""
        async def check_in() -> CheckIn:
            async with self._sessions.begin() as session:
                row = await _row(session, person_id, meeting_id)
                assert row is not None
                if row.checked_in_at is not None:
                    return CheckIn(row.checked_in_at, False)
                row.checked_in_at = now
                return CheckIn(now, True)

        return await once_more_on_conflict(check_in)

    async def set_presence(self, meeting_id: int, present: Mapping[int, bool], now: datetime) -> PresenceChange:
        """The coordinator's list: True marks present (keeping an earlier check-in time), False clears."""
        added = removed = 0
        async with self._sessions.begin() as session:
            for person_id, is_present in sorted(present.items()):
                row = await _row(session, person_id, meeting_id, create=is_present)
                if row is None:
                    continue
                if is_present and row.checked_in_at is None:
                    row.checked_in_at = now
                    added += 1
                elif not is_present and row.checked_in_at is not None:
                    row.checked_in_at = None
                    removed += 1
        return PresenceChange(added, removed)

    async def present(self, meeting_id: int) -> dict[int, datetime]:
        """Person id -> check-in time for everyone marked present at the meeting."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Attendance.person_id, Attendance.checked_in_at)
                .where(Attendance.meeting_id == meeting_id, Attendance.checked_in_at.is_not(None))
            )
            return {person_id: at for person_id, at in rows.tuples() if at is not None}

    async def present_in_project(self, project_id: int) -> dict[int, set[int]]:
        """Meeting id -> people marked present, for every meeting of the project with a check-in."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Attendance.meeting_id, Attendance.person_id)
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .where(Meeting.project_id == project_id, Attendance.checked_in_at.is_not(None))
            )
            present: dict[int, set[int]] = {}
            for meeting_id, person_id in rows.tuples():
                present.setdefault(meeting_id, set()).add(person_id)
            return present


async def _row(session: AsyncSession, person_id: int, meeting_id: int, create: bool = True) -> Attendance | None:
    row = await session.scalar(
        select(Attendance).where(Attendance.person_id == person_id, Attendance.meeting_id == meeting_id)
    )
    if row is None and create:
        row = Attendance(person_id=person_id, meeting_id=meeting_id)
        session.add(row)
        await session.flush()
    return row
