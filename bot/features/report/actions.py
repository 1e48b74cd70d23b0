"""`rapport` for coordinators: the project report as a card, and as XLSX and PDF downloads."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext

from bot.core.actions import send_card
from bot.core.clock import Clock
from bot.core.commands import Role
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.projects.choice import chosen_project
from bot.features.registration.coordinator_cards import download_card
from bot.features.report.cards import report_card
from bot.features.report.exports import report_xlsx
from bot.features.report.pdf import report_pdf
from bot.features.report.service import ReportService
from bot.teams.downloads import Downloads
from storage.projects import ProjectRepository

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}


router = Router("report")


class ReportActions:

    def __init__(self, service: ReportService, projects: ProjectRepository, downloads: Downloads, public_url: str,
                 zone: ZoneInfo, clock: Clock) -> None:
        self._service = service
        self._projects = projects
        self._downloads = downloads
        self._public_url = public_url.rstrip("/")
        self._zone = zone
        self._clock = clock

    @router.command("rapport", "projektrapport", "report", role=Role.COORDINATOR, in_manifest=False, personal=True)
    @router.verb("report", role=Role.COORDINATOR)
    async def show(self, context: TurnContext, turn: Turn) -> None:
        project = await chosen_project(
            context, turn, await self._projects.all_projects(), "report", "report.no_projects"
        )
        if project is not None:
            await send_card(context, report_card(project.id, await self._service.for_project(project)))

    @router.verb("report_export", role=Role.COORDINATOR)
    async def export(self, context: TurnContext, turn: Turn) -> None:
        file_format = turn.value.get("format")
        if file_format not in CONTENT_TYPES:
            await context.send_activity(t("card.unknown_action"))
            return
        project = await chosen_project(
            context, turn, await self._projects.all_projects(), "report", "report.no_projects"
        )
        if project is None:
            return
        report = await self._service.for_project(project)
        data = report_xlsx(report) if file_format == "xlsx" else report_pdf(report)
        filename = f"Rapport {project.name} {self._clock().astimezone(self._zone):%Y-%m-%d}.{file_format}"
        token = await self._downloads.add(filename, CONTENT_TYPES[str(file_format)], data, self._clock(),
                                          owner=turn.person_id)
        await send_card(context, download_card(t("report.export_ready", filename=filename),
                                               f"{self._public_url}/downloads/{token}"))
