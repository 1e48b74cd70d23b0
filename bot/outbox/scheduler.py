"""APScheduler wiring. The outbox rows are the truth; jobs are derived: a dispatcher that wakes
periodically and at the next due time, and a planner that reconciles reminders from the database.
Nothing is kept in a job store, so a restart rebuilds everything from rows (see README).
Every job body runs through ``run_job``, which logs and reports failures and never lets one die silently.
``stop_gracefully`` lets the jobs under way finish (APScheduler's own shutdown cancels them)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.clock import Clock
from bot.core.i18n import use_now
from storage.sqlite_inline import taking_turns

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
ErrorHandler = Callable[[str, BaseException], None]


def log_error(name: str, error: BaseException) -> None:
    log.error("scheduled job %s failed", name, exc_info=error)


class Scheduler:
    def __init__(self, dispatch: Job, plan: Job, clock: Clock,
                 on_error: ErrorHandler = log_error, dispatch_every: float = 15, plan_every: float = 600,
                 plan_quiet: float = 1.0, plan_max_wait: float = 30.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._dispatch = dispatch
        self._plan = plan
        self._clock = clock
        self._on_error = on_error
        self._dispatch_every = dispatch_every
        self._plan_every = plan_every
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: set[asyncio.Task[object]] = set()
        self.failures = 0
        self._monotonic = monotonic
        self._plan_quiet = plan_quiet
        self._plan_max_wait = plan_max_wait
        self._first_change: float | None = None
        """When the first change not yet planned came (``monotonic()``); None: every change is planned."""
        self._last_change = 0.0
        self._planning = False

    async def run_job(self, name: str, job: Job) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            # Texts planned now show a date's year by the bot's clock; SQLite statements run on the loop's
            # thread let the turns in every few statements (a pass is hundreds of them).
            with use_now(self._clock()), taking_turns():
                result = await job()
            log.debug("job %s done: %s", name, result)
        except Exception as error:  # noqa: BLE001 - the one place job failures are reported
            self.failures += 1
            self._on_error(name, error)
        finally:
            if task is not None:
                self._running.discard(task)

    async def dispatch_now(self) -> None:
        await self.run_job("dispatch", self._dispatch)

    async def plan_now(self) -> None:
        await self.run_job("plan", self._plan)

    def start(self) -> None:
        self._scheduler.add_job(self.plan_now, IntervalTrigger(seconds=self._plan_every), id="plan",
                                next_run_time=datetime.now(self._scheduler.timezone), max_instances=1,
                                coalesce=True)
        self._scheduler.add_job(self.dispatch_now, IntervalTrigger(seconds=self._dispatch_every), id="dispatch",
                                next_run_time=datetime.now(self._scheduler.timezone) + timedelta(seconds=2),
                                max_instances=1, coalesce=True)
        self._scheduler.start()

    def wake_at(self, moment: datetime) -> None:
        """Dispatch at ``moment`` (e.g. a message scheduled for 14.05) instead of at the next tick.
        The scheduler runs on wall time; the bot's clock may be offset in tests, so convert."""
        if not self._scheduler.running:
            return
        delay = max(0.0, (moment - self._clock()).total_seconds())
        run_at = datetime.now(self._scheduler.timezone) + timedelta(seconds=delay)
        self._scheduler.add_job(self.dispatch_now, DateTrigger(run_date=run_at), id=f"wake-{moment.isoformat()}",
                                replace_existing=True, misfire_grace_time=300)

    def plan_soon(self) -> None:
        """Re-plan reminders once registrations have been quiet for a second (after a change), and at
        the latest ``plan_max_wait`` seconds after the first change: a burst of registrations at the end
        of a meeting costs one pass, not a pass a second while the burst lasts. Cheap per call (the pass
        due is not rescheduled; it looks at the time of the last change when it comes due)."""
        if not self._scheduler.running:
            return
        now = self._monotonic()
        self._last_change = now
        if self._first_change is None:
            self._first_change = now
            self._plan_at(self._plan_quiet)

    def _plan_at(self, delay: float) -> None:
        run_at = datetime.now(self._scheduler.timezone) + timedelta(seconds=delay)
        # However late a busy loop gets to it (APScheduler skips a job past its grace time): a skipped
        # pass would leave the change unplanned until the periodic pass.
        # Two instances: one that comes due while the last pass still runs must run (and wait, below), not be
        # skipped by APScheduler as a second instance of the job.
        self._scheduler.add_job(self._plan_when_quiet, DateTrigger(run_date=run_at), id="plan-soon",
                                replace_existing=True, misfire_grace_time=None, max_instances=2)

    async def _plan_when_quiet(self) -> None:
        first = self._first_change
        if first is None:
            return
        now = self._monotonic()
        quiet_for = now - self._last_change
        if self._planning:  # the last pass is still under way: after it, not beside it
            self._plan_at(self._plan_quiet)
            return
        if quiet_for < self._plan_quiet and now - first < self._plan_max_wait:
            self._plan_at(min(self._plan_quiet - quiet_for, self._plan_max_wait - (now - first)))
            return
        self._first_change = None  # from here on, a change may come after this pass's reads: another pass
        self._planning = True
        try:
            await self.plan_now()
        finally:
            self._planning = False

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def stop_gracefully(self, grace: float = 30.0) -> None:
        """Start no new job, wait up to ``grace`` seconds for the running ones, then stop (which
        cancels whatever is still running)."""
        if self._scheduler.running:
            self._scheduler.pause()
        running = [task for task in self._running if task is not asyncio.current_task() and not task.done()]
        if running:
            _done, late = await asyncio.wait(running, timeout=grace)
            if late:
                log.warning("%d scheduled job(s) still running after %.0f s; cancelling them", len(late), grace)
        self.stop()
