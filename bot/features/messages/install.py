"""Coordinator messages, manual reminders and linking the project channel."""

from __future__ import annotations

from bot.features.messages.actions import MessageActions, router
from bot.features.messages.deliveries import MessageDeliveries
from bot.features.messages.service import Broadcasting
from bot.features.wiring import Wiring
from storage.attendance import AttendanceRepository
from storage.broadcasts import BroadcastRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    settings = wiring.settings
    broadcasting = Broadcasting(wiring.registrations, AttendanceRepository(wiring.sessions), wiring.outbox,
                                wiring.clock, settings.zone, settings.quiet)
    broadcasts = BroadcastRepository(wiring.sessions)
    wiring.include(router, MessageActions(wiring.projects, broadcasts, broadcasting, wiring.outbox, wiring.people,
                                          wiring.scheduler, settings.zone, wiring.clock))
    wiring.render_all(MessageDeliveries(broadcasts, wiring.projects).renderers())
