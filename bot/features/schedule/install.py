"""The schedule: `schema` and `nästa träff`, with calendar files."""

from __future__ import annotations

from bot.features.schedule.actions import ScheduleActions, router
from bot.features.wiring import Wiring

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    wiring.include(router, ScheduleActions(wiring.registration, wiring.settings.base_url, wiring.clock))
