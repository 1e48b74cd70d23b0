"""The alumni phase: finishing a project, the alumni channel, its exchange prompt and digest."""

from __future__ import annotations

from bot.core.i18n import t, use_language
from bot.features.alumni.actions import AlumniCoordinatorActions, AlumniParticipantActions, router
from bot.features.alumni.deliveries import AlumniDeliveries
from bot.features.alumni.service import AlumniPlanner, AlumniService
from bot.features.wiring import Wiring
from storage.alumni import AlumniRepository
from storage.broadcasts import BroadcastRepository
from storage.expertise import ExpertiseRepository

ROUTERS = (router,)


def alumni_question() -> str:
    """The exchange prompt is asked in the region's language, whoever's turn it is."""
    with use_language("sv"):
        return t("alumni.question")


def install(wiring: Wiring) -> None:
    settings, clock = wiring.settings, wiring.clock
    alumni, broadcasts = AlumniRepository(wiring.sessions), BroadcastRepository(wiring.sessions)
    service = AlumniService(alumni, broadcasts, wiring.outbox, clock, settings.zone, settings.quiet)
    wiring.include(router, AlumniCoordinatorActions(service, wiring.projects, broadcasts, wiring.scheduler),
                   AlumniParticipantActions(service, wiring.projects, wiring.registrations,
                                            ExpertiseRepository(wiring.sessions)))
    wiring.plan(AlumniPlanner(alumni, wiring.outbox, clock, settings.zone, alumni_question).plan_all)
    wiring.render_all(AlumniDeliveries(wiring.projects, alumni, broadcasts, wiring.people).renderers())
