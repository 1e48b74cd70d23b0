"""Attendance: the check-in card at a meeting's start, and the coordinator's attendance list."""

from __future__ import annotations

from bot.features.attendance.actions import AttendanceListActions, CheckInActions, router
from bot.features.attendance.service import KIND, AttendanceList, CheckInPlanner, CheckInService
from bot.features.followup_deliveries import FollowUpDeliveries
from bot.features.wiring import Wiring
from storage.alumni import AlumniRepository
from storage.broadcasts import BroadcastRepository
from storage.checkins import CheckInRepository
from storage.substitutes import SubstituteRepository

ROUTERS = (router,)


def install(wiring: Wiring) -> None:
    projects, registrations, clock = wiring.projects, wiring.registrations, wiring.clock
    checkins = CheckInRepository(wiring.sessions)
    attendance = AttendanceList(registrations, checkins, SubstituteRepository(wiring.sessions), clock)
    wiring.include(router, CheckInActions(CheckInService(projects, registrations, checkins, clock)),
                   AttendanceListActions(projects, attendance, clock))
    wiring.plan(CheckInPlanner(projects, registrations, wiring.outbox, clock).plan_all)
    deliveries = FollowUpDeliveries(projects, registrations, checkins, AlumniRepository(wiring.sessions),
                                    BroadcastRepository(wiring.sessions), wiring.people)
    wiring.render(KIND, deliveries.renderers()[KIND])
