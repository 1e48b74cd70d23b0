"""The alumni phase in Teams: coordinators finish a project (`avsluta projekt`), link the alumni
channel (`koppla alumnkanal`) and announce events to alumni (`alumnimeddelande`); participants opt
out, answer the exchange prompt, and ask `vem kan <ämne>`."""

from __future__ import annotations

from collections.abc import Callable

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.cards import notice
from bot.core.commands import Role
from bot.core.i18n import count_phrase, format_when, t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.alumni.cards import (
    announce_card,
    announce_preview_card,
    finish_card,
    finished_card,
    opt_out_card,
    prompt_saved_card,
    who_knows_card,
)
from bot.features.alumni.rules import MAX_ANNOUNCEMENT, MAX_REPLY, PROMPT_SETTINGS, audience_projects
from bot.features.alumni.service import AlumniService, ReplyRefused
from bot.features.examples.who_knows import clean_topic, who_knows
from bot.features.projects.choice import chosen_project
from bot.features.registration.rules import clean_text
from bot.outbox.scheduler import Scheduler
from storage.alumni import ALUMNI
from storage.broadcasts import BroadcastRepository
from storage.expertise import ExpertiseRepository
from storage.models import Project
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

SchedulerRef = Callable[[], Scheduler | None]


router = Router("alumni")


class AlumniCoordinatorActions:

    def __init__(self, service: AlumniService, projects: ProjectRepository, broadcasts: BroadcastRepository,
                 scheduler: SchedulerRef) -> None:
        self._service = service
        self._projects = projects
        self._broadcasts = broadcasts
        self._scheduler = scheduler

    @router.command("avsluta projekt", "finish project", role=Role.COORDINATOR, in_manifest=False)
    @router.verb("alumni_finish_start", role=Role.COORDINATOR)
    async def finish_start(self, context: TurnContext, turn: Turn) -> None:
        candidates = [p for p in await self._projects.all_projects() if p.state != ALUMNI]
        project = await chosen_project(context, turn, candidates, "alumni_finish_start", "alumni.nothing_to_finish")
        if project is not None:
            await send_card(context, finish_card(project, len(await self._service.recipients([project.id]))))

    @router.verb("alumni_finish", role=Role.COORDINATOR)
    async def finish(self, context: TurnContext, turn: Turn) -> None:
        project = await chosen_project(
            context, turn, await self._projects.all_projects(), "alumni_finish_start", "report.no_projects"
        )
        setting = turn.value.get("prompt")
        if project is None:
            return
        if setting not in PROMPT_SETTINGS:
            await context.send_activity(t("alumni.prompt_invalid"))
            return
        result = await self._service.finish(project, str(setting))
        if not result.changed:
            await context.send_activity(t("alumni.already", project=project.name))
            return
        told = "alumni.finished_told" if result.channel_linked else "alumni.finished_waiting"
        await replace_card(context,
                           finished_card(project.id, project.name, str(setting), told, result.participants))
        self._wake()

    @router.verb("alumni_prompt_setting", role=Role.COORDINATOR)
    async def prompt_setting(self, context: TurnContext, turn: Turn) -> None:
        project_id, setting = int_value(turn.value, "project_id"), turn.value.get("prompt")
        project = await self._projects.by_id(project_id) if project_id else None
        if project is None or setting not in PROMPT_SETTINGS:
            await context.send_activity(t("card.unknown_action"))
            return
        await self._service.set_prompt(project.id, str(setting))
        await replace_card(context, prompt_saved_card(project.id, project.name, str(setting)))

    @router.command("koppla alumnkanal", "link alumni channel", role=Role.COORDINATOR, in_manifest=False,
                    place="channel")
    @router.verb("link_alumni_channel", role=Role.COORDINATOR, shared=True)
    async def link(self, context: TurnContext, turn: Turn) -> None:
        channel_data = context.activity.channel_data if isinstance(context.activity.channel_data, dict) else {}
        channel_id = (channel_data.get("channel") or {}).get("id")
        if not channel_id:
            await context.send_activity(t("alumni.link_only_in_channel"))
            return
        project = await chosen_project(
            context, turn, await self._projects.all_projects(), "link_alumni_channel", "report.no_projects"
        )
        if project is None:
            return
        shared = await self._service.link_channel(project, str(channel_id))
        others = [name for name in shared if name != project.name]
        text = t("alumni.linked", project=project.name)
        if others:
            text += " " + t("alumni.linked_shared", projects=", ".join(others))
        await context.send_activity(text)
        self._wake()

    @router.command("alumnimeddelande", "alumni message", role=Role.COORDINATOR, in_manifest=False)
    async def announce(self, context: TurnContext, turn: Turn) -> None:
        projects = await self._alumni_projects()
        if not projects:
            await context.send_activity(t("announce.no_alumni"))
            return
        await send_card(context, announce_card(projects))

    @router.verb("alumni_announce_preview", role=Role.COORDINATOR)
    async def preview(self, context: TurnContext, turn: Turn) -> None:
        projects = {p.id: p for p in await self._alumni_projects()}
        chosen = _project_ids(turn.value.get("projects"))
        text = clean_text(turn.value.get("text"))
        if not chosen or not chosen <= set(projects):
            await context.send_activity(t("announce.projects_missing"))
        elif not text or len(text) > MAX_ANNOUNCEMENT:
            await context.send_activity(t("compose.text_too_long", limit=MAX_ANNOUNCEMENT) if text
                                        else t("compose.text_missing"))
        elif not (count := len(await self._service.recipients(sorted(chosen)))):
            await context.send_activity(t("announce.nobody"))
        else:
            broadcast = await self._service.draft(sorted(chosen), text, turn.person_id)
            names = [projects[i].name for i in sorted(chosen)]
            await send_card(context, announce_preview_card(broadcast.id, text, names, count))

    @router.verb("alumni_announce_confirm", role=Role.COORDINATOR)
    async def confirm(self, context: TurnContext, turn: Turn) -> None:
        broadcast_id = int_value(turn.value, "broadcast_id")
        broadcast = await self._broadcasts.by_id(broadcast_id) if broadcast_id else None
        project_ids = audience_projects(broadcast.audience) if broadcast else []
        if broadcast is None or not project_ids or not await self._broadcasts.confirm(broadcast.id):
            await context.send_activity(t("preview.already_handled"))
            return
        count = await self._service.schedule(broadcast, project_ids)
        confirmed = t("announce.confirmed", alumni=count_phrase("count.alumni", count))
        await replace_card(context, notice(confirmed))
        self._wake()

    @router.verb("alumni_announce_cancel", role=Role.COORDINATOR)
    async def cancel(self, context: TurnContext, turn: Turn) -> None:
        broadcast_id = int_value(turn.value, "broadcast_id")
        broadcast = await self._broadcasts.by_id(broadcast_id) if broadcast_id else None
        if broadcast and audience_projects(broadcast.audience) and await self._broadcasts.cancel(broadcast.id):
            await replace_card(context, notice(t("preview.cancelled")))
        else:
            await context.send_activity(t("preview.already_handled"))

    async def _alumni_projects(self) -> list[Project]:
        return [p for p in await self._projects.all_projects() if p.state == ALUMNI]

    def _wake(self) -> None:
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.plan_soon()


