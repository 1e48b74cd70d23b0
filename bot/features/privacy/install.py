"""Privacy: a person's own data and erasure; retention (run last of the planners)."""

from __future__ import annotations

from datetime import timedelta

from bot.features.privacy.actions import PrivacyActions, router
from bot.features.privacy.service import PrivacyService, RetentionPlanner
from bot.features.wiring import Wiring
from storage.erasure import ErasureRepository
from storage.privacy import PrivacyRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    settings = wiring.settings
    erasure = ErasureRepository(wiring.sessions)
    service = PrivacyService(PrivacyRepository(wiring.sessions), erasure, wiring.people, wiring.downloads,
                             wiring.clock, settings.zone, settings.base_url)
    wiring.include(router, PrivacyActions(service, settings.retention_days))
    retention = RetentionPlanner(erasure, wiring.people, wiring.clock, timedelta(days=settings.retention_days),
                                 settings.coordinator_ids)
    wiring.plan(retention.run)
