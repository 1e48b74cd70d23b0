"""Registered participants with their organisations, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.participants import ParticipantRepository
from storage.registrations import RegistrationRepository
from tests.exchange_world import NOW, build_world


async def test_participants_of_a_project_and_a_meeting(sessions: async_sessionmaker[AsyncSession]) -> None:
    world = await build_world(sessions)
    repo = ParticipantRepository(sessions)
    everyone = await repo.in_project(world.project_id)
    assert [(p.name, p.organisation_key, p.organisation_kind) for p in everyone] == [
        ("Anna Lindqvist", "falun", "municipality"), ("Erik Åström", "falun", "municipality"),
        ("Olle Berg", "ludvika", "municipality"), ("Karin Dahl", "mora", "municipality"),
        ("Linnea Hassis", "region", "region")]
    assert everyone[0].organisation_name == "Falu kommun" and everyone[0].email == "anna@falun.se"
    first = await repo.for_meeting(world.meeting_ids[0])
    assert {p.name.split()[0] for p in first} == {"Anna", "Erik", "Karin", "Linnea"}
    assert (await repo.find(world.project_id, world.people["Olle"])) is not None
    assert await repo.find(world.project_id, world.people["Outsider"]) is None
    assert [p.project_id for p in await repo.of_person(world.people["Anna"])] == [world.project_id]


async def test_cancelled_people_are_not_participants(sessions: async_sessionmaker[AsyncSession]) -> None:
    world = await build_world(sessions)
    registrations = RegistrationRepository(sessions)
    registration = await registrations.find(world.project_id, world.people["Karin"])
    assert registration is not None
    await registrations.cancel(registration.id, world.people["Karin"], NOW)
    repo = ParticipantRepository(sessions)
    assert world.people["Karin"] not in {p.person_id for p in await repo.in_project(world.project_id)}
    assert await repo.of_person(world.people["Karin"]) == []
