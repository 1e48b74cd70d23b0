"""A small learning project for the case-example and homework tests: two meetings and people from
Falun, Mora, Ludvika and the region, registered through the real repository."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.registration.rules import RegistrationForm
from bot.outbox.addresses import person_address
from storage.models import Delivery, Meeting, Person, Project
from storage.registrations import RegistrationRepository

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MEETINGS = (datetime(2027, 3, 20, 9, 0, tzinfo=UTC), datetime(2027, 4, 20, 8, 0, tzinfo=UTC))
PEOPLE = {  # name -> (organisation, meetings)
    "Anna Lindqvist": ("falun", (1, 2)),
    "Erik Åström": ("falun", (1,)),
    "Karin Dahl": ("mora", (1, 2)),
    "Linnea Hassis": ("region", (1, 2)),
    "Olle Berg": ("ludvika", (2,)),
}


@dataclass(frozen=True)
class World:
    project_id: int
    meeting_ids: tuple[int, int]
    people: dict[str, int]
    """First name -> person id (plus "Outsider", who is registered nowhere)."""


async def build_world(sessions: async_sessionmaker[AsyncSession], slug: str = "etableringar") -> World:
    async with sessions.begin() as session:
        project = Project(slug=slug, name="Stora etableringar", calendar_token=f"token-{slug}")
        project.meetings = [Meeting(number=n, title=f"Träff {n}", starts_at=start, ends_at=start + timedelta(hours=3),
                                    uid=f"{slug}-{n}") for n, start in enumerate(MEETINGS, start=1)]
        persons = {name: Person(teams_id=f"29:{slug}:{name}", name=name) for name in [*PEOPLE, "Outsider"]}
        session.add(project)
        session.add_all(persons.values())
        await session.flush()
        world = World(project.id, (project.meetings[0].id, project.meetings[1].id),
                      {name.split()[0]: person.id for name, person in persons.items()})
    registrations = RegistrationRepository(sessions)
    for name, (organisation, meetings) in PEOPLE.items():
        form = RegistrationForm(name, organisation, "", "", f"{name.split()[0].lower()}@{organisation}.se",
                                frozenset(meetings), "", False)
        await registrations.register(world.project_id, world.people[name.split()[0]], form, NOW - timedelta(days=20))
    return world


async def deliveries(sessions: async_sessionmaker[AsyncSession], kind: str) -> list[tuple[str, datetime, dict]]:
    """(recipient, due, payload) of the outbox rows of ``kind``, by recipient."""
    async with sessions() as session:
        rows = await session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.recipient))
        return [(row.recipient, row.due_at, json.loads(row.payload)) for row in rows]


def person(world: World, first_name: str) -> str:
    return person_address(world.people[first_name])
