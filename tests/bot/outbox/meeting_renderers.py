"""The renderers of meeting reminders and change notices, coordinator messages and evaluations, as
build_bot registers them: for tests that send through the real OutboxSender."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.quiet_hours import QuietHours
from bot.features.evaluation.deliveries import EvaluationDeliveries
from bot.features.messages.deliveries import MessageDeliveries
from bot.features.reminders.daily import LocalDay
from bot.features.reminders.deliveries import ReminderDeliveries
from bot.outbox.renderers import Renderer
from storage.broadcasts import BroadcastRepository
from storage.evaluations import EvaluationRepository
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def meeting_renderers(sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime],
                      registrations: RegistrationRepository | None = None, outbox: Outbox | None = None,
                      public_url: str = "http://127.0.0.1:3978") -> dict[str, Renderer]:
    """``registrations`` and ``outbox``: the repositories to read through (tests pass counting ones)."""
    projects = ProjectRepository(sessions)
    registrations = registrations or RegistrationRepository(sessions)
    outbox = outbox or Outbox(sessions)
    day = LocalDay(clock, STOCKHOLM, QuietHours())
    return {**ReminderDeliveries(projects, registrations, outbox, day, public_url).renderers(),
            **MessageDeliveries(BroadcastRepository(sessions), projects).renderers(),
            **EvaluationDeliveries(EvaluationRepository(sessions), projects, registrations, outbox, day).renderers()}
