"""The dispatcher: sends due outbox rows within Teams' rate limits, retries what is worth
retrying, and records every outcome. One failing recipient never holds up the others.

It follows the outbox's claim protocol (storage/outbox.py): a claimed batch is "claimed", only the
row being sent is "sending", the lease on held rows is renewed while the batch runs, and an outcome,
once the request went out, is recorded even if the database is away for a while (otherwise a sent
message would be sent again). ``stop`` lets the sends under way finish and hands back the rest."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.i18n import current_zone, use_now, use_zone
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.retry import RetryPolicy
from storage.models import Delivery
from storage.outbox import DATABASE_ERRORS, IN_DOUBT, STALE_CLAIM, Outbox, Outcome

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")
MAX_WRITE_PAUSE = 30.0
WAVE = 16
"""Messages sent at once by default (one wave): also the most rows ever "sending", so the most people
who can get a message twice when the process dies mid-wave."""


class DeliveryError(Exception):
    """A send that did not go through; ``status`` is the HTTP status when there was one. A ``final``
    error fails the row at once: trying again cannot help."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None,
                 *, final: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.final = final


class NotRelevant(Exception):
    """Nothing to send any more (the person cancelled, the meeting is gone)."""


class Deferred(Exception):
    """Not now: the row waits until ``until`` (a claim that does not count as an attempt)."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.until = until


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> str | None:
        """Send one delivery; returns the activity id. Raises DeliveryError or NotRelevant.
        A sender may also have ``async prepare(deliveries)``, called with each claimed batch before
        its sends (to read what the batch needs in a few queries instead of a few per message), and
        ``window_key(delivery)``: the conversation Teams counts the message against, so that the rate
        limiter counts it where replies in that chat are counted (default: the recipient)."""


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    """Rows put back for later by the sender (e.g. a second message about a meeting on one day)."""
    taken_over: int = 0
    """Rows this dispatcher had claimed but no longer owned when it came to them (lease ran out)."""
    errors: list[str] = field(default_factory=list)


class Dispatcher:
    def __init__(self, outbox: Outbox, sender: Sender, limiter: RateLimiter, clock: Clock,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, concurrency: int = WAVE,
                 lease_seconds: float = STALE_CLAIM.total_seconds(), pause: Sleep = asyncio.sleep,
                 zone: ZoneInfo | None = None) -> None:
        """``sleep`` waits for the rate limiter (tests pass a fake clock's); ``pause`` is real time
        between lease renewals and between tries of an outbox write while the database is away;
        ``zone``: the settings' time zone (TZ_NAME) rendered dates are shown in (None: the current one)."""
        self._zone = zone
        self._outbox = outbox
        self._sender = sender
        self._limiter = limiter
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._pause = pause
        self._concurrency = concurrency
        self._renew_every = lease_seconds / 3
        self._lock = asyncio.Lock()
        self._stopping = False

    def stop(self) -> None:
        """Claim nothing more: sends under way finish, claimed rows not started yet are handed back."""
        self._stopping = True

    def resume(self) -> None:
        self._stopping = False

    async def run_once(self, batch: int = 200) -> DispatchReport:
        """Send everything due now (in batches until none is left); one run at a time per process."""
        report = DispatchReport()
        # Cards rendered in this run show a date's year by the bot's clock, and in its zone, as in a turn.
        async with self._lock:
            with use_now(self._clock()), use_zone(self._zone or current_zone()):
                await self._dispatch_due(batch, report)
        return report

    async def _dispatch_due(self, batch: int, report: DispatchReport) -> None:
        while not self._stopping and (claimed := await self._outbox.claim_due(self._clock(), batch)):
            await self._send_all(claimed, report)
            if len(claimed) < batch:
                break

    async def _send_all(self, deliveries: list[Delivery], report: DispatchReport) -> None:
        """Send a claimed batch in waves of up to ``concurrency`` rows: a wave is marked "sending"
        in one statement, sent at once, and its outcomes are recorded in one transaction. (At most
        ``concurrency`` rows are ever "sending", as with one row per worker; a wave waits for its
        slowest send, which the connector's timeout bounds.)"""
        waiting = deque(deliveries)
        held = {delivery.id for delivery in deliveries}
        finished = asyncio.Event()
        heartbeat = asyncio.create_task(self._keep_lease(held, finished))
        prepare = getattr(self._sender, "prepare", None)
        try:
            if prepare is not None:
                await prepare(deliveries)
            while waiting and not self._stopping:
                wave, outcomes = await self._next_wave(waiting, held, report)
                if wave:
                    outcomes += await self._send_wave(wave, report)
                if outcomes:
                    await self._record(outcomes)
                held.difference_update(delivery.id for delivery in wave)
        finally:
            # The event ends the renewals even if the cancellation gets lost inside a database call.
            finished.set()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            if waiting:
                await self._durably(lambda: self._outbox.release([(d.id, d.attempts) for d in waiting]))

    async def _keep_lease(self, held: set[int], finished: asyncio.Event) -> None:
        while not finished.is_set():
            await self._pause(self._renew_every)
            if finished.is_set():
                return
            try:
                await self._outbox.renew(sorted(held), self._clock())
            except DATABASE_ERRORS as error:
                log.warning("could not renew the lease on claimed deliveries (%s)", type(error).__name__)

    async def _next_wave(self, waiting: deque[Delivery], held: set[int],
                         report: DispatchReport) -> tuple[list[Delivery], list[Outcome]]:
        """Take rows from the front while the rate limits allow (waiting for the first one), up to
        ``concurrency``, and mark them "sending"; rows whose moment has passed are skipped on the
        way. Rows skipped, or no longer ours, leave ``held`` (their lease is not ours to renew)."""
        wave: list[Delivery] = []
        skipped: list[Outcome] = []
        while waiting and len(wave) < self._concurrency and not self._stopping:
            delivery = waiting[0]
            if delivery.relevant_until is not None and self._clock() >= delivery.relevant_until:
                waiting.popleft()
                skipped.append(Outcome.skipped(delivery.id, delivery.attempts, "too late: the meeting has started"))
                report.skipped += 1
                continue
            wait = self._limiter.wait_time(self._window_key(delivery))
            if wait > 0:
                if wave:
                    break  # send what may go now; this row waits for the next wave
                await self._sleep(wait)
                continue
            waiting.popleft()
            self._limiter.record(self._window_key(delivery))
            wave.append(delivery)
        held.difference_update(outcome.delivery_id for outcome in skipped)
        if self._stopping and wave:
            waiting.extendleft(reversed(wave))  # handed back with the rest
            return [], skipped
        if not wave:
            return [], skipped
        started = await self._durably(
            lambda: self._outbox.start_sending_many([(d.id, d.attempts) for d in wave], self._clock()))
        report.taken_over += len(wave) - len(started)
        held.difference_update(delivery.id for delivery in wave if delivery.id not in started)
        return [delivery for delivery in wave if delivery.id in started], skipped

    def _window_key(self, delivery: Delivery) -> str:
        window_key = getattr(self._sender, "window_key", None)
        return str(window_key(delivery)) if window_key is not None else delivery.recipient

    async def _record(self, outcomes: list[Outcome]) -> None:
        await self._durably(lambda: self._outbox.record(outcomes))

    async def _send_wave(self, wave: list[Delivery], report: DispatchReport) -> list[Outcome]:
        outcomes = list(await asyncio.gather(*(self._send_claimed(delivery, report) for delivery in wave)))
        # Teams counts a message when it arrives; every message of the wave has arrived by now.
        self._limiter.restamp([self._window_key(delivery) for delivery in wave])
        return outcomes

    async def _send_claimed(self, delivery: Delivery, report: DispatchReport) -> Outcome:
        try:
            activity_id = await self._sender.send(delivery)
        except NotRelevant as reason:
            report.skipped += 1
            return Outcome.skipped(delivery.id, delivery.attempts, str(reason))
        except Deferred as later:
            report.deferred += 1
            return Outcome.deferred(delivery.id, delivery.attempts, str(later), later.until)
        except DeliveryError as error:
            return self._after_failure(delivery, error, report)
        except Exception as error:  # noqa: BLE001 - an unexpected bug must not stop the other sends
            log.exception("delivery %s (%s) failed unexpectedly", delivery.id, delivery.kind)
            return self._after_failure(delivery, DeliveryError(f"{type(error).__name__}: {error}"), report)
        report.sent += 1
        note = IN_DOUBT if delivery.last_error == IN_DOUBT else ""
        return Outcome.sent(delivery.id, delivery.attempts, activity_id, self._clock(), note)

    async def _durably(self, write: Callable[[], Awaitable[T]]) -> T:
        """An outbox write retried while the database is unavailable: a message that went out must
        be recorded as sent, or it would be sent again once the lease runs out."""
        pause = 0.5
        while True:
            try:
                return await write()
            except DATABASE_ERRORS as error:
                log.warning("outbox write failed (%s); trying again in %.1f s", type(error).__name__, pause)
                await self._pause(pause)
                pause = min(pause * 2, MAX_WRITE_PAUSE)

    def _after_failure(self, delivery: Delivery, error: DeliveryError, report: DispatchReport) -> Outcome:
        report.errors.append(str(error))
        if error.status == 429 and error.retry_after:
            self._limiter.throttle(error.retry_after)
        if not error.final and self._policy.should_retry(error.status, delivery.attempts):
            due = self._clock() + timedelta(seconds=self._policy.delay(delivery.attempts, error.retry_after))
            report.retried += 1
            return Outcome.retry(delivery.id, delivery.attempts, _describe(error), due)
        log.warning("delivery %s (%s) failed for good: %s", delivery.id, delivery.kind, _describe(error))
        report.failed += 1
        return Outcome.failed(delivery.id, delivery.attempts, _describe(error))


def _describe(error: DeliveryError) -> str:
    return f"HTTP {error.status}: {error}" if error.status else str(error)
