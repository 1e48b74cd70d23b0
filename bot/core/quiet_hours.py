"""Quiet hours: the local times when the bot sends nobody anything (21.00-07.00 unless QUIET_HOURS
says otherwise). In core because the settings parse them; pure, so rules modules may use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class QuietHours:
    """No messages from ``start`` to ``end`` local time (21.00–07.00 by default)."""

    start: time = time(21, 0)
    end: time = time(7, 0)

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """"21-07" or "21:30-06:45"; "" or "off" means no quiet hours."""
        text = text.strip().lower()
        if text in ("", "off", "av"):
            return cls(time(0, 0), time(0, 0))
        try:
            start, end = (_clock(part) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"quiet hours {text!r} are not like 21-07") from None
        return cls(start, end)


def _clock(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))
