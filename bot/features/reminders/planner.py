"""Planning meeting reminders and change notices into the outbox. Idempotent: run at start-up,
periodically, and after every registration; the outbox's unique key keeps each message single."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.quiet_hours import QuietHours
from bot.features.reminders.daily import one_a_day
from bot.features.reminders.rules import due_time, next_allowed, parse_offsets
from bot.outbox.addresses import person_address
from storage.models import Meeting, Project
from storage.outbox import Outbox, PlannedDelivery
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository


def ask_then_nudge(kinds: tuple[str, str], source: str, payload: dict[str, Any], people: Iterable[int],
                   project_id: int, deadline: datetime, nudge_at: datetime | None, now: datetime, zone: ZoneInfo,
                   quiet: QuietHours) -> list[PlannedDelivery]:
    """A question to each person now (after quiet hours), and a nudge at ``nudge_at`` if that is still
    ahead (the sender sends it only to the silent); both pointless after ``deadline``.
    ``kinds``: the question's and the nudge's delivery kinds."""
    ask, nudge = kinds
    people = list(people)
    due = next_allowed(now, zone, quiet)
    planned = [PlannedDelivery(ask, source, person_address(p), due, project_id, payload, deadline) for p in people]
    if nudge_at is not None and nudge_at > now:
        nudge_due = next_allowed(nudge_at, zone, quiet)
        planned += [PlannedDelivery(nudge, source, person_address(p), nudge_due, project_id, payload, deadline)
                    for p in people]
    return planned


@dataclass(frozen=True)
class PlanReport:
    planned: int
    updates: int


class ReminderPlanner:
    def __init__(self, projects: ProjectRepository, registrations: RegistrationRepository, outbox: Outbox,
                 clock: Clock, zone: ZoneInfo, quiet: QuietHours) -> None:
        self._projects = projects
        self._registrations = registrations
        self._outbox = outbox
        self._clock = clock
        self._zone = zone
        self._quiet = quiet

    async def plan_all(self) -> PlanReport:
        now = self._clock()
        planned = updates = 0
        for project in await self._projects.open_projects(now):
            for meeting in project.meetings:
                if meeting.starts_at <= now:
                    continue
                updates += await self._announce_change(project, meeting)
                if meeting.cancelled_at is None:
                    planned += await self._outbox.plan(await self._reminders(project, meeting))
        return PlanReport(planned, updates)

    async def _reminders(self, project: Project, meeting: Meeting) -> list[PlannedDelivery]:
        now = self._clock()
        # 1:1 only: the channel gets one post per meeting, the check-in card (bot/features/attendance/service.py).
        recipients = [person_address(p) for p in await self._registrations.expected_at_meeting(meeting.id)]
        planned = []
        dues = [(offset, due_time(meeting.starts_at, offset, self._zone, self._quiet))
                for offset in parse_offsets(project.reminder_offsets)]
        for offset, due in one_a_day(dues, self._zone):
            if due <= now:
                # Planned late (a registration the day before): the earlier reminders are not sent.
                continue
            source = f"meeting:{meeting.id}:{offset.label}"
            planned += [
                PlannedDelivery("reminder", source, recipient, due, project.id,
                                {"meeting_id": meeting.id, "offset": offset.label}, meeting.starts_at)
                for recipient in recipients
            ]
        return planned

    async def _announce_change(self, project: Project, meeting: Meeting) -> int:
        """A meeting whose calendar SEQUENCE went up: one update message per participant, and the
        pending reminders move with the new time (or are dropped, for a cancelled meeting)."""
        if meeting.sequence <= meeting.notified_sequence:
            return 0
        now = self._clock()
        for offset in parse_offsets(project.reminder_offsets):
            source = f"meeting:{meeting.id}:{offset.label}"
            if meeting.cancelled_at is not None:
                await self._outbox.cancel_pending("reminder", source)
                continue
            due = due_time(meeting.starts_at, offset, self._zone, self._quiet)
            await self._outbox.reschedule("reminder", source, due, meeting.starts_at)
        people = await self._registrations.expected_at_meeting(meeting.id)
        source = f"meeting:{meeting.id}:v{meeting.sequence}"
        due = next_allowed(now, self._zone, self._quiet)
        new = await self._outbox.plan([
            PlannedDelivery("meeting_update", source, person_address(p), due, project.id, {"meeting_id": meeting.id},
                            meeting.starts_at)
            for p in people
        ])
        await self._projects.mark_notified(meeting.id, meeting.sequence)
        return new
