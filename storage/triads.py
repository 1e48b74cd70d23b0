"""Repository of triad rounds: who a meeting's round is formed from, the proposal a coordinator
adjusts, confirming it once, and the pairs earlier confirmed rounds of a project put together.

Changes to a round lock its row first (an UPDATE that PostgreSQL row-locks and SQLite write-locks),
so a move and a confirmation of the same round never interleave."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.registration.rules import Status
from storage.models import (
    Attendance,
    Meeting,
    Organisation,
    Person,
    Registration,
    RegistrationMeeting,
    TriadMember,
    TriadRound,
)

PROPOSED = "proposed"
CONFIRMED = "confirmed"
REPLACED = "replaced"
"""A proposal a newer one replaced. Kept, not deleted: SQLite would reuse its id, and a stale card
would then act on the new proposal."""

Problem = TypeVar("Problem")


class RoundClosed(Exception):
    """The round was confirmed or replaced by a newer proposal: it can no longer change."""


@dataclass(frozen=True)
class Candidate:
    """Someone a round can be formed from, with the name and organisation the groups show."""

    person_id: int
    name: str
    organisation: str


@dataclass(frozen=True)
class Member:
    person_id: int
    group: int
    name: str
    organisation: str


@dataclass(frozen=True)
class RoundView:
    id: int
    meeting_id: int
    project_id: int
    question: str
    state: str
    members: tuple[Member, ...]
    """Ordered by group number, then name."""

    @property
    def confirmed(self) -> bool:
        return self.state == CONFIRMED

    def groups(self) -> dict[int, list[Member]]:
        grouped: dict[int, list[Member]] = {}
        for member in self.members:
            grouped.setdefault(member.group, []).append(member)
        return grouped

    def member(self, person_id: int) -> Member | None:
        return next((m for m in self.members if m.person_id == person_id), None)


class TriadRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def candidates(self, meeting_id: int) -> list[Candidate]:
        """People registered for the meeting (less those who said they are not coming) and anyone
        checked in to it, ordered by name."""
        async with self._sessions() as session:
            meeting = await session.get(Meeting, meeting_id)
            if meeting is None:
                return []
            registered = set(await session.scalars(
                select(Registration.person_id)
                .join(RegistrationMeeting, RegistrationMeeting.registration_id == Registration.id)
                .where(RegistrationMeeting.meeting_id == meeting_id, Registration.status == Status.REGISTERED)
            ))
            answers = (await session.execute(
                select(Attendance.person_id, Attendance.intent, Attendance.checked_in_at)
                .where(Attendance.meeting_id == meeting_id)
            )).tuples().all()
            declined = {person for person, intent, checked_in in answers if intent == "not_coming" and not checked_in}
            checked_in = {person for person, _intent, at in answers if at is not None}
            details = await _details(session, meeting.project_id, (registered - declined) | checked_in)
        return sorted((Candidate(*row) for row in details.values()), key=lambda c: (c.name.lower(), c.person_id))

    async def propose(self, meeting_id: int, groups: Sequence[Sequence[int]], question: str) -> int:
        """Store a proposal (groups numbered from 1); it replaces the meeting's unconfirmed ones."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(TriadRound)
                .where(TriadRound.meeting_id == meeting_id, TriadRound.state == PROPOSED)
                .values(state=REPLACED)
            )
            triad_round = TriadRound(meeting_id=meeting_id, question=question, state=PROPOSED)
            session.add(triad_round)
            await session.flush()
            session.add_all(
                TriadMember(round_id=triad_round.id, person_id=person, group_number=number)
                for number, group in enumerate(groups, start=1)
                for person in group
            )
            return triad_round.id

    async def get(self, round_id: int) -> RoundView | None:
        async with self._sessions() as session:
            found = (await session.execute(
                select(TriadRound, Meeting.project_id).join(Meeting, Meeting.id == TriadRound.meeting_id)
                .where(TriadRound.id == round_id)
            )).tuples().first()
            if found is None:
                return None
            triad_round, project_id = found
            placed = dict((await session.execute(
                select(TriadMember.person_id, TriadMember.group_number).where(TriadMember.round_id == round_id)
            )).tuples().all())
            details = await _details(session, project_id, set(placed))
        members = (Member(person, placed[person], *details[person][1:]) for person in placed if person in details)
        ordered = sorted(members, key=lambda m: (m.group, m.name.lower(), m.person_id))
        return RoundView(triad_round.id, triad_round.meeting_id, project_id, triad_round.question,
                         triad_round.state, tuple(ordered))

    async def move(
        self,
        round_id: int,
        person_id: int,
        group: int,
        check: Callable[[Mapping[int, Sequence[int]], int, int], Problem | None],
    ) -> Problem | None:
        """Move a person to another group of a proposed round if ``check`` (given the groups as
        they are, under the round's lock) finds no problem; returns the problem otherwise."""
        async with self._sessions.begin() as session:
            await _lock_proposed(session, round_id)
            rows = (await session.execute(
                select(TriadMember.group_number, TriadMember.person_id).where(TriadMember.round_id == round_id)
            )).tuples().all()
            problem = check(_grouped(rows), person_id, group)
            if problem is None:
                await session.execute(
                    update(TriadMember)
                    .where(TriadMember.round_id == round_id, TriadMember.person_id == person_id)
                    .values(group_number=group)
                )
            return problem

    async def set_question(self, round_id: int, question: str) -> None:
        async with self._sessions.begin() as session:
            await _lock_proposed(session, round_id, question=question)

    async def confirm(self, round_id: int, question: str) -> bool:
        """Confirm a proposal with its conversation question; False when it was confirmed already
        (or replaced), so a double click confirms once."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(TriadRound)
                .where(TriadRound.id == round_id, TriadRound.state == PROPOSED)
                .values(state=CONFIRMED, question=question)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def history(self, project_id: int, exclude_round: int | None = None) -> set[frozenset[int]]:
        """Every pair of people who shared a group in a confirmed round of the project (but
        ``exclude_round``: a confirmed round's own pairs are no repeats of themselves)."""
        async with self._sessions() as session:
            rows = (await session.execute(
                select(TriadMember.round_id, TriadMember.group_number, TriadMember.person_id)
                .join(TriadRound, TriadRound.id == TriadMember.round_id)
                .join(Meeting, Meeting.id == TriadRound.meeting_id)
                .where(Meeting.project_id == project_id, TriadRound.state == CONFIRMED,
                       TriadRound.id != (exclude_round or 0))
            )).tuples().all()
        groups: dict[tuple[int, int], list[int]] = {}
        for round_id, number, person in rows:
            groups.setdefault((round_id, number), []).append(person)
        return {frozenset(pair) for members in groups.values() for pair in combinations(members, 2)}


async def _lock_proposed(session: AsyncSession, round_id: int, **values: Any) -> None:
    """Lock a proposed round (changing ``values`` if given); RoundClosed when it is not one."""
    result = await session.execute(
        update(TriadRound)
        .where(TriadRound.id == round_id, TriadRound.state == PROPOSED)
        .values(**(values or {"state": TriadRound.state}))
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise RoundClosed(round_id)


def _grouped(rows: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for number, person in sorted(rows):
        groups.setdefault(number, []).append(person)
    return groups


async def _details(session: AsyncSession, project_id: int, people: set[int]) -> dict[int, tuple[int, str, str]]:
    """(person id, name, organisation) from each person's registration to the project; the Teams
    name and no organisation for someone without one. Erased people are left out."""
    if not people:
        return {}
    rows = (await session.execute(
        select(Person.id, Person.name, Registration.name, Registration.organisation_other, Organisation.name)
        .outerjoin(Registration, (Registration.person_id == Person.id) & (Registration.project_id == project_id))
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
        .where(Person.id.in_(sorted(people)), Person.erased_at.is_(None))
    )).tuples().all()
    return {
        person: (person, registered_name or teams_name or "", other or organisation or "")
        for person, teams_name, registered_name, other, organisation in rows
    }
