"""The evaluation after every meeting: planned into the outbox, answered in chat."""

from __future__ import annotations

from bot.features.evaluation.actions import EvaluationActions, router
from bot.features.evaluation.deliveries import EvaluationDeliveries
from bot.features.evaluation.service import EvaluationPlanner, EvaluationService
from bot.features.reminders.daily import LocalDay
from bot.features.wiring import Wiring
from storage.evaluations import EvaluationRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    evaluations = EvaluationRepository(wiring.sessions)
    planner = EvaluationPlanner(wiring.projects, wiring.registrations, evaluations, wiring.outbox, wiring.clock,
                                threshold=wiring.settings.anonymity_threshold)
    wiring.plan(planner.plan_all)
    service = EvaluationService(evaluations, wiring.registrations, wiring.projects, wiring.clock)
    wiring.include(router, EvaluationActions(service, evaluations))
    day = LocalDay(wiring.clock, wiring.settings.zone, wiring.settings.quiet)
    wiring.render_all(EvaluationDeliveries(evaluations, wiring.projects, wiring.registrations, wiring.outbox,
                                           day).renderers())
