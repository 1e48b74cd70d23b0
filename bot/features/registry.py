"""Every feature, in the order the help card lists their commands and the scheduler runs their planners
(privacy last: its retention must not hold up reminders). The command table is the union of their
declarations; adding a feature is one line here."""

from __future__ import annotations

from bot.core.commands import CommandTable
from bot.core.handler import router as core_router
from bot.core.router import command_table
from bot.features.absence import install as absence
from bot.features.alumni import install as alumni
from bot.features.attendance import install as attendance
from bot.features.coordinators import install as coordinators
from bot.features.evaluation import install as evaluation
from bot.features.examples import install as examples
from bot.features.homework import install as homework
from bot.features.messages import install as messages
from bot.features.privacy import install as privacy
from bot.features.projects import install as projects
from bot.features.questions import install as questions
from bot.features.registration import install as registration
from bot.features.reminders import install as reminders
from bot.features.report import install as report
from bot.features.results import install as results
from bot.features.schedule import install as schedule
from bot.features.triads import install as triads
from bot.features.wiring import Wiring

FEATURES = (registration, schedule, reminders, absence, evaluation, results, messages, attendance, report, alumni,
            coordinators, triads, examples, homework, projects, questions, privacy)

ROUTERS = (core_router, *(router for feature in FEATURES for router in feature.ROUTERS))

COMMANDS = CommandTable(command_table(ROUTERS))
"""Every command: the handler matches text against it; the help card and the manifest list it."""


def install_all(wiring: Wiring) -> None:
    for feature in FEATURES:
        feature.install(wiring)
