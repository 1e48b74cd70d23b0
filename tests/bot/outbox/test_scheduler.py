"""Every scheduled job runs through one wrapper that reports failures and never lets them escape."""

from __future__ import annotations

import asyncio
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


async def test_plan_soon_adds_one_pass_for_many_changes_and_another_once_it_has_started() -> None:
    recorder = Recorder()
    started = asyncio.Event()
    release = asyncio.Event()

    async def plan() -> None:
        recorder.runs.append("plan")
        started.set()
        await release.wait()

    jobs = Scheduler(recorder.ok, plan, lambda: NOW, on_error=recorder.on_error)
    jobs._scheduler.start()
    try:
        for _ in range(50):
            jobs.plan_soon()
        assert len(jobs._scheduler.get_jobs()) == 1  # the changes share one pending pass

        await asyncio.wait_for(started.wait(), timeout=5)
        assert jobs._scheduler.get_jobs() == []
        jobs.plan_soon()  # a change while the pass runs: it may have read before it, so another is due
        assert len(jobs._scheduler.get_jobs()) == 1
        release.set()
        started.clear()
        await asyncio.wait_for(started.wait(), timeout=5)
        assert recorder.runs == ["plan", "plan"]
        assert recorder.errors == []
    finally:
        release.set()
        jobs.stop()
