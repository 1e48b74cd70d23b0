"""Wiring of attendance, the project report and the alumni phase (issue 7), so the composition root
adds them in a few lines: their Teams features, their planners and their outbox renderers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.actions import Feature
from bot.core.i18n import t, use_language
from bot.core.settings import Settings
from bot.features.alumni.actions import AlumniCoordinatorActions, AlumniParticipantActions
from bot.features.alumni.service import AlumniPlanner, AlumniService
from bot.features.attendance.actions import AttendanceListActions, CheckInActions
from bot.features.attendance.service import AttendanceList, CheckInPlanner, CheckInService
from bot.features.evaluation.service import EvaluationResults
from bot.features.followup_deliveries import FollowUpDeliveries, Renderer
from bot.features.report.actions import ReportActions
from bot.features.report.service import ReportService
from bot.outbox.scheduler import Scheduler
from bot.teams.downloads import Downloads
from storage.alumni import AlumniRepository
from storage.broadcasts import BroadcastRepository
from storage.checkins import CheckInRepository
from storage.expertise import ExpertiseRepository
from storage.outbox import Outbox
from storage.people import PeopleRepository
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from storage.reports import ReportRepository
from storage.substitutes import SubstituteRepository

Clock = Callable[[], datetime]


def alumni_question() -> str:
    """The exchange prompt is asked in the region's language, whoever's turn it is."""
    with use_language("sv"):
        return t("alumni.question")


@dataclass(frozen=True)
class FollowUpPlanners:
    checkins: CheckInPlanner
    alumni: AlumniPlanner

    async def plan_all(self) -> int:
        return await self.checkins.plan_all() + await self.alumni.plan_all()


@dataclass(frozen=True)
class FollowUps:
    features: Sequence[Feature]
    planners: FollowUpPlanners
    renderers: dict[str, Renderer]

    @classmethod
    def build(cls, settings: Settings, sessions: async_sessionmaker[AsyncSession], results: EvaluationResults,
              downloads: Downloads, scheduler: Callable[[], Scheduler | None], clock: Clock) -> FollowUps:
        projects, registrations = ProjectRepository(sessions), RegistrationRepository(sessions)
        checkins, alumni, outbox = CheckInRepository(sessions), AlumniRepository(sessions), Outbox(sessions)
        broadcasts = BroadcastRepository(sessions)
        alumni_service = AlumniService(alumni, broadcasts, outbox, clock, settings.zone, settings.quiet)
        attendance = AttendanceList(registrations, checkins, SubstituteRepository(sessions), clock)
        features: list[Feature] = [
            CheckInActions(CheckInService(projects, registrations, checkins, clock)),
            AttendanceListActions(projects, attendance, clock),
            ReportActions(ReportService(ReportRepository(sessions), checkins, results, clock,
                                        SubstituteRepository(sessions)), projects, downloads,
                          settings.base_url, settings.zone, clock),
            AlumniCoordinatorActions(alumni_service, projects, broadcasts, scheduler),
            AlumniParticipantActions(alumni_service, projects, registrations, ExpertiseRepository(sessions)),
        ]
        planners = FollowUpPlanners(CheckInPlanner(projects, registrations, outbox, clock),
                                    AlumniPlanner(alumni, outbox, clock, settings.zone, alumni_question))
        deliveries = FollowUpDeliveries(projects, registrations, checkins, alumni, broadcasts,
                                        PeopleRepository(sessions))
        return cls(features, planners, deliveries.renderers())
