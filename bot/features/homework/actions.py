"""Homework in Teams. Participants answer on the task card (a second answer replaces the first).
Coordinators: `ny hemuppgift` (meeting, title, instructions, deadline) and `hemuppgifter`
(answers per person, with an Excel export)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.clock import Clock
from bot.core.commands import Role
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.examples.cards import problems_text
from bot.features.homework.cards import answer_saved, compilation_card, task_card, task_created, task_form, tasks_card
from bot.features.homework.exports import CONTENT_TYPE, compilation_xlsx
from bot.features.homework.service import AnswersClosed, HomeworkService, Invalid, NotAsked
from bot.features.projects.choice import chosen_project
from bot.features.registration.coordinator_cards import download_card
from bot.outbox.scheduler import Scheduler
from bot.outbox.wake import wake
from bot.teams.downloads import Downloads
from storage.models import Project
from storage.projects import ProjectRepository

DEFAULT_DEADLINE_DAYS = 7


router = Router("homework")


class HomeworkActions:
    """Participants: open the task again and answer it."""

    def __init__(self, service: HomeworkService) -> None:
        self._service = service

    @router.verb("homework_open")
    async def open(self, context: TurnContext, turn: Turn) -> None:
        """The task card, prefilled with the person's own answer."""
        assignment_id = int_value(turn.value, "assignment_id")
        task = await self._service.task(assignment_id) if assignment_id else None
        if task is None or turn.person_id is None:
            await context.send_activity(t("homework.not_found"))
            return
        previous = await self._service.own_answer(task, turn.person_id)
        if isinstance(previous, NotAsked):
            await context.send_activity(t("homework.not_asked"))
            return
        await send_card(context, task_card(task, previous))

    @router.verb("homework_answer")
    async def answer(self, context: TurnContext, turn: Turn) -> None:
        assignment_id = int_value(turn.value, "assignment_id")
        if assignment_id is None or turn.person_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        result = await self._service.answer(assignment_id, turn.person_id, turn.value)
        if result is None:
            await context.send_activity(t("homework.not_found"))
        elif isinstance(result, NotAsked):
            await context.send_activity(t("homework.not_asked"))
        elif isinstance(result, AnswersClosed):
            await context.send_activity(t("homework.closed"))
        elif isinstance(result, Invalid):
            await context.send_activity(problems_text("homework.answer_problems", result.problems))
        else:
            await replace_card(context, answer_saved(assignment_id, result.first))


class HomeworkCoordinatorActions:
    """Coordinator-only: post a task, follow the answers, export them."""


    def __init__(self, service: HomeworkService, projects: ProjectRepository, downloads: Downloads, public_url: str,
                 scheduler: Callable[[], Scheduler | None], zone: ZoneInfo, clock: Clock) -> None:
        self._service = service
        self._projects = projects
        self._downloads = downloads
        self._public_url = public_url.rstrip("/")
        self._scheduler = scheduler
        self._zone = zone
        self._clock = clock

    @router.command("ny hemuppgift", "new homework", role=Role.COORDINATOR, in_manifest=False)
    @router.verb("homework_start", role=Role.COORDINATOR)
    async def form(self, context: TurnContext, turn: Turn) -> None:
        project = await chosen_project(context, turn, await self._projects.open_projects(self._clock()),
                                       "homework_start")
        if project is None:
            return
        meetings = self._service.meetings_ahead(project)
        if not meetings:
            await context.send_activity(t("homework.no_meetings", project=project.name))
            return
        default_day = self._clock().astimezone(self._zone).date() + timedelta(days=DEFAULT_DEADLINE_DAYS)
        day_before = (meetings[0].starts_at.astimezone(self._zone) - timedelta(days=1)).date()
        default_day = max(min(default_day, day_before), self._clock().astimezone(self._zone).date())
        await send_card(context, task_form(project.id, project.name, meetings, default_day))

    @router.verb("homework_create", role=Role.COORDINATOR)
    async def create(self, context: TurnContext, turn: Turn) -> None:
        project = await chosen_project(context, turn, await self._projects.open_projects(self._clock()),
                                       "homework_start")
        if project is None:
            return
        result = await self._service.create(project, turn.person_id, turn.value)
        if isinstance(result, Invalid):
            await context.send_activity(problems_text("homework.task_problems", result.problems))
            return
        await replace_card(context, task_created(result.assignment.title, result.people, result.nudge_at,
                                                 result.compilation_at, result.created))
        wake(self._scheduler, self._clock())

    @router.command("hemuppgifter", "homework", role=Role.COORDINATOR, in_manifest=False, personal=True)
    @router.verb("homework_list", role=Role.COORDINATOR)
    async def tasks(self, context: TurnContext, turn: Turn) -> None:
        project = await self._any_project(context, turn, "homework_list")
        if project is not None:
            await send_card(context, tasks_card(project.name, await self._service.tasks(project)))

    @router.verb("homework_compilation", role=Role.COORDINATOR)
    async def compilation(self, context: TurnContext, turn: Turn) -> None:
        assignment_id = int_value(turn.value, "assignment_id")
        compilation = await self._service.compilation(assignment_id) if assignment_id else None
        if compilation is None:
            await context.send_activity(t("homework.not_found"))
            return
        await send_card(context, compilation_card(compilation))

    @router.verb("homework_export", role=Role.COORDINATOR)
    async def export(self, context: TurnContext, turn: Turn) -> None:
        assignment_id = int_value(turn.value, "assignment_id")
        compilation = await self._service.compilation(assignment_id) if assignment_id else None
        if compilation is None:
            await context.send_activity(t("homework.not_found"))
            return
        day = self._clock().astimezone(self._zone)
        filename = f"Hemuppgift {_file_safe(compilation.task.assignment.title)} {day:%Y-%m-%d}.xlsx"
        token = await self._downloads.add(filename, CONTENT_TYPE, compilation_xlsx(compilation), self._clock(),
                                          owner=turn.person_id)
        text = t("homework.export_ready", count=len(compilation.answers), filename=filename)
        await send_card(context, download_card(text, f"{self._public_url}/downloads/{token}"))

    async def _any_project(self, context: TurnContext, turn: Turn, verb: str) -> Project | None:
        return await chosen_project(context, turn, await self._projects.all_projects(), verb)


def _file_safe(title: str) -> str:
    kept = "".join(ch if ch.isalnum() or ch in " -_" else " " for ch in title)
    return " ".join(kept.split())[:60]
