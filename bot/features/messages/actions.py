"""Coordinator messages, manual reminders and linking the project channel. (Participants' answers
to reminders are in bot/features/absence/actions.py.)"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.cards import notice, submit
from bot.core.clock import Clock
from bot.core.commands import Role
from bot.core.i18n import count_phrase, format_when, t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.messages.cards import MAX_MESSAGE, compose_card, preview_card, remind_preview_card, status_card
from bot.features.messages.service import Audience, Broadcasting
from bot.features.projects.choice import chosen_project
from bot.features.registration.rules import clean_text
from bot.outbox.scheduler import Scheduler
from storage.broadcasts import BroadcastRepository
from storage.models import Project
from storage.outbox import Outbox
from storage.people import PeopleRepository
from storage.projects import ProjectRepository

router = Router("messages")


class MessageActions:
    """Coordinator-only: compose, preview, confirm, status, `påminn`, `koppla kanal`."""


    def __init__(self, projects: ProjectRepository, broadcasts: BroadcastRepository, broadcasting: Broadcasting,
                 outbox: Outbox, people: PeopleRepository, scheduler: Callable[[], Scheduler | None],
                 zone: ZoneInfo, clock: Clock) -> None:
        self._projects = projects
        self._broadcasts = broadcasts
        self._broadcasting = broadcasting
        self._outbox = outbox
        self._people = people
        self._scheduler = scheduler
        self._zone = zone
        self._clock = clock

    @router.command("meddelande", "skicka meddelande", "message", role=Role.COORDINATOR)
    @router.verb("compose", role=Role.COORDINATOR)
    async def compose(self, context: TurnContext, turn: Turn) -> None:
        project = await self._project(context, turn, "compose")
        if project is not None:
            organisations = [o for o in await self._projects.organisations() if o.kind != "other"]
            meeting = await self._projects.next_meeting(project.id, self._clock())
            await send_card(context, compose_card(project, organisations, meeting))

    @router.verb("broadcast_preview", role=Role.COORDINATOR)
    async def preview(self, context: TurnContext, turn: Turn) -> None:
        project = await self._project(context, turn, "compose")
        if project is None:
            return
        try:
            audience, text, send_at = self._parse(turn.value)
        except ValueError as problem:
            await context.send_activity(str(problem))
            return
        recipients = await self._broadcasting.recipients(project, audience)
        if not recipients:
            await context.send_activity(t("compose.nobody"))
            return
        broadcast = await self._broadcasts.draft(project.id, str(audience), text, send_at, turn.person_id)
        when = t("compose.now") if send_at <= self._clock() else format_when(send_at, self._zone)
        await send_card(context, preview_card(broadcast.id, text, _audience_label(audience), len(recipients), when))

    @router.verb("broadcast_confirm", role=Role.COORDINATOR)
    async def confirm(self, context: TurnContext, turn: Turn) -> None:
        broadcast_id = int_value(turn.value, "broadcast_id")
        broadcast = await self._broadcasts.by_id(broadcast_id) if broadcast_id else None
        if broadcast is None or not await self._broadcasts.confirm(broadcast.id):
            await context.send_activity(t("preview.already_handled"))
            return
        project = await self._projects.by_id(broadcast.project_id)
        assert project is not None
        count = await self._broadcasting.schedule(broadcast, project)
        when = t("compose.now") if broadcast.send_at <= self._clock() else format_when(broadcast.send_at, self._zone)
        await replace_card(context, notice(t("preview.confirmed", count=count, when=when),
                                           [submit(t("delivery.show"), "delivery_status", broadcast_id=broadcast.id)]))
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.wake_at(broadcast.send_at)

    @router.verb("broadcast_cancel", role=Role.COORDINATOR)
    async def cancel(self, context: TurnContext, turn: Turn) -> None:
        broadcast_id = int_value(turn.value, "broadcast_id")
        if broadcast_id and await self._broadcasts.cancel(broadcast_id):
            await replace_card(context, notice(t("preview.cancelled")))
        else:
            await context.send_activity(t("preview.already_handled"))

    @router.verb("delivery_status", role=Role.COORDINATOR)
    async def status(self, context: TurnContext, turn: Turn) -> None:
        broadcast_id = int_value(turn.value, "broadcast_id")
        if broadcast_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        statuses = await self._outbox.status("message", f"broadcast:{broadcast_id}")
        names = await self._people.names([s.recipient for s in statuses])
        await send_card(context, status_card(statuses, names))

    @router.command("påminn", "paminn", "remind", role=Role.COORDINATOR)
    @router.verb("remind", role=Role.COORDINATOR)
    async def remind(self, context: TurnContext, turn: Turn) -> None:
        """`påminn`: a preview of the next meeting's reminder with its audience; nothing is sent
        until the coordinator confirms (as with `meddelande`)."""
        project = await self._project(context, turn, "remind")
        if project is None:
            return
        meeting = await self._projects.next_meeting(project.id, self._clock())
        if meeting is None:
            await context.send_activity(t("schedule.no_next"))
            return
        count = len(await self._broadcasting.remind_audience(meeting.id))
        await send_card(context, remind_preview_card(project, meeting, count))

    @router.verb("remind_confirm", role=Role.COORDINATOR)
    async def remind_confirm(self, context: TurnContext, turn: Turn) -> None:
        project_id, meeting_id = int_value(turn.value, "project_id"), int_value(turn.value, "meeting_id")
        project = await self._projects.by_id(project_id) if project_id else None
        meeting = next((m for m in project.meetings if m.id == meeting_id), None) if project else None
        if project is None or meeting is None:
            await context.send_activity(t("card.unknown_action"))
            return
        count = await self._broadcasting.remind_now(project, meeting.id)
        queued = t("remind.queued", registered=count_phrase("count.registered", count), number=meeting.number)
        await replace_card(context, notice(queued))
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.wake_at(self._clock())

    @router.verb("remind_cancel", role=Role.COORDINATOR)
    async def remind_cancel(self, context: TurnContext, turn: Turn) -> None:
        await replace_card(context, notice(t("remind.cancelled")))

    @router.command("koppla kanal", "link channel", role=Role.COORDINATOR, place="channel")
    @router.verb("link_channel", role=Role.COORDINATOR, shared=True)
    async def link_channel(self, context: TurnContext, turn: Turn) -> None:
        channel_data = context.activity.channel_data if isinstance(context.activity.channel_data, dict) else {}
        channel_id = (channel_data.get("channel") or {}).get("id")
        if not channel_id:
            await context.send_activity(t("link.only_in_channel"))
            return
        project = await self._project(context, turn, "link_channel")
        if project is not None:
            await self._projects.link_channel(project.id, channel_id)
            await context.send_activity(t("link.done", project=project.name))

    async def _project(self, context: TurnContext, turn: Turn, verb: str) -> Project | None:
        return await chosen_project(context, turn, await self._projects.open_projects(self._clock()), verb)

    def _parse(self, value: Mapping[str, object]) -> tuple[Audience, str, datetime]:
        try:
            audience = Audience.parse(str(value.get("audience") or ""))
        except ValueError:
            raise ValueError(t("compose.audience_missing")) from None
        text = str(value.get("text") or "").strip()
        if not clean_text(text):
            raise ValueError(t("compose.text_missing"))
        if len(text) > MAX_MESSAGE:
            raise ValueError(t("compose.text_too_long", limit=MAX_MESSAGE))
        return audience, text, self._send_time(str(value.get("date") or ""), str(value.get("time") or ""))

    def _send_time(self, day: str, clock: str) -> datetime:
        if not day and not clock:
            return self._clock()
        try:
            local_day = date.fromisoformat(day) if day else self._clock().astimezone(self._zone).date()
            local_time = time.fromisoformat(clock) if clock else time(9, 0)
        except ValueError:
            raise ValueError(t("compose.when_invalid")) from None
        moment = datetime.combine(local_day, local_time, self._zone)
        if moment < self._clock().astimezone(self._zone).replace(second=0, microsecond=0):
            raise ValueError(t("compose.when_past"))
        return moment.astimezone(ZoneInfo("UTC"))


def _audience_label(audience: Audience) -> str:
    if audience.kind == "organisation":
        return t("audience.organisation_short", key=audience.value)
    if audience.kind == "no_reply":
        return t("audience.no_reply_short")
    return t(f"audience.{audience.kind}")
