"""Every scheduled job runs through one wrapper that reports failures and never lets them escape."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

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
    """A plan job that records when it ran and can be held while it runs."""

    def __init__(self) -> None:
        self.runs: list[float] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> None:
        self.runs.append(time.monotonic())
        self.started.set()
        await self.release.wait()


def quick_scheduler(planner: Planner, recorder: Recorder) -> Scheduler:
    jobs = Scheduler(recorder.ok, planner, lambda: NOW, on_error=recorder.on_error, plan_quiet=0.2,
                     plan_max_wait=0.8)
    jobs._scheduler.start()  # without start()'s periodic jobs: only plan_soon's pass runs
    return jobs


async def test_plan_soon_runs_one_pass_once_changes_are_quiet() -> None:
    planner, recorder = Planner(), Recorder()
    jobs = quick_scheduler(planner, recorder)
    try:
        first = time.monotonic()
        for _ in range(50):
            jobs.plan_soon()
        assert len(jobs._scheduler.get_jobs()) == 1  # the changes share one pending pass
        await asyncio.sleep(0.1)
        jobs.plan_soon()  # a later change postpones the pass until it has been quiet
        await asyncio.wait_for(planner.started.wait(), timeout=5)
        assert planner.runs[0] - first >= 0.3
        await asyncio.sleep(0.5)
        assert len(planner.runs) == 1 and recorder.errors == []
    finally:
        jobs.stop()


async def test_plan_soon_plans_a_long_burst_at_its_longest_wait_and_again_after_a_change_during_the_pass() -> None:
    planner, recorder = Planner(), Recorder()
    jobs = quick_scheduler(planner, recorder)
    try:
        first = time.monotonic()
        while not planner.runs and time.monotonic() - first < 5:  # a change every 50 ms: never quiet
            jobs.plan_soon()
            await asyncio.sleep(0.05)
        assert 0.8 <= planner.runs[0] - first < 2.0

        planner.started.clear()
        planner.release.clear()
        jobs.plan_soon()  # during no pass: the next one comes after a quiet spell
        await asyncio.wait_for(planner.started.wait(), timeout=5)
        jobs.plan_soon()  # while the pass runs (it may have read before this change): one more is due
        planner.started.clear()
        await asyncio.sleep(0.5)  # it comes due while the pass still runs: it waits for it
        assert len(planner.runs) == 2
        planner.release.set()
        await asyncio.wait_for(planner.started.wait(), timeout=5)
        assert len(planner.runs) == 3 and recorder.errors == []
    finally:
        planner.release.set()
        jobs.stop()
