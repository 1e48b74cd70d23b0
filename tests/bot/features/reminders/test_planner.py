"""Planning meeting reminders and change notices into the outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.quiet_hours import QuietHours
from bot.features.registration.rules import RegistrationForm, Status
from bot.features.reminders.planner import PlanReport, ReminderPlanner
from bot.outbox.addresses import person_address, person_of
from storage.attendance import AttendanceRepository
from storage.models import Delivery, Meeting, Person, Project
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from storage.substitutes import SubstituteRepository

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10.00 in Stockholm: outside quiet hours
FAR = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)  # meeting 1: 10.00 CET, every reminder still ahead
NEAR = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # meeting 2: three days away, its 7d reminder is past
CHANNEL = "19:abc@thread.tacv2"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def make_project(sessions: async_sessionmaker[AsyncSession], channel: str | None = None) -> int:
    async with sessions.begin() as session:
        project = Project(slug="plan", name="Planering", calendar_token="tok", state="open",
                          registration_deadline=NOW + timedelta(days=10), channel_conversation_id=channel)
        project.meetings = [
            Meeting(number=n, title=f"Träff {n}", starts_at=start, ends_at=start + timedelta(hours=3), uid=f"plan-{n}")
            for n, start in ((1, FAR), (2, NEAR))
        ]
        session.add(project)
        await session.flush()
        return project.id


async def meeting_ids(sessions: async_sessionmaker[AsyncSession]) -> dict[int, int]:
    async with sessions() as session:
        return dict((await session.execute(select(Meeting.number, Meeting.id))).tuples().all())


async def register(sessions: async_sessionmaker[AsyncSession], project_id: int, count: int,
                   organisation: str = "falun", meetings: frozenset[int] = frozenset({1, 2})) -> list[int]:
    """``count`` new people registered from ``organisation`` (its quota is 3; the rest are waitlisted)."""
    async with sessions.begin() as session:
        existing = len((await session.scalars(select(Person.id))).all())
        people = [Person(teams_id=f"user-{existing + i}", name=f"Person {existing + i}") for i in range(count)]
        session.add_all(people)
        await session.flush()
        ids = [person.id for person in people]
    repo = RegistrationRepository(sessions)
    for person_id in ids:
        form = RegistrationForm(f"P{person_id}", organisation, "", "Planerare", "p@x.se", meetings, "", True)
        await repo.register(project_id, person_id, form, NOW)
    return ids


async def deliveries(sessions: async_sessionmaker[AsyncSession], kind: str = "reminder") -> list[Delivery]:
    async with sessions() as session:
        return list(await session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def planner(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> ReminderPlanner:
    return ReminderPlanner(ProjectRepository(sessions), RegistrationRepository(sessions), Outbox(sessions), clock,
                           STOCKHOLM, QuietHours())


async def test_planning_again_plans_nothing_new(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 2)
    first = await planner.plan_all()
    second = await planner.plan_all()
    # By default a week before and the day before; meeting 2's week-before moment has passed.
    assert first == PlanReport(planned=2 * 2 + 2 * 1, updates=0)
    assert second == PlanReport(0, 0)
    assert len(await deliveries(sessions)) == 6


async def test_reminders_are_due_at_their_offsets(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    [person] = await register(sessions, project, 1, meetings=frozenset({1}))
    await planner.plan_all()
    meeting = (await meeting_ids(sessions))[1]
    due = {(d.source, d.recipient): (d.due_at, d.relevant_until) for d in await deliveries(sessions)}
    assert due == {
        (f"meeting:{meeting}:7d", person_address(person)): (FAR - timedelta(days=7), FAR),
        (f"meeting:{meeting}:1d", person_address(person)): (FAR - timedelta(days=1), FAR),
    }


async def test_only_registered_people_get_person_reminders(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    *registered, waitlisted = await register(sessions, project, 4)
    found = await RegistrationRepository(sessions).find(project, waitlisted)
    assert found is not None and found.status == Status.WAITLISTED
    await planner.plan_all()
    assert {d.recipient for d in await deliveries(sessions)} == {person_address(p) for p in registered}


async def test_a_newcomer_is_planned_without_touching_the_others(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 2)
    await planner.plan_all()
    [newcomer] = await register(sessions, project, 1, organisation="mora", meetings=frozenset({1}))
    assert await planner.plan_all() == PlanReport(planned=2, updates=0)
    assert len([d for d in await deliveries(sessions) if d.recipient == person_address(newcomer)]) == 2


async def test_reminders_go_one_to_one_only_even_with_a_linked_channel(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions, channel=CHANNEL)
    [person] = await register(sessions, project, 1)
    await planner.plan_all()
    assert {d.recipient for d in await deliveries(sessions)} == {person_address(person)}


async def test_a_project_can_choose_its_reminders(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    async with sessions.begin() as session:
        row = await session.get(Project, project)
        assert row is not None
        row.reminder_offsets = "3d,morning"
    await register(sessions, project, 1, meetings=frozenset({1}))
    await planner.plan_all()
    meeting = (await meeting_ids(sessions))[1]
    assert sorted(d.source for d in await deliveries(sessions)) == [f"meeting:{meeting}:3d",
                                                                    f"meeting:{meeting}:morning"]


async def test_two_reminders_pushed_onto_one_day_become_one(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    """A meeting at 21.30: the day-before reminder falls in quiet hours and moves to 07.00 on the
    meeting's day, where the morning reminder is: only one of them is planned."""
    project = await make_project(sessions)
    late = datetime(2027, 3, 20, 20, 30, tzinfo=UTC)  # 21.30 in Stockholm
    async with sessions.begin() as session:
        row = await session.get(Project, project)
        assert row is not None
        row.reminder_offsets = "1d,morning"
        meeting_row = await session.get(Meeting, (await meeting_ids(sessions))[1])
        assert meeting_row is not None
        meeting_row.starts_at, meeting_row.ends_at = late, late + timedelta(hours=1)
    await register(sessions, project, 1, meetings=frozenset({1}))
    await planner.plan_all()
    assert [(d.source.rsplit(":", 1)[1], d.due_at) for d in await deliveries(sessions)] == [
        ("morning", datetime(2027, 3, 20, 6, 30, tzinfo=UTC))]


