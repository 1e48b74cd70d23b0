"""The project desk: what the project editor and the project list share (the repositories, the zone and
clock, loading the project a card names, saving under its edit version) and the guard that keeps
projects in the coordinator's personal chat."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card
from bot.core.clock import Clock
from bot.core.i18n import t
from bot.core.turn import Turn
from bot.features.projects.cards import (
    Counts,
    project_editor,
)
from bot.features.projects.rules import (
    ProjectFields,
)
from bot.features.projects.spec import ProjectSpec
from storage.models import Project
from storage.projects import EditConflict, ProjectRepository
from storage.registrations import RegistrationRepository


class ProjectDesk:
    """What every project card action shares: loading, saving with the version check, the editor."""

    def __init__(self, projects: ProjectRepository, registrations: RegistrationRepository, zone: ZoneInfo,
                 clock: Clock, plan_soon: Callable[[], None]) -> None:
        self.projects = projects
        self.registrations = registrations
        self.zone = zone
        self.clock = clock
        self.plan_soon = plan_soon

    async def counts(self, project_id: int) -> Counts:
        overview = await self.registrations.overview(project_id)
        return Counts(sum(c.registered for c in overview.counts), sum(c.waitlisted for c in overview.counts))

    async def editor(self, project: Project, notice: str = "", attention: bool = False) -> dict[str, Any]:
        return project_editor(project, self.zone, await self.counts(project.id), notice, attention)

    async def project(self, context: TurnContext, turn: Turn) -> Project | None:
        project_id = int_value(turn.value, "project_id")
        project = await self.projects.by_id(project_id) if project_id else None
        if project is None:
            await context.send_activity(t("project.not_found"))
        return project

    async def save(self, context: TurnContext, turn: Turn, project: Project, spec: ProjectSpec,
                   notice: str) -> Project | None:
        """Save ``spec`` if the card's version still holds; otherwise show what holds now, and say so."""
        try:
            saved = await self.projects.save(spec, version_of(turn.value), now=self.clock())
        except EditConflict:
            current = await self.projects.by_id(project.id)
            if current is not None:
                await replace_card(context, await self.editor(current, t("pe.conflict"), attention=True))
            return None
        self.plan_soon()
        await replace_card(context, await self.editor(saved, notice))
        return saved


def version_of(value: Mapping[str, Any]) -> int:
    """The edit version the card was made from; -2 (never current) for anything else."""
    raw = value.get("version")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 10:
        return int(raw)
    return -2


def shown_version(project: Project, value: Mapping[str, Any]) -> int:
    """The version a card shown again after a mistake saves against: the one it was made from, so its
    save still sees a change made meanwhile (the project's current one if the card's is not valid)."""
    version = version_of(value)
    return version if version >= 0 else project.edit_version


def with_fields(spec: ProjectSpec, fields: ProjectFields) -> ProjectSpec:
    return replace(spec, name=fields.name, description=fields.description, contact=fields.contact,
                   quota_per_organisation=fields.quota_per_organisation, capacity=fields.capacity,
                   registration_deadline=fields.registration_deadline)


M = TypeVar("M", bound=Callable[..., Awaitable[None]])


def personal_only(command: str) -> Callable[[M], M]:
    """Projects are run in the coordinator's 1:1 chat: a shared chat gets a pointer there, no data.
    (Their verbs are declared ``shared``, so a press in a channel reaches this guard instead of being
    moved to the personal chat.)"""

    def guard(action: M) -> M:
        @functools.wraps(action)
        async def guarded(self: object, context: TurnContext, turn: Turn) -> None:
            if turn.in_channel:
                await context.send_activity(t("pe.personal_only", command=command))
                return
            await action(self, context, turn)

        return cast(M, guarded)

    return guard
