"""Check-ins on SQLite and PostgreSQL: one tap stored once, the coordinator's list with absences and
substitutes, the check-in card planned at the start in the channel only, and the evaluation going to
everyone expected at the meeting whether or not they checked in."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.attendance.service import (
    AttendanceList,
    CheckedIn,
    CheckInPlanner,
    CheckInService,
    NotOpen,
    NotRegistered,
)
from bot.features.evaluation.service import EvaluationPlanner
from bot.outbox.addresses import channel_address, person_address
from storage.attendance import AttendanceRepository
from storage.checkins import CheckInRepository
from storage.evaluations import EvaluationRepository
from storage.models import Delivery, Project
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from storage.substitutes import SubstituteRepository
from tests.storage.followup_seed import START, seed, stranger


async def send_substitute(sessions: async_sessionmaker[AsyncSession], project_id: int, holder: int, meeting_id: int,
                          colleague: int) -> None:
    """``holder`` cannot come to the meeting and sends ``colleague`` with a one-time code."""
    registration = await RegistrationRepository(sessions).find(project_id, holder)
    assert registration is not None
    await AttendanceRepository(sessions).answer(holder, meeting_id, "not_coming", START - timedelta(days=2))
    substitutes = SubstituteRepository(sessions)
    code = await substitutes.offer(registration.id, meeting_id, START)
    await substitutes.claim(code, colleague, START - timedelta(days=1))


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
    attendance = AttendanceList(registrations, checkins, SubstituteRepository(sessions), lambda: START)
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
    attendance = AttendanceList(RegistrationRepository(sessions), checkins, SubstituteRepository(sessions),
                                lambda: START)
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


async def test_the_list_shows_who_cannot_come_and_who_comes_instead(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c7", ["falun", "mora", "orsa"])
    a, b, c = seeded.people
    colleague = await stranger(sessions, "c7-colleague", "Kollega Karlsson")
    meeting_id = seeded.meeting_ids[0]
    await send_substitute(sessions, seeded.project_id, b, meeting_id, colleague)
    await AttendanceRepository(sessions).answer(c, meeting_id, "not_coming", START - timedelta(days=1))
    checkins = CheckInRepository(sessions)
    attendance = AttendanceList(RegistrationRepository(sessions), checkins, SubstituteRepository(sessions),
                                lambda: START)
    project = await ProjectRepository(sessions).by_id(seeded.project_id)
    meeting = await ProjectRepository(sessions).meeting(meeting_id)
    assert project is not None and meeting is not None

    sheet = await attendance.sheet(project, meeting)

    listed = {p.person_id: (p.absent, p.stands_in_for, p.organisation) for p in sheet.participants}
    assert listed == {a: (False, "", "Falu kommun"), b: (True, "", "Mora kommun"), c: (True, "", "Orsa kommun"),
                      colleague: (False, "Person 1", "Mora kommun")}
    assert (sheet.absent_count, sheet.substitute_count) == (2, 1)
    # The colleague can be marked present; the other meeting's list does not have them.
    change = await attendance.save(meeting, {f"present_{colleague}": "true"})
    assert change.added == 1 and colleague in await checkins.present(meeting_id)
    other = await ProjectRepository(sessions).meeting(seeded.meeting_ids[1])
    assert other is not None
    assert colleague not in {p.person_id for p in (await attendance.sheet(project, other)).participants}


async def test_the_check_in_card_goes_to_the_channel_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c5", ["falun", "mora"])
    now = [START - timedelta(days=1)]
    planner = CheckInPlanner(ProjectRepository(sessions), RegistrationRepository(sessions), Outbox(sessions),
                             lambda: now[0])
    assert await planner.plan_all() == 0  # no channel linked: nothing at all, nobody 1:1
    async with sessions.begin() as session:
        project = await session.get(Project, seeded.project_id)
        assert project is not None
        project.channel_conversation_id = "19:channel"
    now[0] = START - timedelta(days=3)
    assert await planner.plan_all() == 0  # too early to plan
    now[0] = START - timedelta(days=1)
    assert await planner.plan_all() == 1
    assert await planner.plan_all() == 0
    async with sessions() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.kind == "checkin"))).all()
    assert [r.recipient for r in rows] == [channel_address("19:channel")]
    assert all(r.due_at == START and r.relevant_until == START + timedelta(hours=5) for r in rows)


async def test_everyone_expected_is_asked_to_evaluate_whether_or_not_they_checked_in(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c6", ["falun", "mora", "orsa", "rattvik"])
    checkins = CheckInRepository(sessions)
    now = [START + timedelta(minutes=10)]
    planner = EvaluationPlanner(ProjectRepository(sessions), RegistrationRepository(sessions),
                                EvaluationRepository(sessions), Outbox(sessions), lambda: now[0])
    a, b, c, d = seeded.people
    colleague = await stranger(sessions, "c6-colleague", "Kollega")
    await send_substitute(sessions, seeded.project_id, b, seeded.meeting_ids[0], colleague)
    await AttendanceRepository(sessions).answer(c, seeded.meeting_ids[0], "not_coming", now[0])
    await AttendanceRepository(sessions).answer(d, seeded.meeting_ids[0], "coming", now[0])
    await checkins.check_in(a, seeded.meeting_ids[0], now[0])  # only one taps "Jag är här"

    await planner.plan_all()

    async with sessions() as session:
        rows = await session.scalars(select(Delivery.recipient).where(
            Delivery.kind == "evaluation", Delivery.state == "pending"))
        asked = set(rows)
    assert asked == {person_address(a), person_address(d), person_address(colleague)}
