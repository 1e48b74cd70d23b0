"""`schema` and `nästa träff`: the meetings of the projects a person takes part in (or the open
ones), with calendar files."""

from __future__ import annotations

from botbuilder.core import TurnContext

from bot.core.actions import send_card
from bot.core.clock import Clock
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.registration.rules import Status
from bot.features.registration.service import RegistrationService, chosen_meetings
from bot.features.schedule.calendar import SERIES, series_file
from bot.features.schedule.cards import schedule_card
from storage.models import Project, Registration

router = Router("schedule")


class ScheduleActions:
    def __init__(self, service: RegistrationService, public_url: str, clock: Clock) -> None:
        self._service = service
        self._public_url = public_url.rstrip("/")
        self._clock = clock

    @router.command("schema", "träffar", "schedule")
    @router.verb("schedule", shared=True)
    async def schedule(self, context: TurnContext, turn: Turn) -> None:
        projects = await self._projects_for(turn)
        if not projects:
            await context.send_activity(t("register.no_projects"))
        for project, registration in projects:
            await send_card(context, schedule_card(project.name, project.meetings, self._base(project),
                                                   "schedule.title", *_calendars(project, registration)))

    @router.command("nästa träff", "nasta traff", "next meeting")
    async def next_meeting(self, context: TurnContext, turn: Turn) -> None:
        now = self._clock()
        upcoming = [(m, p, r) for p, r in await self._projects_for(turn) for m in p.meetings if m.ends_at > now]
        if not upcoming:
            await context.send_activity(t("schedule.no_next"))
            return
        meeting, project, registration = min(upcoming, key=lambda found: found[0].starts_at)
        await send_card(context, schedule_card(project.name, [meeting], self._base(project), "schedule.next_title",
                                               *_calendars(project, registration)))

    async def _projects_for(self, turn: Turn) -> list[tuple[Project, Registration | None]]:
        """The person's own projects (with their registration) when they have registered; otherwise
        the open ones."""
        if turn.person_id is not None:
            mine = {project.id: (project, registration) for registration, project in
                    await self._service.mine(turn.person_id)}
            if mine:
                return list(mine.values())
        return [(project, None) for project in await self._service.open_projects()]

    def _base(self, project: Project) -> str:
        return f"{self._public_url}/calendar/{project.calendar_token}"


def _calendars(project: Project, registration: Registration | None) -> tuple[str | None, bool]:
    """Which series file to offer and whether to offer calendars at all: someone browsing gets the
    whole series, a registered person their own meetings, a person on the waitlist none yet."""
    if registration is None:
        return SERIES, True
    if registration.status != Status.REGISTERED:
        return None, False
    return series_file(m.number for m in chosen_meetings(registration, project.meetings)), True
