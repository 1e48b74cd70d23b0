"""The dispatcher: sends due outbox rows within Teams' rate limits, retries what is worth
retrying, and records every outcome. One failing recipient never holds up the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.ratelimit import RateLimiter
from bot.retry import RetryPolicy
from storage.models import Delivery
from storage.outbox import Outbox

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


class DeliveryError(Exception):
    """A send that did not go through; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class NotRelevant(Exception):
    """Nothing to send any more (the person cancelled, the meeting is gone)."""


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> str | None:
        """Send one delivery; returns the activity id. Raises DeliveryError or NotRelevant."""


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


class Dispatcher:
    def __init__(self, outbox: Outbox, sender: Sender, limiter: RateLimiter, clock: Clock,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, concurrency: int = 8) -> None:
        self._outbox = outbox
        self._sender = sender
        self._limiter = limiter
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._concurrency = concurrency
        self._lock = asyncio.Lock()

    async def run_once(self, batch: int = 200) -> DispatchReport:
        """Send everything due now (in batches until none is left); one run at a time per process."""
        report = DispatchReport()
        async with self._lock:
            while claimed := await self._outbox.claim_due(self._clock(), batch):
                await self._send_all(claimed, report)
                if len(claimed) < batch:
                    break
        return report

    async def _send_all(self, deliveries: list[Delivery], report: DispatchReport) -> None:
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        for delivery in deliveries:
            queue.put_nowait(delivery)

        async def worker() -> None:
            while not queue.empty():
                await self._send_one(queue.get_nowait(), report)

        await asyncio.gather(*(worker() for _ in range(min(self._concurrency, len(deliveries)))))

    async def _send_one(self, delivery: Delivery, report: DispatchReport) -> None:
        now = self._clock()
        if delivery.relevant_until is not None and now >= delivery.relevant_until:
            await self._outbox.mark_skipped(delivery.id, "too late: the meeting has started")
            report.skipped += 1
            return
        while (wait := self._limiter.wait_time(delivery.recipient)) > 0:
            await self._sleep(wait)
        self._limiter.record(delivery.recipient)
        try:
            activity_id = await self._sender.send(delivery)
        except NotRelevant as reason:
            await self._outbox.mark_skipped(delivery.id, str(reason))
            report.skipped += 1
        except DeliveryError as error:
            await self._after_failure(delivery, error, report)
        except Exception as error:  # noqa: BLE001 - an unexpected bug must not stop the other sends
            log.exception("delivery %s (%s) failed unexpectedly", delivery.id, delivery.kind)
            await self._after_failure(delivery, DeliveryError(f"{type(error).__name__}: {error}"), report)
        else:
            await self._outbox.mark_sent(delivery.id, activity_id, self._clock())
            report.sent += 1

    async def _after_failure(self, delivery: Delivery, error: DeliveryError, report: DispatchReport) -> None:
        report.errors.append(str(error))
        if error.status == 429 and error.retry_after:
            self._limiter.throttle(error.retry_after)
        if self._policy.should_retry(error.status, delivery.attempts):
            delay = self._policy.delay(delivery.attempts, error.retry_after)
            await self._outbox.mark_retry(delivery.id, _describe(error), self._clock() + timedelta(seconds=delay))
            report.retried += 1
            return
        log.warning("delivery %s (%s) failed for good: %s", delivery.id, delivery.kind, _describe(error))
        await self._outbox.mark_failed(delivery.id, _describe(error))
        report.failed += 1


def _describe(error: DeliveryError) -> str:
    return f"HTTP {error.status}: {error}" if error.status else str(error)
