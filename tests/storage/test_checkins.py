"""Check-ins on SQLite and PostgreSQL: one tap stored once, the coordinator's list, the check-in
card planned at the start, and the evaluation going only to those present once anyone checked in."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import (
    AttendanceList,
    CheckedIn,
    CheckInPlanner,
    CheckInService,
    EvaluationAttendance,
    NotOpen,
    NotRegistered,
)
from bot.evaluation import EvaluationPlanner
from storage.checkins import CheckInRepository
from storage.evaluations import EvaluationRepository
from storage.models import Delivery, Project
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from tests.storage.followup_seed import START, seed


async def test_a_check_in_is_stored_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c1", ["falun", "mora"])
    repo = CheckInRepository(sessions)
    results = await asyncio.gather(*(repo.check_in(seeded.people[0], seeded.meeting_ids[0], START) for _ in range(3)))
    assert sum(r.new for r in results) == 1
    again = await repo.check_in(seeded.people[0], seeded.meeting_ids[0], START + timedelta(minutes=5))
    assert not again.new and again.checked_in_at == START
    assert await repo.present(seeded.meeting_ids[0]) == {seeded.people[0]: START}
    assert await repo.present_in_project(seeded.project_id) == {seeded.meeting_ids[0]: {seeded.people[0]}}


async def test_the_service_checks_registration_and_the_window(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c2", ["falun"])
    now = [START - timedelta(hours=1)]
    service = CheckInService(ProjectRepository(sessions), RegistrationRepository(sessions),
                             CheckInRepository(sessions), lambda: now[0])
    meeting = seeded.meeting_ids[0]
    assert isinstance(await service.check_in(seeded.people[0], meeting), NotOpen)
    assert isinstance(await service.check_in(999_999, meeting), NotRegistered)
    assert await service.check_in(seeded.people[0], 999_999) is None
    now[0] = START - timedelta(minutes=20)
    result = await service.check_in(seeded.people[0], meeting)
    assert isinstance(result, CheckedIn) and result.new
    now[0] = START + timedelta(hours=6)
    closed = await service.check_in(seeded.people[0], meeting)
    assert isinstance(closed, NotOpen) and not closed.too_early


async def test_the_coordinators_list_marks_and_clears(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c3", ["falun", "mora", "orsa"])
    registrations, checkins = RegistrationRepository(sessions), CheckInRepository(sessions)
    attendance = AttendanceList(registrations, checkins, lambda: START)
    meeting = await ProjectRepository(sessions).meeting(seeded.meeting_ids[0])
    assert meeting is not None
    await checkins.check_in(seeded.people[0], meeting.id, START - timedelta(minutes=3))
    a, b, c = seeded.people
    change = await attendance.save(meeting, {f"present_{a}": "true", f"present_{b}": "true",
                                             f"present_{c}": "false", "verb": "attendance_save"})
    assert (change.added, change.removed) == (1, 0)
    assert (await checkins.present(meeting.id))[a] == START - timedelta(minutes=3)  # the tap's time is kept
    change = await attendance.save(meeting, {f"present_{a}": "false", f"present_{b}": "true"})
    assert (change.added, change.removed) == (0, 1)
    project = await ProjectRepository(sessions).by_id(seeded.project_id)
    assert project is not None
    sheet = await attendance.sheet(project, meeting)
    assert [p.present for p in sheet.participants] == [False, True, False] and sheet.present_count == 1


async def test_a_tampered_list_stores_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c4", ["falun"])
    checkins = CheckInRepository(sessions)
    attendance = AttendanceList(RegistrationRepository(sessions), checkins, lambda: START)
    meeting = await ProjectRepository(sessions).meeting(seeded.meeting_ids[0])
    assert meeting is not None
    for values in ({f"present_{seeded.people[0]}": "true", "present_424242": "true"},
                   {f"present_{seeded.people[0]}": "yes"}):
        try:
            await attendance.save(meeting, values)
        except ValueError:
            pass
        else:
            raise AssertionError("a tampered list was accepted")
    assert await checkins.present(meeting.id) == {}


async def test_the_check_in_card_is_planned_for_the_start(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c5", ["falun", "mora"])
    async with sessions.begin() as session:
        project = await session.get(Project, seeded.project_id)
        assert project is not None
        project.channel_conversation_id = "19:channel"
    now = [START - timedelta(days=3)]
    planner = CheckInPlanner(ProjectRepository(sessions), RegistrationRepository(sessions), Outbox(sessions),
                             lambda: now[0])
    assert await planner.plan_all() == 0  # too early to plan
    now[0] = START - timedelta(days=1)
    assert await planner.plan_all() == 3
    assert await planner.plan_all() == 0
    async with sessions() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.kind == "checkin"))).all()
    assert {r.recipient for r in rows} == {f"person:{p}" for p in seeded.people} | {"channel:19:channel"}
    assert all(r.due_at == START and r.relevant_until == START + timedelta(hours=5) for r in rows)


async def test_only_those_present_are_asked_to_evaluate(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c6", ["falun", "mora", "orsa"])
    checkins = CheckInRepository(sessions)
    now = [START + timedelta(minutes=10)]
    planner = EvaluationPlanner(ProjectRepository(sessions), RegistrationRepository(sessions),
                                EvaluationRepository(sessions), Outbox(sessions), lambda: now[0],
                                EvaluationAttendance(checkins))

    async def asked() -> set[str]:
        async with sessions() as session:
            rows = await session.scalars(select(Delivery.recipient).where(
                Delivery.kind == "evaluation", Delivery.state == "pending"))
            return set(rows)

    await planner.plan_all()
    assert await asked() == {f"person:{p}" for p in seeded.people}  # attendance not known yet
    a, b, c = seeded.people
    await checkins.check_in(a, seeded.meeting_ids[0], now[0])
    await planner.plan_all()
    assert await asked() == {f"person:{a}"}
    await checkins.check_in(c, seeded.meeting_ids[0], now[0])  # late, but before the evaluation opens
    await planner.plan_all()
    assert await asked() == {f"person:{a}", f"person:{c}"}
