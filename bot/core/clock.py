"""The bot's clocks: the one `Clock` type every module takes, and one tests can move forward
(enabled only for local, unauthenticated runs with DALALAB_TEST_HOOKS=1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# Wall-clock time, timezone-aware UTC; injected everywhere so tests never sleep.
Clock = Callable[[], datetime]
# Seconds from an arbitrary start (time.monotonic): for pacing, where only differences matter.
MonotonicClock = Callable[[], float]


class AdjustableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> datetime:
        self.offset += timedelta(seconds=seconds)
        return self()
