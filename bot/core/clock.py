"""The bot's clock: the system clock, or one tests can move forward (enabled only for local,
unauthenticated runs with DALALAB_TEST_HOOKS=1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class AdjustableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> datetime:
        self.offset += timedelta(seconds=seconds)
        return self()
