"""Answers to a reminder ("Jag kommer" / "Jag kan inte") and substitutes for one meeting."""

from __future__ import annotations

from bot.features.absence.actions import AbsenceActions, router
from bot.features.absence.service import AbsenceService
from bot.features.wiring import Wiring
from storage.attendance import AttendanceRepository
from storage.substitutes import SubstituteRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    service = AbsenceService(wiring.projects, wiring.registrations, AttendanceRepository(wiring.sessions),
                             SubstituteRepository(wiring.sessions), wiring.clock)
    actions = AbsenceActions(service, wiring.projects, wiring.messenger, wiring.settings.base_url)
    wiring.include(router, actions)
    wiring.meeting_codes.append(actions.claim)
