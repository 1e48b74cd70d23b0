"""Coordinator actions in Teams: registrations per municipality, exports, project settings."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext

from bot.core.actions import send_card
from bot.core.clock import Clock
from bot.core.commands import Role
from bot.core.i18n import count_phrase, t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.projects.choice import chosen_project
from bot.features.registration.coordinator_cards import download_card, overview_card, settings_card, settings_summary
from bot.features.registration.exports import RegistrationRow, registrations_csv, registrations_xlsx
from bot.features.registration.notices import RegistrationNotices
from bot.teams.downloads import Downloads
from storage.models import Project, Registration
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


router = Router("registration.coordinator")


class CoordinatorActions:

    def __init__(
        self,
        projects: ProjectRepository,
        registrations: RegistrationRepository,
        downloads: Downloads,
        notices: RegistrationNotices,
        public_url: str,
        zone: ZoneInfo,
        clock: Clock,
    ) -> None:
        self._projects = projects
        self._registrations = registrations
        self._downloads = downloads
        self._notices = notices
        self._public_url = public_url.rstrip("/")
        self._zone = zone
        self._clock = clock

    @router.command("anmälningar", "anmalningar", "registrations", role=Role.COORDINATOR, personal=True)
    @router.verb("overview", role=Role.COORDINATOR)
    async def overview(self, context: TurnContext, turn: Turn) -> None:
        project = await self._chosen_project(context, turn, "overview")
        if project is not None:
            await send_card(context, overview_card(project, await self._registrations.overview(project.id)))

    @router.verb("export", role=Role.COORDINATOR)
    async def export(self, context: TurnContext, turn: Turn) -> None:
        project = await self._chosen_project(context, turn, "overview")
        file_format = turn.value.get("format")
        if project is None or file_format not in CONTENT_TYPES:
            return
        rows = [_row(r, project) for r in await self._registrations.for_export(project.id)]
        if file_format == "xlsx":
            overview = await self._registrations.overview(project.id)
            summary = [(c.organisation, c.registered, c.waitlisted) for c in overview.counts]
            data = registrations_xlsx(rows, project.name, summary)
        else:
            data = registrations_csv(rows)
        filename = f"Anmälningar {project.name} {self._clock().astimezone(self._zone):%Y-%m-%d}.{file_format}"
        token = await self._downloads.add(filename, CONTENT_TYPES[file_format], data, self._clock(),
                                          owner=turn.person_id)
        url = f"{self._public_url}/downloads/{token}"
        ready = t("download.ready", registrations=count_phrase("count.registrations", len(rows)), filename=filename)
        await send_card(context, download_card(ready, url))

    @router.verb("project_settings_open", role=Role.COORDINATOR)
    async def open_settings(self, context: TurnContext, turn: Turn) -> None:
        project = await self._chosen_project(context, turn, "project_settings_open")
        if project is not None:
            await send_card(context, settings_card(project, self._zone))

    @router.verb("project_settings", role=Role.COORDINATOR)
    async def save_settings(self, context: TurnContext, turn: Turn) -> None:
        project = await self._chosen_project(context, turn, "project_settings_open")
        if project is None:
            return
        try:
            quota, capacity, deadline = _parse_settings(turn.value, self._zone)
        except ValueError as problem:
            await context.send_activity(str(problem))
            return
        updated = await self._projects.update_settings(
            project.id, quota_per_organisation=quota, capacity=capacity, registration_deadline=deadline
        )
        if updated is None:
            await context.send_activity(t("project.not_found"))
            return
        await context.send_activity(settings_summary(updated))
        for promoted in await self._registrations.fill_free_places(project.id):
            await self._notices.tell_promoted(promoted, updated)

    async def _chosen_project(self, context: TurnContext, turn: Turn, verb: str) -> Project | None:
        return await chosen_project(context, turn, await self._projects.all_projects(), verb)



def _row(registration: Registration, project: Project) -> RegistrationRow:
    chosen = {link.meeting_id for link in registration.meetings}
    numbers = [str(m.number) for m in project.meetings if m.id in chosen]
    return RegistrationRow(
        organisation=registration.organisation_other or registration.organisation.name,
        name=registration.name,
        role_title=registration.role_title,
        email=registration.email,
        status=registration.status,
        meetings=", ".join(numbers),
        dietary=registration.dietary,
        consent_list=registration.consent_list,
        registered_at=registration.created_at,
    )


def _parse_settings(value: Mapping[str, object], zone: ZoneInfo) -> tuple[int, int | None, datetime | None]:
    """Validate the settings card again on the server; a ValueError carries the message to show."""
    quota = _whole_number(value.get("quota"), 1, 50)
    if quota is None:
        raise ValueError(t("settings.quota_invalid"))
    raw_capacity = value.get("capacity")
    capacity = None
    if raw_capacity not in (None, ""):
        capacity = _whole_number(raw_capacity, 1, 10000)
        if capacity is None:
            raise ValueError(t("settings.capacity_invalid"))
    raw_deadline = str(value.get("deadline") or "").strip()
    deadline = None
    if raw_deadline:
        try:
            last_day = date.fromisoformat(raw_deadline)
        except ValueError:
            raise ValueError(t("settings.deadline_invalid")) from None
        # Open through the whole last day in Stockholm: it closes at the following midnight.
        deadline = datetime.combine(last_day + timedelta(days=1), time(0, 0), zone).astimezone(ZoneInfo("UTC"))
    return quota, capacity, deadline


def _whole_number(raw: object, low: int, high: int) -> int | None:
    text = str(raw).strip() if raw is not None else ""
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    number = int(text)
    return number if low <= number <= high else None
