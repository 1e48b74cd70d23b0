"""Case examples: requests to municipalities, sending and reviewing, `exempel` and `vem kan`."""

from __future__ import annotations

from bot.features.examples.actions import ExampleActions, ExampleCoordinatorActions, router
from bot.features.examples.deliveries import ExampleDeliveries
from bot.features.examples.requests import ExamplePlanner, ExampleRequests
from bot.features.examples.service import ExampleService
from bot.features.wiring import Wiring
from storage.examples import ExampleRepository
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
    wiring.render_all(ExampleDeliveries(examples, participants, wiring.projects).renderers())
