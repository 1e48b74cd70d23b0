"""Coordinator messages and manual reminders as use cases: who is in an audience, and turning a
confirmed message into outbox rows."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.quiet_hours import QuietHours
from bot.features.reminders.rules import next_allowed
from bot.outbox.addresses import channel_address, person_address
from storage.attendance import AttendanceRepository
from storage.models import Broadcast, Project
from storage.outbox import Outbox, PlannedDelivery
from storage.registrations import RegistrationRepository

AUDIENCE_KINDS = ("channel", "registered", "organisation", "no_reply")


@dataclass(frozen=True)
class Audience:
    kind: str
    value: str = ""

    @classmethod
    def parse(cls, text: str) -> Audience:
        kind, _, value = text.partition(":")
        if kind not in AUDIENCE_KINDS or (kind in ("organisation", "no_reply")) != bool(value):
            raise ValueError(f"unknown audience {text!r}")
        return cls(kind, value)

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind


class Broadcasting:
    def __init__(self, registrations: RegistrationRepository, attendance: AttendanceRepository, outbox: Outbox,
                 clock: Clock, zone: ZoneInfo, quiet: QuietHours) -> None:
        self._registrations = registrations
        self._attendance = attendance
        self._outbox = outbox
        self._clock = clock
        self._zone = zone
        self._quiet = quiet

    async def recipients(self, project: Project, audience: Audience) -> list[str]:
        if audience.kind == "channel":
            return [channel_address(project.channel_conversation_id)] if project.channel_conversation_id else []
        if audience.kind == "registered":
            return [person_address(p) for p in await self._registrations.people_in_project(project.id)]
        if audience.kind == "organisation":
            return [person_address(p) for p in await self._registrations.people_in_project(project.id, audience.value)]
        meeting_id = int(audience.value)
        answered = await self._attendance.answers(meeting_id)
        expected = await self._registrations.expected_at_meeting(meeting_id)
        return [person_address(p) for p in expected if p not in answered]

    async def schedule(self, broadcast: Broadcast, project: Project) -> int:
        """Put a confirmed message into the outbox; returns how many recipients it goes to."""
        recipients = await self.recipients(project, Audience.parse(broadcast.audience))
        due = next_allowed(max(broadcast.send_at, self._clock()), self._zone, self._quiet)
        planned = [PlannedDelivery("message", f"broadcast:{broadcast.id}", r, due, project.id,
                                   {"broadcast_id": broadcast.id}) for r in recipients]
        await self._outbox.plan(planned)
        return len(planned)

    async def remind_audience(self, meeting_id: int) -> list[str]:
        """Who a `påminn` would reach now: those expected at the meeting (not away; substitutes
        included) who have had no reminder of it yet."""
        reminded = await self._outbox.sent_recipients("reminder", f"meeting:{meeting_id}:")
        return [r for r in (person_address(p) for p in await self._registrations.expected_at_meeting(meeting_id))
                if r not in reminded]

    async def remind_now(self, project: Project, meeting_id: int) -> int:
        """`påminn`, confirmed: the meeting's reminder now to ``remind_audience``; returns how many
        were new (a second confirmation plans nothing)."""
        due = next_allowed(self._clock(), self._zone, self._quiet)
        planned = [PlannedDelivery("reminder", f"meeting:{meeting_id}:now", r, due, project.id,
                                   {"meeting_id": meeting_id, "offset": "now"})
                   for r in await self.remind_audience(meeting_id)]
        return await self._outbox.plan(planned)
