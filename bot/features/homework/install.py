"""Homework: coordinators post tasks, participants answer on the card, compilations and exports."""

from __future__ import annotations

from bot.features.homework.actions import HomeworkActions, HomeworkCoordinatorActions, router
from bot.features.homework.deliveries import HomeworkDeliveries
from bot.features.homework.service import HomeworkPlanner, HomeworkService
from bot.features.wiring import Wiring
from storage.homework import HomeworkRepository
from storage.participants import ParticipantRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    settings, clock, zone = wiring.settings, wiring.clock, wiring.settings.zone
    homework, participants = HomeworkRepository(wiring.sessions), ParticipantRepository(wiring.sessions)
    planner = HomeworkPlanner(homework, participants, wiring.outbox, clock, zone, settings.quiet)
    service = HomeworkService(homework, participants, wiring.projects, planner, clock, zone)
    wiring.include(router, HomeworkActions(service),
                   HomeworkCoordinatorActions(service, wiring.projects, wiring.downloads, settings.base_url,
                                              wiring.scheduler, zone, clock))
    wiring.plan(planner.plan_all)
    wiring.render_all(HomeworkDeliveries(service, homework, participants).renderers())
