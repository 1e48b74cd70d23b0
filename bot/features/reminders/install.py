"""Meeting reminders and change notices, planned into the outbox."""

from __future__ import annotations

from bot.core.router import Router
from bot.features.reminders.planner import ReminderPlanner
from bot.features.wiring import Wiring

ROUTERS: tuple[Router, ...] = ()
"""Nothing to type or press: reminders are planned and sent, their buttons are absence's."""


def install(wiring: Wiring) -> None:
    settings = wiring.settings
    planner = ReminderPlanner(wiring.projects, wiring.registrations, wiring.outbox, wiring.clock, settings.zone,
                              settings.quiet)
    wiring.plan(planner.plan_all)
