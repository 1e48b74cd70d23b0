"""Evaluation results for coordinators: the card, charts and exports."""

from __future__ import annotations

from bot.features.results.actions import ResultActions, router
from bot.features.wiring import Wiring

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    settings = wiring.settings
    wiring.include(router, ResultActions(wiring.results, wiring.projects, wiring.downloads, settings.base_url,
                                         settings.zone, wiring.clock))
