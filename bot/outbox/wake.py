"""Waking the dispatcher after a card action planned outbox rows, so they go out at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.outbox.scheduler import Scheduler


def wake(scheduler: Callable[[], Scheduler | None], moment: datetime | None) -> None:
    """Let the dispatcher send what was just planned at ``moment`` instead of at its next tick."""
    running = scheduler()
    if running is not None and moment is not None:
        running.wake_at(moment)
