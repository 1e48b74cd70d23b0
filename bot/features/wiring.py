"""What a feature's ``install(wiring)`` builds itself from, and what it hands back: its routes (commands,
card verbs, text hooks), its planners (database -> outbox, run by the scheduler) and its outbox
renderers. One wiring style for every feature; the composition root (app.py) runs them all through
bot/features/registry.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import Clock
from bot.core.router import Router, Routes
from bot.core.settings import Settings
from bot.core.turn import Turn
from bot.features.evaluation.service import EvaluationResults
from bot.features.registration.notices import RegistrationNotices
from bot.features.registration.service import RegistrationService
from bot.features.reminders.planner import PlanReport
from bot.outbox.renderers import Renderer
from bot.outbox.scheduler import Scheduler
from bot.outbox.sender import OutboxSender
from bot.teams.downloads import Downloads
from bot.teams.proactive import Messenger
from storage.coordinators import CoordinatorRepository
from storage.outbox import Outbox
from storage.people import PeopleRepository
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from storage.state import LeanConversationState

Planner = Callable[[], Awaitable[int | PlanReport]]
"""Derives outbox rows from the database; idempotent, returns how many it planned."""
MeetingCode = Callable[[TurnContext, Turn], Awaitable[bool]]
"""Tries `ta över <kod>` as a one-meeting substitute code; True when it was one."""


@dataclass
class Wiring:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    messenger: Messenger
    outbox: Outbox
    downloads: Downloads
    people: PeopleRepository
    """One instance for the whole bot (its caches of who is known are cleared on erasure)."""
    projects: ProjectRepository
    registrations: RegistrationRepository
    coordinators: CoordinatorRepository
    """One instance for the whole bot: its cache of coordinator ids is cleared when one is added."""
    conversation_state: LeanConversationState
    scheduler: Callable[[], Scheduler | None]
    """The running scheduler, when this process runs it (bot/outbox/leader.py); None otherwise."""
    registration: RegistrationService
    notices: RegistrationNotices
    results: EvaluationResults
    sender: OutboxSender
    """The outbox's sender: every feature's renderers, by delivery kind (a kind claimed twice is refused)."""
    routes: Routes = field(default_factory=Routes)
    planners: list[Planner] = field(default_factory=list)
    meeting_codes: list[MeetingCode] = field(default_factory=list)

    def include(self, router: Router, *actions: object) -> None:
        """The feature's declarations, run by ``actions`` (see bot/core/router.py)."""
        self.routes.bind(router, *actions)

    def plan(self, planner: Planner) -> None:
        self.planners.append(planner)

    def render_all(self, renderers: Mapping[str, Renderer]) -> None:
        """A feature's ``XDeliveries(...).renderers()``: its delivery kinds, each with its renderer."""
        self.sender.add_renderers(renderers)

    def after_registration_change(self) -> None:
        """Registrations changed: plan reminders and evaluations for them soon."""
        scheduler = self.scheduler()
        if scheduler is not None:
            scheduler.plan_soon()

    async def try_meeting_code(self, context: TurnContext, turn: Turn) -> bool:
        for code in self.meeting_codes:
            if await code(context, turn):
                return True
        return False


@dataclass(frozen=True)
class Planning:
    """Every feature's planner, run in order by the scheduler (privacy's retention last: a failure
    there must not hold up reminders)."""

    planners: tuple[Planner, ...]

    async def plan_all(self) -> PlanReport:
        planned = updates = 0
        for planner in self.planners:
            report = await planner()
            if isinstance(report, PlanReport):
                planned, updates = planned + report.planned, updates + report.updates
            else:
                planned += report
        return PlanReport(planned, updates)
