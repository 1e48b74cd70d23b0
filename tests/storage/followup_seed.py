"""Rows for the attendance, report and alumni storage tests: a project with meetings, people and
registrations written straight through the ORM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Meeting, Organisation, Person, Project, Registration, RegistrationMeeting

START = datetime(2027, 5, 3, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    project_id: int
    meeting_ids: list[int]
    people: list[int]


async def seed(sessions: async_sessionmaker[AsyncSession], slug: str, organisations: Sequence[str],
               meetings: int = 2, consent: bool = True, state: str = "running") -> Seeded:
    """One registered person per organisation key, each registered for every meeting."""
    async with sessions.begin() as session:
        project = Project(slug=slug, name=f"Projekt {slug}", calendar_token=f"t-{slug}", state=state)
        project.meetings = [Meeting(number=n, title=f"Träff {n}", starts_at=START + timedelta(days=30 * (n - 1)),
                                    ends_at=START + timedelta(days=30 * (n - 1), hours=5), uid=f"{slug}-{n}")
                            for n in range(1, meetings + 1)]
        session.add(project)
        await session.flush()
        people = []
        for index, key in enumerate(organisations):
            person = Person(teams_id=f"{slug}-{index}", name=f"Person {index}", tenant_id="tenant")
            session.add(person)
            await session.flush()
            organisation = await session.scalar(select(Organisation).where(Organisation.key == key))
            assert organisation is not None
            registration = Registration(project_id=project.id, person_id=person.id, organisation_id=organisation.id,
                                        name=f"Person {index}", status="registered", consent_list=consent,
                                        role_title="Planarkitekt", email=f"p{index}@example.se")
            registration.meetings = [RegistrationMeeting(meeting_id=m.id) for m in project.meetings]
            session.add(registration)
            people.append(person.id)
        return Seeded(project.id, [m.id for m in project.meetings], people)


async def register(sessions: async_sessionmaker[AsyncSession], project_id: int, person_id: int, key: str,
                   consent: bool = True) -> None:
    """Register an existing person in another project too."""
    async with sessions.begin() as session:
        organisation = await session.scalar(select(Organisation).where(Organisation.key == key))
        assert organisation is not None
        session.add(Registration(project_id=project_id, person_id=person_id, organisation_id=organisation.id,
                                 name=f"Person {person_id}", status="registered", consent_list=consent))


async def stranger(sessions: async_sessionmaker[AsyncSession], teams_id: str, name: str) -> int:
    """A person known to the bot but registered for nothing (a colleague sent in someone's place)."""
    async with sessions.begin() as session:
        person = Person(teams_id=teams_id, name=name, tenant_id="tenant")
        session.add(person)
        await session.flush()
        return person.id
