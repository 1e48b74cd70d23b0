"""Attendance at meetings as use cases: the check-in card planned for the meeting's start (to the
project channel and 1:1), a participant's "Jag är här", the coordinator's attendance list, and who
gets the evaluation once attendance is known. Plain Python over repositories and a clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.reminder_planner import channel, person
from storage.checkins import CheckInRepository, PresenceChange
from storage.models import Meeting, Project
from storage.outbox import Outbox, PlannedDelivery
from storage.projects import ACTIVE_STATES, ProjectRepository
from storage.registrations import RegistrationRepository

Clock = Callable[[], datetime]
KIND = "checkin"
OPENS_BEFORE = timedelta(minutes=30)
"""People arriving early can check in half an hour before the start; check-in closes at the end."""
PLAN_AHEAD = timedelta(days=2)
EVALUATION_KINDS = ("evaluation", "evaluation_nudge")
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
        source = f"{KIND}:{meeting.id}"
        # A meeting that moved takes its planned check-in along.
        await self._outbox.reschedule(KIND, source, meeting.starts_at, meeting.ends_at)
        recipients = [person(p) for p in await self._registrations.people_for_meeting(meeting.id)]
        if project.channel_conversation_id:
            recipients.append(channel(project.channel_conversation_id))
        return await self._outbox.plan([
            PlannedDelivery(KIND, source, recipient, meeting.starts_at, project.id, {"meeting_id": meeting.id},
                            meeting.ends_at)
            for recipient in recipients
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
        if person_id not in await self._registrations.people_for_meeting(meeting.id):
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


@dataclass(frozen=True)
class AttendanceSheet:
    project: Project
    meeting: Meeting
    participants: list[ListedParticipant]

    @property
    def present_count(self) -> int:
        return sum(1 for p in self.participants if p.present)


class AttendanceList:
    """The coordinator marks who was there, from the list of people registered for the meeting."""

    def __init__(self, registrations: RegistrationRepository, checkins: CheckInRepository, clock: Clock) -> None:
        self._registrations = registrations
        self._checkins = checkins
        self._clock = clock

    async def sheet(self, project: Project, meeting: Meeting) -> AttendanceSheet:
        present = await self._checkins.present(meeting.id)
        people = [
            ListedParticipant(r.person_id, r.name, r.organisation_other or r.organisation.name,
                              r.person_id in present)
            for r in await self._registrations.for_export(project.id)
            if r.status == "registered" and meeting.id in {link.meeting_id for link in r.meetings}
        ]
        return AttendanceSheet(project, meeting, people)

    async def save(self, meeting: Meeting, values: Mapping[str, Any]) -> PresenceChange:
        """Raises ValueError for a tampered card (nothing is stored then)."""
        allowed = set(await self._registrations.people_for_meeting(meeting.id))
        return await self._checkins.set_presence(meeting.id, parse_presence(values, allowed), self._clock())


class EvaluationAttendance:
    """Who is asked to evaluate a meeting: everyone registered, or, once anyone has checked in,
    only those marked present (cards already planned for the others are withdrawn)."""

    def __init__(self, checkins: CheckInRepository) -> None:
        self._checkins = checkins

    async def invitees(self, meeting_id: int, registered: Sequence[int], source: str) -> list[int]:
        present = await self._checkins.present(meeting_id)
        if not present:
            return list(registered)
        invited = [p for p in registered if p in present]
        await self._checkins.keep_only(EVALUATION_KINDS, source, [person(p) for p in invited])
        return invited
