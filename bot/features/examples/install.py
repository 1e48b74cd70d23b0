"""Case examples: requests to municipalities, sending and reviewing, `exempel` and `vem kan`."""

from __future__ import annotations

from bot.core.actions import card_activity
from bot.features.examples.actions import ExampleActions, ExampleCoordinatorActions, router
from bot.features.examples.requests import ExamplePlanner, ExampleRequests
from bot.features.examples.service import ExampleService
from bot.features.exchange_deliveries import CardRenderer, ExampleDeliveries
from bot.features.wiring import Renderer, Wiring
from storage.examples import ExampleRepository
from storage.models import Delivery
from storage.participants import ParticipantRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    settings, clock, zone = wiring.settings, wiring.clock, wiring.settings.zone
    examples, participants = ExampleRepository(wiring.sessions), ParticipantRepository(wiring.sessions)
    planner = ExamplePlanner(examples, participants, wiring.outbox, clock, zone, settings.quiet)
    service = ExampleService(examples, participants, wiring.projects, wiring.outbox, clock, zone, settings.quiet)
    wiring.include(router, ExampleActions(service),
                   ExampleCoordinatorActions(ExampleRequests(examples, participants, planner, clock, zone), service,
                                             wiring.projects, wiring.scheduler, zone, clock))
    wiring.plan(planner.plan_all)
    for kind, render in ExampleDeliveries(examples, participants, wiring.projects).renderers().items():
        wiring.render(kind, as_activity(render))


def as_activity(render: CardRenderer) -> Renderer:
    async def activity(delivery: Delivery):  # type: ignore[no-untyped-def]
        return card_activity(await render(delivery))

    return activity
