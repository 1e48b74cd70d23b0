"""The alumni phase as use cases: finishing a project, the alumni channel, opting out, the
periodic exchange prompt with its digest, and coordinators' announcements to alumni. Plain Python
over repositories and a clock; outbox rows are the truth for everything sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.quiet_hours import QuietHours
from bot.features.alumni.rules import (
    LATE_LIMIT,
    PROMPT_SETTINGS,
    alumni_audience,
    channel_prompted,
    clean_reply,
    digest_due,
    replies_open,
    slots_to_plan,
)
from bot.features.reminders.rules import next_allowed
from bot.outbox.addresses import channel_address, person_address
from storage.alumni import ALUMNI, AlumniRepository
from storage.broadcasts import BroadcastRepository
from storage.models import Broadcast, Project
from storage.outbox import Outbox, PlannedDelivery

WELCOME, PROMPT, DIGEST, MESSAGE = "alumni_welcome", "alumni_prompt", "alumni_digest", "alumni_message"


@dataclass(frozen=True)
class Finished:
    changed: bool
    participants: int
    channel_linked: bool


@dataclass(frozen=True)
class ReplySaved:
    first: bool
    digest_at: datetime


@dataclass(frozen=True)
class ReplyRefused:
    reason: str
    """Catalog key of the explanation."""


class AlumniService:
    def __init__(self, alumni: AlumniRepository, broadcasts: BroadcastRepository, outbox: Outbox, clock: Clock,
                 zone: ZoneInfo, quiet: QuietHours) -> None:
        self._alumni = alumni
        self._broadcasts = broadcasts
        self._outbox = outbox
        self._clock = clock
        self._zone = zone
        self._quiet = quiet

    async def finish(self, project: Project, prompt_setting: str) -> Finished:
        if prompt_setting not in PROMPT_SETTINGS:
            raise ValueError(prompt_setting)
        changed = await self._alumni.finish(project.id, prompt_setting, self._clock())
        participants = len(await self._alumni.recipients([project.id]))
        if changed and project.alumni_channel_id:
            await self.plan_welcome(project.id)
        return Finished(changed, participants, bool(project.alumni_channel_id))

    async def link_channel(self, project: Project, channel_id: str) -> list[str]:
        """Returns the projects now sharing the channel; alumni are told where it is (once)."""
        shared = await self._alumni.link_channel(project.id, channel_id)
        if project.state == ALUMNI:
            await self.plan_welcome(project.id)
        return shared

    async def plan_welcome(self, project_id: int) -> int:
        now = next_allowed(self._clock(), self._zone, self._quiet)
        return await self._outbox.plan([
            PlannedDelivery(WELCOME, f"{WELCOME}:{project_id}", person_address(p), now, project_id,
                            {"project_id": project_id})
            for p in await self._alumni.recipients([project_id])
        ])

    async def set_prompt(self, project_id: int, setting: str) -> bool:
        if setting not in PROMPT_SETTINGS:
            raise ValueError(setting)
        return await self._alumni.set_prompt_setting(project_id, setting)

    async def opt_out(self, project_id: int, person_id: int, opted_out: bool) -> bool | None:
        return await self._alumni.set_opt_out(project_id, person_id, opted_out)

    async def recipients(self, project_ids: Sequence[int]) -> list[int]:
        return await self._alumni.recipients(project_ids)

    async def draft(self, project_ids: Sequence[int], text: str, created_by: int | None) -> Broadcast:
        return await self._broadcasts.draft(min(project_ids), alumni_audience(project_ids), text, self._clock(),
                                            created_by)

    async def schedule(self, broadcast: Broadcast, project_ids: Sequence[int]) -> int:
        """A confirmed announcement into the outbox, one per alumnus (who may be in several projects)."""
        due = next_allowed(self._clock(), self._zone, self._quiet)
        return await self._outbox.plan([
            PlannedDelivery(MESSAGE, f"{MESSAGE}:{broadcast.id}", person_address(p), due, broadcast.project_id,
                            {"broadcast_id": broadcast.id})
            for p in await self._alumni.recipients(project_ids)
        ])

    async def reply(self, prompt_id: int, person_id: int, raw: object) -> ReplySaved | ReplyRefused:
        prompt = await self._alumni.prompt(prompt_id)
        if prompt is None:
            return ReplyRefused("card.unknown_action")
        if not replies_open(prompt.asked_at, self._clock()):
            return ReplyRefused("alumni.reply_closed")
        try:
            text = clean_reply(raw)
        except ValueError as problem:
            return ReplyRefused(str(problem))
        first = await self._alumni.save_reply(prompt.id, person_id, text, self._clock())
        return ReplySaved(first, digest_due(prompt.asked_at))


class AlumniPlanner:
    """Each alumni channel's prompt (first weekday of the month, 9.00) and its digest a week later;
    idempotent, one prompt per channel and period however many projects share the channel."""

    def __init__(self, alumni: AlumniRepository, outbox: Outbox, clock: Clock, zone: ZoneInfo,
                 question: Callable[[], str]) -> None:
        self._alumni = alumni
        self._outbox = outbox
        self._clock = clock
        self._zone = zone
        self._question = question

    async def plan_all(self) -> int:
        settings: dict[str, list[str]] = {}
        for project in await self._alumni.alumni_projects():
            if project.alumni_channel_id:
                settings.setdefault(project.alumni_channel_id, []).append(project.alumni_prompt)
        planned = 0
        for channel_id, wanted in sorted(settings.items()):
            if channel_prompted(wanted):
                planned += await self._plan_channel(channel_id)
        return planned

    async def _plan_channel(self, channel_id: str) -> int:
        planned = 0
        for slot in slots_to_plan(self._clock(), self._zone):
            prompt = await self._alumni.ensure_prompt(channel_id, slot.period, self._question(), slot.asked_at)
            digest_at = digest_due(prompt.asked_at)
            payload = {"prompt_id": prompt.id}
            planned += await self._outbox.plan([
                PlannedDelivery(PROMPT, f"{PROMPT}:{prompt.id}", channel_address(channel_id), prompt.asked_at, None,
                                payload, prompt.asked_at + LATE_LIMIT),
                PlannedDelivery(DIGEST, f"{DIGEST}:{prompt.id}", channel_address(channel_id), digest_at, None, payload,
                                digest_at + LATE_LIMIT),
            ])
        return planned