async def test_who_cannot_come_gets_no_more_reminders_and_a_substitute_does(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    away, staying = await register(sessions, project, 2, meetings=frozenset({1}))
    [colleague] = await register(sessions, project, 1, organisation="mora", meetings=frozenset({2}))
    meeting = (await meeting_ids(sessions))[1]
    await AttendanceRepository(sessions).answer(away, meeting, "not_coming", NOW)
    registration = await RegistrationRepository(sessions).find(project, away)
    assert registration is not None
    substitutes = SubstituteRepository(sessions)
    await substitutes.claim(await substitutes.offer(registration.id, meeting, FAR), colleague, NOW)

    await planner.plan_all()

    to_meeting_1 = {d.recipient for d in await deliveries(sessions) if d.source.startswith(f"meeting:{meeting}:")}
    assert to_meeting_1 == {person_address(staying), person_address(colleague)}


async def test_no_channel_recipient_without_a_linked_channel(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 1)
    await planner.plan_all()
    assert all(person_of(d.recipient) is not None for d in await deliveries(sessions))


async def test_reminders_already_past_at_planning_time_are_not_planned(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 1, meetings=frozenset({2}))
    await planner.plan_all()
    meeting = (await meeting_ids(sessions))[2]
    sources = sorted(d.source for d in await deliveries(sessions))
    assert sources == [f"meeting:{meeting}:1d"]


async def test_a_meeting_that_has_started_gets_no_reminders(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner, clock: Clock
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 1, meetings=frozenset({2}))
    clock.now = NEAR + timedelta(minutes=1)
    assert await planner.plan_all() == PlanReport(0, 0)


async def change_meeting(sessions: async_sessionmaker[AsyncSession], meeting_id: int, starts_at: datetime) -> None:
    """What a coordinator's edit does to the row: new time, calendar SEQUENCE + 1."""
    async with sessions.begin() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.starts_at = starts_at
        meeting.ends_at = starts_at + timedelta(hours=3)
        meeting.sequence += 1


async def test_a_meeting_change_sends_one_update_per_registered_person(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    *registered, _waitlisted = await register(sessions, project, 4, meetings=frozenset({1}))
    await planner.plan_all()
    meeting = (await meeting_ids(sessions))[1]
    await change_meeting(sessions, meeting, FAR + timedelta(days=2))

    report = await planner.plan_all()

    assert report == PlanReport(planned=0, updates=3)
    updates = await deliveries(sessions, "meeting_update")
    assert sorted(d.recipient for d in updates) == sorted(person_address(p) for p in registered)
    assert {(d.source, d.due_at, d.relevant_until) for d in updates} == {
        (f"meeting:{meeting}:v1", NOW, FAR + timedelta(days=2))
    }


async def test_a_meeting_change_moves_the_pending_reminders(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 2, meetings=frozenset({1}))
    await planner.plan_all()
    meeting = (await meeting_ids(sessions))[1]
    moved = FAR + timedelta(days=2, hours=1)
    await change_meeting(sessions, meeting, moved)

    await planner.plan_all()

    due = {(d.source, d.due_at, d.relevant_until) for d in await deliveries(sessions)}
    assert due == {
        (f"meeting:{meeting}:7d", moved - timedelta(days=7), moved),
        (f"meeting:{meeting}:1d", moved - timedelta(days=1), moved),
    }


async def test_a_sent_reminder_is_not_moved_or_sent_again_after_a_change(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 1, meetings=frozenset({1}))
    await planner.plan_all()
    meeting = (await meeting_ids(sessions))[1]
    seven_days = next(d for d in await deliveries(sessions) if d.source.endswith(":7d"))
    await Outbox(sessions).mark_sent(seven_days.id, "act", NOW)
    await change_meeting(sessions, meeting, FAR + timedelta(days=2))

    await planner.plan_all()

    [after] = [d for d in await deliveries(sessions) if d.source.endswith(":7d")]
    assert (after.state, after.due_at) == ("sent", seven_days.due_at)


async def test_planning_again_after_a_change_sends_no_second_update(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner, clock: Clock
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 2, meetings=frozenset({1}))
    await planner.plan_all()
    await change_meeting(sessions, (await meeting_ids(sessions))[1], FAR + timedelta(days=2))
    await planner.plan_all()
    clock.now += timedelta(hours=1)

    assert await planner.plan_all() == PlanReport(0, 0)
    assert len(await deliveries(sessions, "meeting_update")) == 2


async def test_a_second_change_is_announced_again(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 2, meetings=frozenset({1}))
    meeting = (await meeting_ids(sessions))[1]
    await change_meeting(sessions, meeting, FAR + timedelta(days=1))
    await planner.plan_all()
    await change_meeting(sessions, meeting, FAR + timedelta(days=2))

    assert (await planner.plan_all()).updates == 2
    assert {d.source for d in await deliveries(sessions, "meeting_update")} == {
        f"meeting:{meeting}:v1", f"meeting:{meeting}:v2"
    }


async def test_an_update_planned_in_quiet_hours_waits_for_the_morning(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner, clock: Clock
) -> None:
    project = await make_project(sessions)
    await register(sessions, project, 1, meetings=frozenset({1}))
    await change_meeting(sessions, (await meeting_ids(sessions))[1], FAR + timedelta(days=1))
    clock.now = datetime(2027, 3, 1, 21, 30, tzinfo=UTC)  # 22.30 in Stockholm

    await planner.plan_all()

    [update] = await deliveries(sessions, "meeting_update")
    assert update.due_at == datetime(2027, 3, 2, 6, 0, tzinfo=UTC)  # 07.00 CET


async def test_a_cancelled_meeting_is_announced_once_and_its_reminders_stop(
    sessions: async_sessionmaker[AsyncSession], planner: ReminderPlanner
) -> None:
    project = await make_project(sessions)
    registered = await register(sessions, project, 2, meetings=frozenset({1}))
    await planner.plan_all()
    meeting = (await meeting_ids(sessions))[1]
    async with sessions.begin() as session:  # what a coordinator's "Ställ in träffen" does to the row
        row = await session.get(Meeting, meeting)
        assert row is not None
        row.cancelled_at, row.sequence = NOW, row.sequence + 1

    report = await planner.plan_all()

    assert report == PlanReport(planned=0, updates=2)
    assert sorted(d.recipient for d in await deliveries(sessions, "meeting_update")) == sorted(
        person_address(p) for p in registered)
    assert {d.state for d in await deliveries(sessions) if d.source.startswith(f"meeting:{meeting}:")} == {"cancelled"}
    assert await planner.plan_all() == PlanReport(planned=0, updates=0)
