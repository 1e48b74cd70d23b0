"""Meeting reminders and change notices, planned into the outbox and rendered for it."""

from __future__ import annotations

from bot.core.router import Router
from bot.features.reminders.daily import LocalDay
from bot.features.reminders.deliveries import ReminderDeliveries
from bot.features.reminders.planner import ReminderPlanner
from bot.features.wiring import Wiring

ROUTERS: tuple[Router, ...] = ()
"""Nothing to type or press: reminders are planned and sent, their buttons are absence's."""


def install(wiring: Wiring) -> None:
    settings = wiring.settings
    planner = ReminderPlanner(wiring.projects, wiring.registrations, wiring.outbox, wiring.clock, settings.zone,
                              settings.quiet)
    wiring.plan(planner.plan_all)
    day = LocalDay(wiring.clock, settings.zone, settings.quiet)
    wiring.render_all(ReminderDeliveries(wiring.projects, wiring.registrations, wiring.outbox, day,
                                         settings.base_url).renderers())
