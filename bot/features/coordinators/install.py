"""`samordnare`: who the coordinators are; adding and removing colleagues."""

from __future__ import annotations

from bot.features.coordinators.actions import CoordinatorAdminActions, router
from bot.features.wiring import Wiring

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    wiring.include(router, CoordinatorAdminActions(wiring.coordinators,
                                                   wiring.settings.coordinator_ids))
