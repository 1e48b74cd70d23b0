"""Triads: coordinators form conversation groups; the outbox announces them."""

from __future__ import annotations

from bot.features.triads.actions import TriadActions, router
from bot.features.triads.deliveries import TriadDeliveries
from bot.features.triads.service import TriadService
from bot.features.wiring import Wiring
from storage.triads import TriadRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    triads = TriadService(TriadRepository(wiring.sessions), wiring.projects, wiring.outbox, wiring.clock)
    wiring.include(router, TriadActions(triads, wiring.scheduler))
    wiring.render_all(TriadDeliveries(triads).renderers())
