"""Wiring of case examples and homework (issue 6), so the composition root adds them in a few
lines: their Teams features, their planners and their outbox renderers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.actions import Feature, card_activity
from bot.core.settings import Settings
from bot.features.examples.actions import ExampleActions, ExampleCoordinatorActions
from bot.features.examples.requests import ExamplePlanner, ExampleRequests
from bot.features.examples.service import ExampleService
from bot.features.exchange_deliveries import CardRenderer, ExampleDeliveries, HomeworkDeliveries
from bot.features.homework.actions import HomeworkActions, HomeworkCoordinatorActions
from bot.features.homework.service import HomeworkPlanner, HomeworkService
from bot.outbox.scheduler import Scheduler
from bot.teams.downloads import Downloads
from storage.examples import ExampleRepository
from storage.homework import HomeworkRepository
from storage.models import Delivery
from storage.outbox import Outbox
from storage.participants import ParticipantRepository
from storage.projects import ProjectRepository

Clock = Callable[[], datetime]
Renderer = Callable[[Delivery], Awaitable[Activity]]


@dataclass(frozen=True)
class ExchangePlanners:
    examples: ExamplePlanner
    homework: HomeworkPlanner

    async def plan_all(self) -> int:
        return await self.examples.plan_all() + await self.homework.plan_all()


@dataclass(frozen=True)
class Exchange:
    features: Sequence[Feature]
    planners: ExchangePlanners
    renderers: dict[str, Renderer]

    @classmethod
    def build(cls, settings: Settings, sessions: async_sessionmaker[AsyncSession], downloads: Downloads,
              scheduler: Callable[[], Scheduler | None], clock: Clock) -> Exchange:
        projects, outbox = ProjectRepository(sessions), Outbox(sessions)
        participants, examples, homework = (ParticipantRepository(sessions), ExampleRepository(sessions),
                                            HomeworkRepository(sessions))
        zone, quiet = settings.zone, settings.quiet
        example_planner = ExamplePlanner(examples, participants, outbox, clock, zone, quiet)
        homework_planner = HomeworkPlanner(homework, participants, outbox, clock, zone, quiet)
        example_service = ExampleService(examples, participants, projects, outbox, clock, zone, quiet)
        homework_service = HomeworkService(homework, participants, projects, homework_planner, clock, zone)
        features: list[Feature] = [
            ExampleActions(example_service),
            ExampleCoordinatorActions(ExampleRequests(examples, participants, example_planner, clock, zone),
                                      example_service, projects, scheduler, zone, clock),
            HomeworkActions(homework_service),
            HomeworkCoordinatorActions(homework_service, projects, downloads, settings.base_url, scheduler, zone,
                                       clock),
        ]
        cards = {**ExampleDeliveries(examples, participants, projects).renderers(),
                 **HomeworkDeliveries(homework_service, homework, participants).renderers()}
        return cls(features, ExchangePlanners(example_planner, homework_planner),
                   {kind: _as_activity(render) for kind, render in cards.items()})


def _as_activity(render: CardRenderer) -> Renderer:
    async def activity(delivery: Delivery) -> Activity:
        return card_activity(await render(delivery))

    return activity
