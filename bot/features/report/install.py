"""The project report for coordinators: card, XLSX and PDF."""

from __future__ import annotations

from bot.features.report.actions import ReportActions, router
from bot.features.report.service import ReportService
from bot.features.wiring import Wiring
from storage.checkins import CheckInRepository
from storage.reports import ReportRepository
from storage.substitutes import SubstituteRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    settings = wiring.settings
    service = ReportService(ReportRepository(wiring.sessions), CheckInRepository(wiring.sessions), wiring.results,
                            wiring.clock, SubstituteRepository(wiring.sessions))
    wiring.include(router, ReportActions(service, wiring.projects, wiring.downloads, settings.base_url,
                                         settings.zone, wiring.clock))
