"""Attendance: the check-in card at a meeting's start, and the coordinator's attendance list."""

from __future__ import annotations

from bot.features.attendance.actions import AttendanceListActions, CheckInActions, router
from bot.features.attendance.deliveries import AttendanceDeliveries
from bot.features.attendance.service import AttendanceList, CheckInPlanner, CheckInService
from bot.features.wiring import Wiring
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
    wiring.render_all(AttendanceDeliveries(projects).renderers())
