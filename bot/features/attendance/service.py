"""Attendance at meetings as use cases: the check-in card planned for the meeting's start (one post in
the project channel), a participant's "Jag är här" and the coordinator's attendance list with
absences and substitutes. Check-ins are recorded for the report; they never decide who gets the
evaluation. Plain Python over repositories and a clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock
from bot.outbox.addresses import channel_address
from storage.checkins import CheckInRepository, PresenceChange
from storage.models import Meeting, Project, Registration
from storage.outbox import Outbox, PlannedDelivery
from storage.projects import ACTIVE_STATES, ProjectRepository
from storage.registrations import RegistrationRepository
from storage.substitutes import SubstituteRepository

KIND = "checkin"
OPENS_BEFORE = timedelta(minutes=30)
"""People arriving early can check in half an hour before the start; check-in closes at the end."""
PLAN_AHEAD = timedelta(days=2)
PRESENT_PREFIX = "present_"


def checkin_open(meeting: Meeting, now: datetime) -> bool:
    return meeting.starts_at - OPENS_BEFORE <= now < meeting.ends_at


def default_meeting(meetings: Sequence[Meeting], now: datetime) -> Meeting | None:
    """The meeting a coordinator most likely means: the latest one that has started, else the next."""
    started = [m for m in meetings if m.starts_at - OPENS_BEFORE <= now]
    if started:
        return max(started, key=lambda m: m.starts_at)
    return min(meetings, key=lambda m: m.starts_at) if meetings else None


def parse_presence(values: Mapping[str, Any], allowed: set[int]) -> dict[int, bool]:
    """The attendance card's toggles ("present_<person id>": "true"/"false") for people registered
    for the meeting. Raises ValueError for a toggle naming anyone else or holding another value."""
    present: dict[int, bool] = {}
    for key, raw in values.items():
        if not key.startswith(PRESENT_PREFIX):
            continue
        digits = key[len(PRESENT_PREFIX):]
        if not digits.isdigit() or int(digits) not in allowed or raw not in ("true", "false"):
            raise ValueError(key)
        present[int(digits)] = raw == "true"
    return present


class CheckInPlanner:
    """The check-in card at each meeting's start, planned two days ahead; idempotent."""

    def __init__(self, projects: ProjectRepository, registrations: RegistrationRepository, outbox: Outbox,
                 clock: Clock) -> None:
        self._projects = projects
        self._registrations = registrations
        self._outbox = outbox
        self._clock = clock

    async def plan_all(self) -> int:
        now = self._clock()
        planned = 0
        for project in await self._projects.all_projects():
            if project.state not in ACTIVE_STATES:
                continue
            for meeting in project.meetings:
                if meeting.starts_at - PLAN_AHEAD <= now < meeting.ends_at:
                    planned += await self._plan_meeting(project, meeting)
        return planned

    async def _plan_meeting(self, project: Project, meeting: Meeting) -> int:
        """One post in the project channel per meeting; nothing 1:1 (people had their reminders,
        and the evaluation does not depend on checking in)."""
        if not project.channel_conversation_id:
            return 0
        source = f"{KIND}:{meeting.id}"
        # A meeting that moved takes its planned check-in along.
        await self._outbox.reschedule(KIND, source, meeting.starts_at, meeting.ends_at)
        return await self._outbox.plan([
            PlannedDelivery(KIND, source, channel_address(project.channel_conversation_id), meeting.starts_at,
                            project.id, {"meeting_id": meeting.id}, meeting.ends_at)
        ])


@dataclass(frozen=True)
class CheckedIn:
    meeting: Meeting
    at: datetime
    new: bool


@dataclass(frozen=True)
class NotOpen:
    meeting: Meeting
    too_early: bool


@dataclass(frozen=True)
class NotRegistered:
    meeting: Meeting


class CheckInService:
    def __init__(self, projects: ProjectRepository, registrations: RegistrationRepository,
                 checkins: CheckInRepository, clock: Clock) -> None:
        self._projects = projects
        self._registrations = registrations
        self._checkins = checkins
        self._clock = clock

    async def check_in(self, person_id: int, meeting_id: int) -> CheckedIn | NotOpen | NotRegistered | None:
        """None when there is no such meeting."""
        meeting = await self._projects.meeting(meeting_id)
        if meeting is None:
            return None
        now = self._clock()
        # Someone who said they could not come and came anyway may check in too.
        if (person_id not in await self._registrations.people_for_meeting(meeting.id, [person_id])
                and person_id not in await self._registrations.expected_at_meeting(meeting.id, [person_id])):
            return NotRegistered(meeting)
        if not checkin_open(meeting, now):
            return NotOpen(meeting, now < meeting.starts_at)
        result = await self._checkins.check_in(person_id, meeting.id, now)
        return CheckedIn(meeting, result.checked_in_at, result.new)


@dataclass(frozen=True)
class ListedParticipant:
    person_id: int
    name: str
    organisation: str
    present: bool
    absent: bool = False
    """Said they cannot come (a reminder's "Jag kan inte")."""
    stands_in_for: str = ""
    """For a colleague sent to this meeting only: the name of the person whose place it is."""


@dataclass(frozen=True)
class AttendanceSheet:
    project: Project
    meeting: Meeting
    participants: list[ListedParticipant]

    @property
    def present_count(self) -> int:
        return sum(1 for p in self.participants if p.present)

    @property
    def absent_count(self) -> int:
        return sum(1 for p in self.participants if p.absent)

    @property
    def substitute_count(self) -> int:
        return sum(1 for p in self.participants if p.stands_in_for)


class AttendanceList:
    """The coordinator marks who was there, from the list of people registered for the meeting
    (those who said they cannot come marked so) and the colleagues sent in their place."""

    def __init__(self, registrations: RegistrationRepository, checkins: CheckInRepository,
                 substitutes: SubstituteRepository, clock: Clock) -> None:
        self._registrations = registrations
        self._checkins = checkins
        self._substitutes = substitutes
        self._clock = clock

    async def sheet(self, project: Project, meeting: Meeting) -> AttendanceSheet:
        present = await self._checkins.present(meeting.id)
        away = (await self._substitutes.absence([meeting.id]))[meeting.id]
        registered = [r for r in await self._registrations.for_export(project.id)
                      if r.status == "registered" and meeting.id in {link.meeting_id for link in r.meetings}]
        people = [
            ListedParticipant(r.person_id, r.name, _organisation(r), r.person_id in present, r.person_id in away.absent)
            for r in registered
        ]
        holders = {r.person_id: r for r in registered}
        names = await self._substitutes.names(away.substitutes)
        people += [
            ListedParticipant(colleague, names.get(colleague, ""), _organisation(holders[holder]),
                              colleague in present, stands_in_for=holders[holder].name)
            for colleague, holder in sorted(away.substitutes.items()) if holder in holders
        ]
        return AttendanceSheet(project, meeting, people)

    async def save(self, meeting: Meeting, values: Mapping[str, Any]) -> PresenceChange:
        """Raises ValueError for a tampered card (nothing is stored then)."""
        allowed = set(await self._registrations.people_for_meeting(meeting.id))
        allowed |= set((await self._substitutes.absence([meeting.id]))[meeting.id].substitutes)
        return await self._checkins.set_presence(meeting.id, parse_presence(values, allowed), self._clock())


def _organisation(registration: Registration) -> str:
    return registration.organisation_other or registration.organisation.name
