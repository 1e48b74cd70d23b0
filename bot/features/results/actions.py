"""`resultat` for coordinators: evaluation results per project, with charts and exports."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext

from bot.core.actions import send_card
from bot.core.clock import Clock
from bot.core.commands import Role
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.evaluation.service import EvaluationResults
from bot.features.projects.choice import chosen_project
from bot.features.registration.coordinator_cards import download_card
from bot.features.results.cards import results_card
from bot.features.results.exports import results_csv, results_xlsx
from bot.teams.downloads import Downloads
from storage.models import Project
from storage.projects import ProjectRepository

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8"}


router = Router("results")


class ResultActions:

    def __init__(self, results: EvaluationResults, projects: ProjectRepository, downloads: Downloads,
                 public_url: str, zone: ZoneInfo, clock: Clock) -> None:
        self._results = results
        self._projects = projects
        self._downloads = downloads
        self._public_url = public_url.rstrip("/")
        self._zone = zone
        self._clock = clock

    @router.command("resultat", "results", role=Role.COORDINATOR, personal=True)
    @router.verb("results", role=Role.COORDINATOR)
    async def show(self, context: TurnContext, turn: Turn) -> None:
        project = await self._project(context, turn)
        if project is not None:
            results = await self._results.for_project(project)
            await send_card(context, results_card(project.id, project.name, results, f"{self._public_url}/charts"))

    @router.verb("results_export", role=Role.COORDINATOR)
    async def export(self, context: TurnContext, turn: Turn) -> None:
        project = await self._project(context, turn)
        file_format = turn.value.get("format")
        if project is None or file_format not in CONTENT_TYPES:
            return
        results = await self._results.for_project(project)
        if file_format == "xlsx":
            data = results_xlsx(project.name, results.results, results.trend, results.questions, results.summary)
        else:
            data = results_csv(results.results, results.questions)
        filename = f"Utvärdering {project.name} {self._clock().astimezone(self._zone):%Y-%m-%d}.{file_format}"
        token = await self._downloads.add(filename, CONTENT_TYPES[file_format], data, self._clock(),
                                          owner=turn.person_id)
        await send_card(context, download_card(t("results.export_ready", filename=filename),
                                               f"{self._public_url}/downloads/{token}"))

    async def _project(self, context: TurnContext, turn: Turn) -> Project | None:
        return await chosen_project(context, turn, await self._projects.all_projects(), "results")
