"""Absence from one meeting and the colleague sent instead: who is expected at a meeting (those
registered for it who have not said they cannot come, plus their substitutes), and the one-time
code that hands one meeting, not the whole place, to a colleague."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.features.registration.handover_codes import new_code, normalised
from bot.features.registration.rules import Status
from storage.models import Attendance, Meeting, MeetingSubstitute, Person, Registration, RegistrationMeeting

NOT_COMING = "not_coming"


class SubstituteNotFound(LookupError):
    """No live code like that (unknown, expired, already used, or the holder's own)."""


class OwnSubstituteCode(SubstituteNotFound):
    """A live meeting code given by the person who holds the place: it is for a colleague."""


class AlreadyExpected(ValueError):
    """The colleague is already going to that meeting (registered for it, or someone's substitute)."""


@dataclass(frozen=True)
class Claimed:
    meeting: Meeting
    holder: Registration
    """The place holder's registration (organisation loaded): the colleague goes on its behalf."""


@dataclass(frozen=True)
class MeetingAbsence:
    """Who is away from a meeting and who comes instead, for the coordinator's list and report."""

    absent: frozenset[int]
    """People registered for the meeting who said they cannot come."""
    substitutes: dict[int, int]
    """Colleague's person id -> the person id of the place holder they stand in for."""


def expected_people(meeting_id: int) -> Select[tuple[int]]:
    """Person ids expected at a meeting: registered for it and not away, plus claimed substitutes
    of places still held."""
    absent = select(Attendance.person_id).where(Attendance.meeting_id == meeting_id, Attendance.intent == NOT_COMING)
    registered = (
        select(Registration.person_id)
        .join(RegistrationMeeting, RegistrationMeeting.registration_id == Registration.id)
        .where(RegistrationMeeting.meeting_id == meeting_id, Registration.status == Status.REGISTERED,
               Registration.person_id.not_in(absent))
    )
    substitutes = (
        select(MeetingSubstitute.person_id)
        .join(Registration, Registration.id == MeetingSubstitute.registration_id)
        .where(MeetingSubstitute.meeting_id == meeting_id, MeetingSubstitute.person_id.is_not(None),
               Registration.status == Status.REGISTERED)
    )
    return registered.union(substitutes)  # type: ignore[return-value]


class SubstituteRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def expected(self, meeting_id: int, among: Collection[int] | None = None) -> list[int]:
        ids = {int(p) for p in (await self._scalars(expected_people(meeting_id))) if p is not None}
        return sorted(ids if among is None else ids & set(among))

    async def offer(self, registration_id: int, meeting_id: int, expires_at: datetime) -> str:
        """A new one-time code for a colleague to go to one meeting in the holder's place (an earlier,
        unused code for the same meeting stops working). Raises AlreadyExpected when a colleague has
        already taken this meeting."""
        async with self._sessions.begin() as session:
            row = await session.scalar(select(MeetingSubstitute).where(
                MeetingSubstitute.registration_id == registration_id, MeetingSubstitute.meeting_id == meeting_id))
            if row is not None and row.person_id is not None:
                raise AlreadyExpected(meeting_id)
            if row is None:
                row = MeetingSubstitute(registration_id=registration_id, meeting_id=meeting_id)
                session.add(row)
            row.code = await _fresh_code(session)
            row.code_expires_at = expires_at
            return row.code

    async def claim(self, code: str, person_id: int, now: datetime) -> Claimed:
        async with self._sessions.begin() as session:
            row = await session.scalar(select(MeetingSubstitute).where(
                MeetingSubstitute.code == (normalised(code) or ""), MeetingSubstitute.person_id.is_(None)))
            holder = await session.scalar(
                select(Registration).options(selectinload(Registration.organisation))
                .where(Registration.id == row.registration_id)) if row is not None else None
            if (row is None or holder is None or row.code_expires_at is None or row.code_expires_at <= now
                    or holder.status != Status.REGISTERED):
                raise SubstituteNotFound(code)
            if holder.person_id == person_id:
                raise OwnSubstituteCode(code)
            if person_id in {p for p in await session.scalars(expected_people(row.meeting_id)) if p is not None}:
                raise AlreadyExpected(row.meeting_id)
            row.person_id, row.claimed_at, row.code = person_id, now, None
            meeting = await session.get(Meeting, row.meeting_id)
            assert meeting is not None
            return Claimed(meeting, holder)

    async def withdraw(self, meeting_id: int, person_id: int) -> int:
        """The colleague cannot come after all: the meeting is the holder's again."""
        async with self._sessions.begin() as session:
            result = await session.execute(delete(MeetingSubstitute).where(
                MeetingSubstitute.meeting_id == meeting_id, MeetingSubstitute.person_id == person_id))
            return result.rowcount or 0  # type: ignore[attr-defined]

    async def holder_of(self, meeting_id: int, person_id: int) -> Registration | None:
        """The registration a substitute stands in for at the meeting (organisation loaded)."""
        async with self._sessions() as session:
            return await session.scalar(
                select(Registration).options(selectinload(Registration.organisation))
                .join(MeetingSubstitute, MeetingSubstitute.registration_id == Registration.id)
                .where(MeetingSubstitute.meeting_id == meeting_id, MeetingSubstitute.person_id == person_id))

    async def absence(self, meeting_ids: Collection[int]) -> dict[int, MeetingAbsence]:
        """Meeting id -> who said they cannot come and who stands in, for the given meetings."""
        ids = list(meeting_ids)
        async with self._sessions() as session:
            absent_rows = await session.execute(
                select(Attendance.meeting_id, Attendance.person_id)
                .where(Attendance.meeting_id.in_(ids), Attendance.intent == NOT_COMING))
            substitute_rows = await session.execute(
                select(MeetingSubstitute.meeting_id, MeetingSubstitute.person_id, Registration.person_id)
                .join(Registration, Registration.id == MeetingSubstitute.registration_id)
                .where(MeetingSubstitute.meeting_id.in_(ids), MeetingSubstitute.person_id.is_not(None),
                       Registration.status == Status.REGISTERED))
        absent: dict[int, set[int]] = {}
        for meeting_id, person_id in absent_rows.tuples():
            absent.setdefault(meeting_id, set()).add(person_id)
        substitutes: dict[int, dict[int, int]] = {}
        for meeting_id, colleague, holder in substitute_rows.tuples():
            if colleague is not None:
                substitutes.setdefault(meeting_id, {})[colleague] = holder
        return {m: MeetingAbsence(frozenset(absent.get(m, set())), substitutes.get(m, {})) for m in ids}

    async def names(self, person_ids: Collection[int]) -> dict[int, str]:
        async with self._sessions() as session:
            rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(list(person_ids))))
            return dict(rows.tuples().all())

    async def _scalars(self, query: Select[tuple[int]]) -> list[int]:
        async with self._sessions() as session:
            return list(await session.scalars(query))


async def _fresh_code(session: AsyncSession) -> str:
    """A hand-over code like a place's (80 bits, bot.features.registration.handover_codes), unused by
    either kind (``ta över`` takes both)."""
    while True:
        code = new_code()
        taken = await session.scalar(select(MeetingSubstitute.id).where(MeetingSubstitute.code == code))
        taken = taken or await session.scalar(select(Registration.id).where(Registration.transfer_code == code))
        if taken is None:
            return code
