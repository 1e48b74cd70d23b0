"""Who knows what: the people who agreed to be listed (``consent_list``), with their role and the
case examples they shared beyond their project. Nobody else is ever loaded."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from storage.models import CaseExample, Registration

SHARED_BEYOND_PROJECT = ("alumni", "public")
SHOWN_EXAMPLE_STATES = ("approved",)
"""As everywhere examples are shown (``bot.features.examples.rules.may_see``): approved ones only."""


@dataclass(frozen=True)
class SharedExample:
    title: str
    theme: str
    text: str
    """Challenge, actions, result and lessons together (what a search looks in)."""
    contact: str


@dataclass
class ListedPerson:
    person_id: int
    name: str
    organisation: str
    role_title: str
    email: str
    examples: list[SharedExample] = field(default_factory=list)


class ExpertiseRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def listed_people(self) -> list[ListedPerson]:
        """Everyone with a live registration that agreed to be listed, with their shared examples."""
        async with self._sessions() as session:
            registrations = await session.scalars(
                select(Registration).where(Registration.consent_list.is_(True), Registration.status != "cancelled")
                .options(selectinload(Registration.organisation)).order_by(Registration.created_at.desc()))
            people: dict[int, ListedPerson] = {}
            for r in registrations:  # newest first: the latest registration gives name, role and municipality
                people.setdefault(r.person_id, ListedPerson(r.person_id, r.name, r.organisation_other
                                                            or r.organisation.name, r.role_title, r.email))
            examples = await session.scalars(
                select(CaseExample).where(CaseExample.person_id.in_(list(people)),
                                          CaseExample.sharing.in_(SHARED_BEYOND_PROJECT),
                                          CaseExample.status.in_(SHOWN_EXAMPLE_STATES))
                .order_by(CaseExample.id))
            for example in examples:
                if example.person_id is not None:
                    text = "\n".join((example.challenge, example.actions, example.result, example.lessons))
                    people[example.person_id].examples.append(
                        SharedExample(example.title, example.theme, text, example.contact))
            return list(people.values())
