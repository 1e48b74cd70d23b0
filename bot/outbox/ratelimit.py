"""Teams rate limits for a bot, enforced before each send: per conversation (7 per second,
8 per 2 s, 60 per 30 s, 1800 per hour) and for the whole app (50 per second), plus a
"throttled until" time every sender respects after a 429."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bot.core.clock import MonotonicClock

PER_CONVERSATION = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
GLOBAL = ((1.0, 50),)
SAFETY_MARGIN = 0.02
"""Seconds the bot adds to each of Teams' windows (see RateLimiter): 2% below Teams' 50 per second."""


@dataclass
class SlidingWindows:
    """Send times within the longest window; a send is allowed when every window has room."""

    limits: tuple[tuple[float, int], ...]
    sent: deque[float] = field(default_factory=deque)
    margin: float = 0.0

    def wait_time(self, now: float) -> float:
        sent = self.sent
        longest = max(window for window, _ in self.limits) + self.margin
        while sent and sent[0] <= now - longest:
            sent.popleft()
        wait = 0.0
        for window, count in self.limits:
            window += self.margin
            # The times are in order (recorded from a monotonic clock; restamp keeps them so): the sends
            # within a window are the last ones, and it is full when the count-th last is within it. One
            # look per window, not a walk over the hour's sends (up to 1800 a conversation).
            if len(sent) >= count and sent[-count] > now - window:
                wait = max(wait, sent[-count] + window - now)
        return wait

    def record(self, now: float) -> None:
        self.sent.append(now)


class RateLimiter:
    """Tells how long to wait before the next send to a conversation; the caller sleeps."""

    def __init__(self, clock: MonotonicClock, per_conversation: tuple[tuple[float, int], ...] = PER_CONVERSATION,
                 overall: tuple[tuple[float, int], ...] = GLOBAL, margin: float = 0.0) -> None:
        """``margin``: seconds added to every window. Teams counts a message when it arrives, a
        little after the sender counted it, and by varying amounts (the sends of a wave leave one
        after the other): without a margin a send timed to the window's edge can arrive inside it."""
        self._clock = clock
        self._per_conversation = per_conversation
        self._margin = margin
        self._conversations: dict[str, SlidingWindows] = {}
        self._overall = SlidingWindows(overall, margin=margin)
        self._throttled_until = 0.0
        self._next_cleanup = 0.0

    def wait_time(self, conversation: str) -> float:
        now = self._clock()
        windows = self._conversations.get(conversation)
        per_conversation = windows.wait_time(now) if windows else 0.0
        return max(per_conversation, self._overall.wait_time(now), self._throttled_until - now, 0.0)

    def record(self, conversation: str) -> None:
        now = self._clock()
        windows = self._conversations.get(conversation)
        if windows is None:
            windows = self._conversations[conversation] = SlidingWindows(self._per_conversation, margin=self._margin)
        windows.record(now)
        self._overall.record(now)
        if len(self._conversations) > 10_000 and now >= self._next_cleanup:
            # A walk over every conversation: at most once a minute, not on every send of a big fan-out.
            self._forget_idle(now)
            self._next_cleanup = now + 60.0

    def restamp(self, conversations: list[str]) -> None:
        """Move the times of the last sends recorded, one per conversation given (in the order they
        were recorded, nothing recorded since), to now: a wave recorded when it was put together is
        counted again once its answers are in, when Teams has certainly counted it (a first send that
        builds a client, or a slow database write before the wave, would otherwise make the bot's
        windows start before Teams' do)."""
        now = self._clock()
        for conversation in conversations:
            windows = self._conversations.get(conversation)
            if windows is not None and windows.sent:
                windows.sent[-1] = max(windows.sent[-1], now)
        sent = self._overall.sent
        for index in range(max(0, len(sent) - len(conversations)), len(sent)):
            sent[index] = max(sent[index], now)

    def throttle(self, seconds: float) -> None:
        """After a 429: nobody sends until ``seconds`` from now."""
        self._throttled_until = max(self._throttled_until, self._clock() + seconds)

    def _forget_idle(self, now: float) -> None:
        for conversation in [c for c, w in self._conversations.items() if w.wait_time(now) == 0 and not w.sent]:
            del self._conversations[conversation]