def _project_ids(raw: object) -> set[int]:
    """A multi-select's value ("3,5"); anything that is not a list of ids gives an empty set."""
    parts = [part.strip() for part in str(raw or "").split(",")]
    if not all(part.isdigit() and len(part) < 12 for part in parts):
        return set()
    return {int(part) for part in parts}


class AlumniParticipantActions:
    def __init__(self, service: AlumniService, projects: ProjectRepository, registrations: RegistrationRepository,
                 expertise: ExpertiseRepository) -> None:
        self._service = service
        self._projects = projects
        self._registrations = registrations
        self._expertise = expertise

    @router.command("vem kan", "vem vet om", "who knows", argument="arg.topic")
    async def who_knows(self, context: TurnContext, turn: Turn) -> None:
        try:
            topic = clean_topic(turn.argument)
        except ValueError:
            await context.send_activity(t("whoknows.usage"))
            return
        if turn.role is not Role.COORDINATOR and not (
                turn.person_id and await self._registrations.of_person(turn.person_id)):
            await context.send_activity(t("whoknows.only_participants"))
            return
        await send_card(context, who_knows_card(topic, who_knows(topic, await self._expertise.listed_people())))

    @router.verb("alumni_opt_out")
    async def opt_out(self, context: TurnContext, turn: Turn) -> None:
        await self._choose(context, turn, True)

    @router.verb("alumni_opt_in")
    async def opt_in(self, context: TurnContext, turn: Turn) -> None:
        await self._choose(context, turn, False)

    async def _choose(self, context: TurnContext, turn: Turn, opted_out: bool) -> None:
        project_id = int_value(turn.value, "project_id")
        project = await self._projects.by_id(project_id) if project_id else None
        changed = await self._service.opt_out(project.id, turn.person_id, opted_out) \
            if project and turn.person_id else None
        if project is None or changed is None:
            await context.send_activity(t("alumni.not_participant"))
            return
        await replace_card(context, opt_out_card(project.name, project.id, opted_out))

    @router.verb("alumni_reply", shared=True)
    async def reply(self, context: TurnContext, turn: Turn) -> None:
        prompt_id = int_value(turn.value, "prompt_id")
        if prompt_id is None or turn.person_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        result = await self._service.reply(prompt_id, turn.person_id, turn.value.get("reply"))
        if isinstance(result, ReplyRefused):
            await context.send_activity(t(result.reason, limit=MAX_REPLY))
            return
        key = "alumni.reply_saved" if result.first else "alumni.reply_updated"
        await context.send_activity(t(key, name=turn.name or t("checkin.you"), when=format_when(result.digest_at)))
