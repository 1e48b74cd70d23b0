"""`schema` and `nästa träff`: the meetings of the projects a person takes part in (or the open
ones), with calendar files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from botbuilder.core import TurnContext

from bot.actions import Action, send_card
from bot.cards.schedule import schedule_card
from bot.i18n import t
from bot.registration import RegistrationService
from bot.turn import Turn
from storage.models import Project


class ScheduleActions:
    def __init__(self, service: RegistrationService, public_url: str, clock: Callable[[], datetime]) -> None:
        self._service = service
        self._public_url = public_url.rstrip("/")
        self._clock = clock
        self.commands: Mapping[str, Action] = {"schema": self.schedule, "nästa träff": self.next_meeting}
        self.verbs: Mapping[str, Action] = {"schedule": self.schedule}

    async def schedule(self, context: TurnContext, turn: Turn) -> None:
        projects = await self._projects_for(turn)
        if not projects:
            await context.send_activity(t("register.no_projects"))
        for project in projects:
            await send_card(
                context, schedule_card(project.name, project.meetings, self._base(project), "schedule.title")
            )

    async def next_meeting(self, context: TurnContext, turn: Turn) -> None:
        now = self._clock()
        upcoming = [(m, p) for p in await self._projects_for(turn) for m in p.meetings if m.ends_at > now]
        if not upcoming:
            await context.send_activity(t("schedule.no_next"))
            return
        meeting, project = min(upcoming, key=lambda pair: pair[0].starts_at)
        await send_card(context, schedule_card(project.name, [meeting], self._base(project), "schedule.next_title"))

    async def _projects_for(self, turn: Turn) -> list[Project]:
        """The person's own projects when they have registered; otherwise the open ones."""
        if turn.person_id is not None:
            mine = [project for _registration, project in await self._service.mine(turn.person_id)]
            if mine:
                return list({project.id: project for project in mine}.values())
        return await self._service.open_projects()

    def _base(self, project: Project) -> str:
        return f"{self._public_url}/calendar/{project.calendar_token}"
