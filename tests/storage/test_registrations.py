"""Registrations on SQLite and PostgreSQL: quotas, waitlist, promotion, editing, handing over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.registration.rules import RegistrationForm, Status, WaitReason
from storage.models import Meeting, Person, Project
from storage.registrations import AlreadyRegistered, NotFound, RegistrationClosed, RegistrationRepository

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2027, 4, 14, 22, 0, tzinfo=UTC)


async def make_project(sessions: async_sessionmaker[AsyncSession], capacity: int | None = None) -> int:
    async with sessions.begin() as session:
        project = Project(
            slug=f"p{capacity}",
            name="Planering",
            calendar_token="tok",
            capacity=capacity,
            registration_deadline=DEADLINE,
        )
        project.meetings = [
            Meeting(
                number=n,
                title=f"Träff {n}",
                starts_at=NOW + timedelta(days=60 * n),
                ends_at=NOW + timedelta(days=60 * n, hours=5),
                uid=f"p{capacity}-{n}",
            )
            for n in (1, 2, 3, 4)
        ]
        session.add(project)
        await session.flush()
        return project.id


async def make_people(sessions: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    async with sessions.begin() as session:
        people = [Person(teams_id=f"user-{i}", name=f"Person {i}") for i in range(count)]
        session.add_all(people)
        await session.flush()
        return [person.id for person in people]


def form(
    organisation: str = "falun", name: str = "Anna", meetings: frozenset[int] = frozenset({1, 2})
) -> RegistrationForm:
    return RegistrationForm(name, organisation, "", "Planerare", "anna@falun.se", meetings, "", True)


@pytest.fixture
def repo(sessions: async_sessionmaker[AsyncSession]) -> RegistrationRepository:
    return RegistrationRepository(sessions)


async def test_the_same_form_sent_again_changes_nothing_and_says_so(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    [person] = await make_people(sessions, 1)
    first = await repo.register(project, person, form(), NOW)
    again = await repo.register(project, person, form(), NOW)
    renamed = await repo.register(project, person, form(name="Anna L"), NOW)
    moved = await repo.register(project, person, form(name="Anna L", meetings=frozenset({1})), NOW)
    assert (first.created, first.changed) == (True, True)
    assert (again.created, again.changed) == (False, False)
    assert (renamed.created, renamed.changed) == (False, True)
    assert (moved.created, moved.changed) == (False, True)
    assert again.registration.updated_at == first.registration.updated_at
    assert renamed.registration.updated_at > first.registration.updated_at


async def test_fourth_from_a_municipality_is_waitlisted(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    people = await make_people(sessions, 5)
    results = [await repo.register(project, p, form(), NOW + timedelta(minutes=i)) for i, p in enumerate(people[:4])]
    assert [r.registration.status for r in results] == [
        Status.REGISTERED,
        Status.REGISTERED,
        Status.REGISTERED,
        Status.WAITLISTED,
    ]
    assert results[3].waitlist_position == 1
    other = await repo.register(project, people[4], form("mora"), NOW)
    assert other.registration.status == Status.REGISTERED


async def test_second_attempt_edits_the_first(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    [person] = await make_people(sessions, 1)
    first = await repo.register(project, person, form(), NOW)
    second = await repo.register(project, person, form(name="Anna L", meetings=frozenset({3})), NOW)
    assert first.created and not second.created
    assert second.registration.id == first.registration.id
    assert second.registration.name == "Anna L"
    assert [link.meeting_id for link in second.registration.meetings] != [
        link.meeting_id for link in first.registration.meetings
    ]
    assert second.previous_status == Status.REGISTERED


async def test_deadline_refuses_new_but_not_edits(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    early, late = await make_people(sessions, 2)
    await repo.register(project, early, form(), NOW)
    with pytest.raises(RegistrationClosed):
        await repo.register(project, late, form(), DEADLINE)
    edited = await repo.register(project, early, form(name="Anna Edit"), DEADLINE + timedelta(days=1))
    assert edited.registration.name == "Anna Edit"


async def test_cancel_promotes_same_municipality_first(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    people = await make_people(sessions, 4)
    regs = [
        (await repo.register(project, p, form(), NOW + timedelta(minutes=i))).registration for i, p in enumerate(people)
    ]
    result = await repo.cancel(regs[1].id, people[1], NOW + timedelta(hours=1))
    assert result.cancelled.status == Status.CANCELLED
    assert result.promoted is not None and result.promoted.id == regs[3].id
    assert result.promoted.status == Status.REGISTERED


async def test_capacity_waitlist_then_general_promotion(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions, capacity=2)
    a, b, c = await make_people(sessions, 3)
    first = (await repo.register(project, a, form("falun"), NOW)).registration
    await repo.register(project, b, form("mora"), NOW + timedelta(minutes=1))
    third = await repo.register(project, c, form("region"), NOW + timedelta(minutes=2))
    assert third.registration.status == Status.WAITLISTED
    result = await repo.cancel(first.id, a, NOW + timedelta(hours=1))
    assert result.promoted is not None and result.promoted.person_id == c


async def test_cancelling_someone_elses_registration_is_refused(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    owner, intruder = await make_people(sessions, 2)
    registration = (await repo.register(project, owner, form(), NOW)).registration
    with pytest.raises(NotFound):
        await repo.cancel(registration.id, intruder, NOW)
    assert (await repo.by_id(registration.id)).status == Status.REGISTERED  # type: ignore[union-attr]


async def test_hand_place_to_colleague(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    holder, colleague = await make_people(sessions, 2)
    registration = (await repo.register(project, holder, form(meetings=frozenset({1, 3})), NOW)).registration
    code = await repo.offer_transfer(registration.id, holder, NOW)
    new, old = await repo.take_over(code.lower(), colleague, "Erik Åström", "erik@falun.se", NOW)
    assert new.person_id == colleague and new.status == Status.REGISTERED
    assert new.organisation_id == registration.organisation_id
    assert sorted(link.meeting_id for link in new.meetings) == sorted(link.meeting_id for link in registration.meetings)
    assert old.status == Status.CANCELLED
    with pytest.raises(NotFound):  # a code works once
        await repo.take_over(code, colleague, "Erik", "", NOW)


async def test_the_waitlist_says_which_limit_applies_and_counts_in_that_queue(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions, capacity=4)
    people = await make_people(sessions, 6)
    for i, person in enumerate(people[:3]):
        await repo.register(project, person, form(), NOW + timedelta(minutes=i))
    quota = await repo.register(project, people[3], form(), NOW + timedelta(minutes=3))
    assert (quota.registration.status, quota.waitlist_reason, quota.waitlist_position) == (
        Status.WAITLISTED, WaitReason.QUOTA, 1)
    await repo.register(project, people[4], form("mora"), NOW + timedelta(minutes=4))  # the 4th place
    full = await repo.register(project, people[5], form("orsa"), NOW + timedelta(minutes=5))
    # The project is full: Orsa's person is second in the project's common queue (after Falun's).
    assert (full.waitlist_reason, full.waitlist_position) == (WaitReason.FULL, 2)
    registered = await repo.register(project, people[4], form("mora"), NOW + timedelta(minutes=6))  # an edit
    assert registered.waitlist_reason is None and registered.waitlist_position is None


async def test_someone_on_the_waitlist_takes_over_a_place_by_code(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    people = await make_people(sessions, 4)
    holders = [(await repo.register(project, p, form(), NOW + timedelta(minutes=i))).registration
               for i, p in enumerate(people[:3])]
    waiting = await repo.register(project, people[3], form(name="Karin", meetings=frozenset({2})),
                                  NOW + timedelta(minutes=5))
    assert waiting.registration.status == Status.WAITLISTED
    code = await repo.offer_transfer(holders[0].id, people[0], NOW + timedelta(hours=1))
    new, old = await repo.take_over(code, people[3], "Teams-namn", "", NOW + timedelta(hours=2))
    assert new.id == waiting.registration.id and new.status == Status.REGISTERED
    assert new.name == "Karin" and new.role_title == "Planerare" and new.consent_list  # what they filled in
    assert sorted(link.meeting_id for link in new.meetings) == sorted(link.meeting_id for link in holders[0].meetings)
    assert old.status == Status.CANCELLED
    overview = await repo.overview(project)
    assert overview.registered_total == 3 and overview.waitlist == []
    with pytest.raises(AlreadyRegistered):  # with a place, a second code is refused as before
        await repo.take_over(await repo.offer_transfer(holders[1].id, people[1], NOW), people[3], "K", "", NOW)


async def test_expired_transfer_code(sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository) -> None:
    project = await make_project(sessions)
    holder, colleague = await make_people(sessions, 2)
    registration = (await repo.register(project, holder, form(), NOW)).registration
    code = await repo.offer_transfer(registration.id, holder, NOW)
    with pytest.raises(NotFound):
        await repo.take_over(code, colleague, "Erik", "", NOW + timedelta(days=8))


async def test_concurrent_registrations_never_exceed_the_quota(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    people = await make_people(sessions, 8)
    results = await asyncio.gather(*(repo.register(project, p, form(), NOW) for p in people))
    statuses = [r.registration.status for r in results]
    assert statuses.count(Status.REGISTERED) == 3
    assert statuses.count(Status.WAITLISTED) == 5


async def test_overview_counts_per_organisation(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    people = await make_people(sessions, 5)
    for i, p in enumerate(people):
        await repo.register(project, p, form("falun" if i < 4 else "mora"), NOW + timedelta(minutes=i))
    overview = await repo.overview(project)
    counts = {c.organisation: (c.registered, c.waitlisted) for c in overview.counts}
    assert counts == {"Falu kommun": (3, 1), "Mora kommun": (1, 0)}
    assert overview.registered_total == 4
    assert [r.person_id for r in overview.waitlist] == [people[3]]


async def lock_version(sessions: async_sessionmaker[AsyncSession], project: int) -> int:
    async with sessions() as session:
        found = await session.get(Project, project)
        assert found is not None
        return found.lock_version


async def test_an_edit_that_keeps_the_place_takes_no_project_lock(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository
) -> None:
    project = await make_project(sessions)
    people = await make_people(sessions, 4)
    for person in people:
        await repo.register(project, person, form(), NOW)  # the fourth from Falun waits
    before = await lock_version(sessions, project)

    edited = await repo.register(project, people[0], form(name="Anna L", meetings=frozenset({3})), NOW)
    waiting = await repo.register(project, people[3], form(name="Väntar"), NOW)

    assert await lock_version(sessions, project) == before
    assert edited.registration.name == "Anna L" and not edited.created
    assert [link.meeting_id for link in edited.registration.meetings] == [
        link.meeting_id for link in (await repo.register(project, people[0], form(meetings=frozenset({3})), NOW))
        .registration.meetings]
    assert waiting.registration.status == Status.WAITLISTED and waiting.waitlist_position == 1
    assert waiting.waitlist_reason == WaitReason.QUOTA
    moved = await repo.register(project, people[3], form("mora"), NOW)  # another municipality: a new place
    assert moved.registration.status == Status.REGISTERED
    assert await lock_version(sessions, project) == before + 1


async def test_an_edit_racing_a_cancel_takes_a_new_place_under_the_lock(
    sessions: async_sessionmaker[AsyncSession], repo: RegistrationRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns: an edit and a cancel cannot interleave")
    project = await make_project(sessions)
    [person] = await make_people(sessions, 1)
    first = await repo.register(project, person, form(), NOW)
    known_organisation = RegistrationRepository._known_organisation

    cancels = [first.registration.id]

    async def cancelled_meanwhile(self: RegistrationRepository, key: str) -> Any:
        # The place was read as active when the form was shown; the cancel lands just before the edit writes.
        while cancels:
            await RegistrationRepository(sessions).cancel(cancels.pop(), person, NOW)  # another connection
        return await known_organisation(self, key)

    monkeypatch.setattr(RegistrationRepository, "_known_organisation", cancelled_meanwhile)
    again = await repo.register(project, person, form(name="Anna igen"), NOW)

    assert again.created and again.previous_status is None  # the cancel won: this is a new place
    assert again.registration.status == Status.REGISTERED and again.registration.name == "Anna igen"
    assert await lock_version(sessions, project) == 3  # the first place, the cancel, the new place
