"""Absence from one meeting as use cases: answering a reminder ("Jag kommer" / "Jag kan inte"),
offering that one meeting to a colleague with a one-time code, and the colleague taking it.
Someone who cannot come gets no more messages about the meeting (they are no longer expected at
it, storage/substitutes.py); the colleague gets its reminders and its evaluation instead.

```mermaid
flowchart LR
    R[reminder] -->|Jag kommer| C[coming]
    R -->|Jag kan inte| A[away: no more messages]
    A -->|Skicka en kollega| O[code for this meeting]
    O -->|colleague: ta över KOD| S[substitute: reminders + evaluation]
    A -->|Lämna över hela platsen| T[transfer code for the place]
    A -->|Jag kommer ändå| C
```"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import Clock
from storage.attendance import AttendanceRepository
from storage.models import Meeting
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from storage.substitutes import (
    AlreadyExpected,
    Claimed,
    OwnSubstituteCode,
    SubstituteNotFound,
    SubstituteRepository,
)

COMING, NOT_COMING = "coming", "not_coming"


@dataclass(frozen=True)
class Answered:
    meeting: Meeting
    intent: str
    registration_id: int | None
    """The person's own place (None for a colleague standing in)."""


@dataclass(frozen=True)
class SubstituteLeft:
    """A colleague who stood in cannot come after all: the meeting is the holder's again."""

    meeting: Meeting
    holder_person_id: int


@dataclass(frozen=True)
class NotInvolved:
    meeting: Meeting | None
    """None: no such meeting."""


@dataclass(frozen=True)
class Offered:
    meeting: Meeting
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Taken:
    """A colleague has already taken this meeting."""

    meeting: Meeting


@dataclass(frozen=True)
class TooLate:
    meeting: Meeting


@dataclass(frozen=True)
class AlreadyGoing:
    meeting_id: int


@dataclass(frozen=True)
class OwnMeetingCode:
    """The holder typed their own meeting code: it is for the colleague going in their place."""


class AbsenceService:
    def __init__(self, projects: ProjectRepository, registrations: RegistrationRepository,
                 attendance: AttendanceRepository, substitutes: SubstituteRepository, clock: Clock) -> None:
        self._projects = projects
        self._registrations = registrations
        self._attendance = attendance
        self._substitutes = substitutes
        self._clock = clock

    async def answer(self, person_id: int, meeting_id: int, intent: str) -> Answered | SubstituteLeft | NotInvolved:
        """Record a reminder's answer. Raises ValueError for an unknown intent."""
        if intent not in (COMING, NOT_COMING):
            raise ValueError(intent)
        now = self._clock()
        meeting = await self._projects.meeting(meeting_id)
        if meeting is None:
            return NotInvolved(None)
        place = await self._attendance.answer_own_reminder(person_id, meeting_id, intent, now)
        if place is not None:
            return Answered(meeting, intent, place)
        holder = await self._substitutes.holder_of(meeting.id, person_id)
        if holder is None:
            return NotInvolved(meeting)
        if intent == NOT_COMING:
            await self._substitutes.withdraw(meeting.id, person_id)
            return SubstituteLeft(meeting, holder.person_id)
        await self._attendance.answer(person_id, meeting.id, intent, now)
        return Answered(meeting, intent, None)

    async def offer_substitute(self, person_id: int, meeting_id: int) -> Offered | Taken | TooLate | NotInvolved:
        """A code for a colleague to go to this meeting in the person's place (sending someone
        means the person is away: that is recorded too). The code works until the meeting ends."""
        meeting = await self._projects.meeting(meeting_id)
        if meeting is None or person_id not in await self._registrations.people_for_meeting(meeting.id, [person_id]):
            return NotInvolved(meeting)
        registration = await self._registrations.find(meeting.project_id, person_id)
        if registration is None:
            return NotInvolved(meeting)
        now = self._clock()
        if now >= meeting.ends_at:
            return TooLate(meeting)
        try:
            code = await self._substitutes.offer(registration.id, meeting.id, meeting.ends_at)
        except AlreadyExpected:
            return Taken(meeting)
        await self._attendance.answer(person_id, meeting.id, NOT_COMING, now)
        return Offered(meeting, code, meeting.ends_at)

    async def claim(self, code: str, person_id: int) -> Claimed | AlreadyGoing | OwnMeetingCode | None:
        """The colleague's `ta över <kod>`; None when the code is not a meeting's (it may be a
        whole place's transfer code)."""
        try:
            return await self._substitutes.claim(code, person_id, self._clock())
        except OwnSubstituteCode:
            return OwnMeetingCode()
        except SubstituteNotFound:
            return None
        except AlreadyExpected as already:
            return AlreadyGoing(int(already.args[0]))
