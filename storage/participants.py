"""Registered participants with their organisation, as case examples and homework need them
(who to ask, who has answered, names for a coordinator's compilation). Read-only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.registration.rules import Status
from storage.models import Organisation, Registration, RegistrationMeeting


@dataclass(frozen=True)
class Participant:
    person_id: int
    project_id: int
    name: str
    email: str
    organisation_id: int
    organisation_key: str
    organisation_name: str
    """The organisation's name, or what the person wrote for "Annan organisation"."""
    organisation_kind: str


class ParticipantRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def in_project(self, project_id: int) -> list[Participant]:
        """Everyone registered (not waitlisted or cancelled) in the project, by organisation and name."""
        return await self._all(_registered().where(Registration.project_id == project_id))

    async def for_meeting(self, meeting_id: int) -> list[Participant]:
        query = _registered().join(
            RegistrationMeeting, RegistrationMeeting.registration_id == Registration.id
        ).where(RegistrationMeeting.meeting_id == meeting_id)
        return await self._all(query)

    async def find(self, project_id: int, person_id: int) -> Participant | None:
        found = await self._all(
            _registered().where(Registration.project_id == project_id, Registration.person_id == person_id)
        )
        return found[0] if found else None

    async def of_person(self, person_id: int) -> list[Participant]:
        """The person's registrations, one per project they are registered in."""
        return await self._all(_registered().where(Registration.person_id == person_id))

    async def _all(self, query: Select[tuple[Registration, Organisation]]) -> list[Participant]:
        async with self._sessions() as session:
            rows = await session.execute(query)
            return [_participant(r, o) for r, o in rows.tuples()]


def _registered() -> Select[tuple[Registration, Organisation]]:
    return (
        select(Registration, Organisation)
        .join(Organisation, Organisation.id == Registration.organisation_id)
        .where(Registration.status == Status.REGISTERED)
        .order_by(Organisation.sort_order, Registration.name, Registration.person_id)
    )


def _participant(registration: Registration, organisation: Organisation) -> Participant:
    return Participant(
        person_id=registration.person_id,
        project_id=registration.project_id,
        name=registration.name,
        email=registration.email,
        organisation_id=organisation.id,
        organisation_key=organisation.key,
        organisation_name=registration.organisation_other or organisation.name,
        organisation_kind=organisation.kind,
    )
