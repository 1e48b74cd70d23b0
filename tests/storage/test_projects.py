"""Projects are upserted by slug with stable calendar UIDs, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.projects.spec import MeetingSpec, ProjectSpec
from storage.models import Meeting, Organisation, Person, Project, Registration, RegistrationMeeting
from storage.projects import ProjectRepository


def at(month: int, day: int, hour: int, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


MEETINGS = (
    MeetingSpec(1, "Hållbar utveckling", at(5, 3, 8), at(5, 3, 13), place="Falun", programme="Fika från 9.30"),
    MeetingSpec(2, "Utvecklingsinriktning", at(9, 21, 8), at(9, 21, 13), place="Digitalt (Teams)"),
    MeetingSpec(3, "Önskvärda framtider", at(11, 29, 9), at(11, 29, 14)),
)
SPEC = ProjectSpec(
    slug="planering-2027",
    name="Planering för hållbarhet och utvecklingskraft",
    description="Strategisk översiktsplanering",
    registration_deadline=at(4, 14, 22),
    contact="linnea.hassis@regiondalarna.se",
    meetings=MEETINGS,
)


async def count(sessions: async_sessionmaker[AsyncSession], model: type[Project] | type[Meeting]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_upsert_creates_the_project_with_meetings(sessions: async_sessionmaker[AsyncSession]) -> None:
    project = await ProjectRepository(sessions).upsert(SPEC)
    assert project.id is not None and project.slug == "planering-2027"
    assert project.registration_deadline == at(4, 14, 22)
    assert len(project.calendar_token) >= 32
    assert [meeting.number for meeting in project.meetings] == [1, 2, 3]
    first = project.meetings[0]
    assert first.uid == "planering-2027-traff-1@dalalab.regiondalarna.se"
    assert (first.sequence, first.starts_at, first.place) == (0, at(5, 3, 8), "Falun")


async def test_upsert_is_idempotent(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    first = await projects.upsert(SPEC)
    second = await projects.upsert(SPEC)
    assert second.id == first.id and second.calendar_token == first.calendar_token
    assert [(m.id, m.uid, m.sequence) for m in second.meetings] == [(m.id, m.uid, 0) for m in first.meetings]
    assert await count(sessions, Project) == 1
    assert await count(sessions, Meeting) == 3


async def test_a_changed_meeting_keeps_its_uid_and_bumps_sequence(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    before = await projects.upsert(SPEC)
    moved = replace(MEETINGS[1], starts_at=at(9, 21, 9), place="Falun")
    after = await projects.upsert(replace(SPEC, name="Nytt namn", meetings=(MEETINGS[0], moved, MEETINGS[2])))
    assert after.name == "Nytt namn"
    assert [(m.uid, m.sequence) for m in after.meetings] == [
        (before.meetings[0].uid, 0),
        (before.meetings[1].uid, 1),
        (before.meetings[2].uid, 0),
    ]
    assert after.meetings[1].starts_at == at(9, 21, 9) and after.meetings[1].place == "Falun"
    again = await projects.upsert(replace(SPEC, meetings=(MEETINGS[0], moved, MEETINGS[2])))
    assert [m.sequence for m in again.meetings] == [0, 1, 0]
    stored = await projects.by_slug("planering-2027")
    assert stored is not None and [m.sequence for m in stored.meetings] == [0, 1, 0]


async def test_meetings_removed_from_the_spec_are_deleted(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    await projects.upsert(SPEC)
    added = MeetingSpec(4, "Tillgänglighet", at(2, 22, 9, year=2028), at(2, 22, 14, year=2028))
    project = await projects.upsert(replace(SPEC, meetings=(MEETINGS[0], MEETINGS[2], added)))
    assert [meeting.number for meeting in project.meetings] == [1, 3, 4]
    assert project.meetings[2].uid == "planering-2027-traff-4@dalalab.regiondalarna.se"
    assert await count(sessions, Meeting) == 3
    emptied = await projects.upsert(replace(SPEC, meetings=()))
    assert emptied.meetings == [] and await count(sessions, Meeting) == 0


async def test_lookups(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    project = await projects.upsert(SPEC)
    other = await projects.upsert(ProjectSpec(slug="annat", name="Annat projekt"))
    for found in (
        await projects.by_id(project.id),
        await projects.by_slug("planering-2027"),
        await projects.by_calendar_token(project.calendar_token),
    ):
        assert found is not None and found.id == project.id and len(found.meetings) == 3
    assert await projects.by_id(project.id + other.id + 1) is None
    assert await projects.by_slug("saknas") is None
    assert await projects.by_calendar_token("fel") is None
    assert [p.slug for p in await projects.all_projects()] == ["annat", "planering-2027"]


async def test_open_projects(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    await projects.upsert(SPEC)
    await projects.upsert(ProjectSpec(slug="utan-traffar", name="Arkiv utan träffar"))
    await projects.upsert(replace(SPEC, slug="planerat", name="B planerat", state="planned", meetings=()))
    await projects.upsert(replace(SPEC, slug="pagar", name="A pågår", state="running", meetings=MEETINGS[:1]))
    await projects.upsert(replace(SPEC, slug="klart", name="C klart", state="finished", meetings=()))
    today = datetime(2026, 11, 25, 12, tzinfo=UTC)
    open_now = await projects.open_projects(today)
    assert [p.slug for p in open_now] == ["pagar", "utan-traffar", "planering-2027"]
    assert [m.number for m in open_now[2].meetings] == [1, 2, 3]
    # Once a project's last meeting is over it is no longer open, whatever its state says.
    after_may = await projects.open_projects(at(5, 3, 13) + timedelta(seconds=1))
    assert [p.slug for p in after_may] == ["utan-traffar", "planering-2027"]
    assert [p.slug for p in await projects.open_projects(at(12, 1, 0))] == ["utan-traffar"]


async def test_next_and_upcoming_meetings(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    project = await projects.upsert(SPEC)
    upcoming = await projects.upcoming_meetings(project.id, datetime(2026, 11, 25, tzinfo=UTC))
    assert [meeting.number for meeting in upcoming] == [1, 2, 3]
    during_first = await projects.next_meeting(project.id, at(5, 3, 10))
    assert during_first is not None and during_first.number == 1
    after_first = await projects.next_meeting(project.id, at(5, 3, 13))
    assert after_first is not None and after_first.number == 2
    assert await projects.next_meeting(project.id, at(12, 1, 0)) is None
    assert await projects.upcoming_meetings(project.id, at(12, 1, 0)) == []


async def test_update_settings(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    project = await projects.upsert(replace(SPEC, capacity=45))
    updated = await projects.update_settings(project.id, quota_per_organisation=2)
    assert updated is not None
    assert (updated.quota_per_organisation, updated.capacity, updated.registration_deadline) == (2, 45, at(4, 14, 22))
    assert len(updated.meetings) == 3
    cleared = await projects.update_settings(project.id, capacity=None, registration_deadline=None)
    assert cleared is not None
    assert (cleared.quota_per_organisation, cleared.capacity, cleared.registration_deadline) == (2, None, None)
    moved = await projects.update_settings(project.id, capacity=30, registration_deadline=at(4, 20, 22))
    assert moved is not None and (moved.capacity, moved.registration_deadline) == (30, at(4, 20, 22))
    assert moved.lock_version == project.lock_version + 3
    assert await projects.update_settings(project.id + 1, quota_per_organisation=1) is None


@pytest.mark.parametrize(
    "settings",
    [{"quota_per_organisation": 0}, {"capacity": 0}, {"registration_deadline": datetime(2027, 4, 14)}],
)
async def test_update_settings_refuses_bad_values(
    sessions: async_sessionmaker[AsyncSession], settings: dict[str, object]
) -> None:
    projects = ProjectRepository(sessions)
    project = await projects.upsert(SPEC)
    with pytest.raises(ValueError):
        await projects.update_settings(project.id, **settings)  # type: ignore[arg-type]


async def test_organisations_in_sort_order(sessions: async_sessionmaker[AsyncSession]) -> None:
    organisations = await ProjectRepository(sessions).organisations()
    assert organisations[0].key == "avesta" and organisations[2].name == "Falu kommun"
    assert [o.key for o in organisations[-2:]] == ["region", "annan"]
    assert len(organisations) == 17


async def test_removing_a_meeting_keeps_the_registrations(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    project = await projects.upsert(SPEC)
    async with sessions.begin() as session:
        person = Person(teams_id="29:anna", name="Anna")
        falun = await session.scalar(select(Organisation).where(Organisation.key == "falun"))
        assert falun is not None
        registration = Registration(project_id=project.id, person=person, organisation=falun, name="Anna")
        registration.status = "registered"
        registration.meetings = [RegistrationMeeting(meeting_id=m.id) for m in project.meetings]
        session.add(registration)
    await projects.upsert(replace(SPEC, meetings=(MEETINGS[0], MEETINGS[2])))
    async with sessions() as session:
        kept = await session.scalars(select(RegistrationMeeting.meeting_id).order_by(RegistrationMeeting.meeting_id))
        assert list(kept) == [project.meetings[0].id, project.meetings[2].id]
        assert await session.scalar(select(func.count()).select_from(Registration)) == 1
