"""Every scheduled job runs through one wrapper that reports failures and never lets them escape; the
re-planning after registrations change comes once they are quiet."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.outbox.scheduler import Scheduler

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.errors: list[tuple[str, BaseException]] = []
        self.runs: list[str] = []

    def on_error(self, name: str, error: BaseException) -> None:
        self.errors.append((name, error))

    async def ok(self) -> str:
        self.runs.append("ok")
        return "done"

    async def broken(self) -> None:
        self.runs.append("broken")
        raise RuntimeError("database is gone")


def scheduler(recorder: Recorder) -> Scheduler:
    return Scheduler(recorder.ok, recorder.broken, lambda: NOW, on_error=recorder.on_error)


async def test_a_failing_job_is_reported_and_counted_without_raising() -> None:
    recorder = Recorder()
    jobs = scheduler(recorder)

    await jobs.run_job("plan", recorder.broken)

    assert jobs.failures == 1
    [(name, error)] = recorder.errors
    assert name == "plan"
    assert isinstance(error, RuntimeError) and str(error) == "database is gone"


async def test_a_successful_job_reports_nothing() -> None:
    recorder = Recorder()
    jobs = scheduler(recorder)

    await jobs.run_job("dispatch", recorder.ok)

    assert jobs.failures == 0
    assert recorder.errors == []
    assert recorder.runs == ["ok"]


async def test_failures_accumulate_and_later_jobs_still_run() -> None:
    recorder = Recorder()
    jobs = scheduler(recorder)

    await jobs.plan_now()
    await jobs.plan_now()
    await jobs.dispatch_now()

    assert jobs.failures == 2
    assert [name for name, _ in recorder.errors] == ["plan", "plan"]
    assert recorder.runs == ["broken", "broken", "ok"]


def test_wake_and_plan_soon_do_nothing_before_start() -> None:
    recorder = Recorder()
    jobs = scheduler(recorder)
    jobs.wake_at(NOW)
    jobs.plan_soon()
    jobs.stop()
    assert recorder.runs == []


class Planner:
    """A plan job that records its runs and can be held while it runs."""

    def __init__(self) -> None:
        self.runs = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> None:
        self.runs += 1
        self.started.set()
        await self.release.wait()


class Ticks:
    """The scheduler's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def paused_scheduler(planner: Planner, recorder: Recorder, ticks: Ticks) -> Scheduler:
    """plan_soon's jobs are added but never fire by themselves: the test runs the pass that comes due."""
    jobs = Scheduler(recorder.ok, planner, lambda: NOW, on_error=recorder.on_error, monotonic=ticks)
    jobs._scheduler.start(paused=True)
    return jobs


def due_in(jobs: Scheduler) -> float:
    [job] = jobs._scheduler.get_jobs()
    return float((job.next_run_time - datetime.now(UTC)).total_seconds())


async def test_plan_soon_plans_once_the_changes_have_been_quiet_for_a_second() -> None:
    planner, recorder, ticks = Planner(), Recorder(), Ticks()
    jobs = paused_scheduler(planner, recorder, ticks)
    try:
        for _ in range(50):
            jobs.plan_soon()
        assert due_in(jobs) == pytest.approx(1.0, abs=0.2)  # one pass for the fifty changes
        ticks.now += 0.6
        jobs.plan_soon()
        ticks.now += 0.4  # the pass comes due: the last change was 0.4 s ago
        await jobs._plan_when_quiet()
        assert planner.runs == 0 and due_in(jobs) == pytest.approx(0.6, abs=0.2)
        ticks.now += 0.6
        await jobs._plan_when_quiet()
        assert planner.runs == 1 and recorder.errors == []
        await jobs._plan_when_quiet()  # nothing changed since: no second pass
        assert planner.runs == 1
    finally:
        jobs.stop()


async def test_a_burst_that_never_goes_quiet_is_planned_thirty_seconds_after_its_first_change() -> None:
    planner, recorder, ticks = Planner(), Recorder(), Ticks()
    jobs = paused_scheduler(planner, recorder, ticks)
    try:
        jobs.plan_soon()
        ticks.now += 29.5
        jobs.plan_soon()
        await jobs._plan_when_quiet()
        assert planner.runs == 0 and due_in(jobs) == pytest.approx(0.5, abs=0.2)  # the longest wait, not a second
        ticks.now += 0.5
        jobs.plan_soon()
        await jobs._plan_when_quiet()
        assert planner.runs == 1
    finally:
        jobs.stop()


async def test_a_change_during_a_pass_gets_another_pass_after_it() -> None:
    planner, recorder, ticks = Planner(), Recorder(), Ticks()
    jobs = paused_scheduler(planner, recorder, ticks)
    try:
        jobs.plan_soon()
        ticks.now += 1.0
        planner.release.clear()
        first_pass = asyncio.create_task(jobs._plan_when_quiet())
        await asyncio.wait_for(planner.started.wait(), timeout=5)
        jobs.plan_soon()  # the running pass may have read before this change
        ticks.now += 1.0
        await jobs._plan_when_quiet()  # due while the first still runs: it waits, not beside it
        assert planner.runs == 1 and due_in(jobs) == pytest.approx(1.0, abs=0.2)
        planner.release.set()
        await first_pass
        await jobs._plan_when_quiet()
        assert planner.runs == 2 and recorder.errors == []
    finally:
        planner.release.set()
        jobs.stop()
