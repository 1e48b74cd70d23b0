"""Free text that is no command: small talk, and questions passed on to the coordinators."""

from __future__ import annotations

from bot.features.questions.actions import QuestionActions, QuestionAnswerActions, router
from bot.features.wiring import Wiring

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    coordinators = wiring.coordinators
    configured = wiring.settings.coordinator_ids

    async def coordinator_ids() -> frozenset[str]:
        return configured | await coordinators.ids()

    wiring.include(router, QuestionActions(wiring.registration, wiring.messenger, coordinator_ids),
                   QuestionAnswerActions(wiring.messenger))
