"""Triad rounds as use cases on SQLite and PostgreSQL: proposing from the people coming, moving,
confirming once with one queued announcement per person, what each person is told, and later
rounds avoiding earlier pairs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.triads.rules import MoveProblem
from bot.features.triads.service import Confirmed, NoMeeting, Proposal, Refusal, TooFew, TriadService
from bot.outbox.addresses import person_address
from storage.models import Delivery, Project
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.triads import TriadRepository
from tests.storage.test_triads import NOW, make_people, make_project, register


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> TriadService:
    return TriadService(TriadRepository(sessions), ProjectRepository(sessions), Outbox(sessions), clock)


async def project_with(
    sessions: async_sessionmaker[AsyncSession], organisations: list[str]
) -> tuple[Project, list[int]]:
    project_id, _meetings = await make_project(sessions)
    people = await make_people(sessions, len(organisations))
    for i, (person, organisation) in enumerate(zip(people, organisations, strict=True)):
        await register(sessions, project_id, person, f"Person {i}", organisation)
    project = await ProjectRepository(sessions).by_id(project_id)
    assert project is not None
    return project, people


async def proposed(service: TriadService, project: Project) -> Proposal:
    result = await service.propose(project)
    assert isinstance(result, Proposal)
    return result


async def test_a_proposal_mixes_municipalities_and_suggests_a_question(
    sessions: async_sessionmaker[AsyncSession], service: TriadService
) -> None:
    project, people = await project_with(sessions, ["falun", "falun", "mora", "mora", "vansbro", "vansbro"])
    proposal = await proposed(service, project)
    assert proposal.meeting.number == 1 and not proposal.confirmed and proposal.people == 6
    assert [len(g.members) for g in proposal.groups] == [3, 3]
    for group in proposal.groups:
        assert len({m.organisation for m in group.members}) == 3 and not group.same_organisation
    assert "Träff 1" in proposal.question
    assert proposal.project_name == "Planering"


async def test_nothing_to_form_without_a_meeting_ahead_or_with_one_person(
    sessions: async_sessionmaker[AsyncSession], service: TriadService, clock: Clock
) -> None:
    project, _people = await project_with(sessions, ["falun"])
    too_few = await service.propose(project)
    assert isinstance(too_few, TooFew) and too_few.count == 1
    clock.now = NOW + timedelta(days=365)
    assert isinstance(await service.propose(project), NoMeeting)


async def test_moving_someone_keeps_the_question_typed_on_the_card(
    sessions: async_sessionmaker[AsyncSession], service: TriadService
) -> None:
    seven = ["falun", "mora", "vansbro", "leksand", "rattvik", "orsa", "gagnef"]
    project, _people = await project_with(sessions, seven)
    proposal = await proposed(service, project)
    person = proposal.groups[0].members[0].person_id
    moved = await service.move(proposal.round_id, person, 2, "  Hur  gör ni med översiktsplanen? ")
    assert isinstance(moved, Proposal)
    assert moved.member(person).group == 2  # type: ignore[union-attr]
    assert moved.question == "Hur gör ni med översiktsplanen?"


@pytest.mark.parametrize(
    ("person", "group", "problem"),
    [(None, 2, MoveProblem.UNKNOWN_PERSON), (-1, 2, MoveProblem.UNKNOWN_PERSON),
     ("first", None, MoveProblem.UNKNOWN_GROUP), ("first", 9, MoveProblem.UNKNOWN_GROUP),
     ("first", 1, MoveProblem.SAME_GROUP)],
)
async def test_impossible_moves_are_refused(
    sessions: async_sessionmaker[AsyncSession], service: TriadService, person: object, group: int | None,
    problem: MoveProblem,
) -> None:
    project, _people = await project_with(sessions, ["falun", "mora", "vansbro", "leksand", "rattvik", "orsa"])
    proposal = await proposed(service, project)
    first = proposal.groups[0].members[0].person_id
    person_id = first if person == "first" else person
    assert await service.move(proposal.round_id, person_id, group) is problem  # type: ignore[arg-type]


async def test_a_question_over_the_limit_is_refused(
    sessions: async_sessionmaker[AsyncSession], service: TriadService
) -> None:
    project, _people = await project_with(sessions, ["falun", "mora", "vansbro"])
    proposal = await proposed(service, project)
    assert await service.confirm(proposal.round_id, "x" * 501) is Refusal.QUESTION_TOO_LONG
    assert await service.move(proposal.round_id, 1, 1, "x" * 501) is Refusal.QUESTION_TOO_LONG


async def test_confirming_twice_queues_one_announcement_per_person(
    sessions: async_sessionmaker[AsyncSession], service: TriadService
) -> None:
    project, people = await project_with(sessions, ["falun", "mora", "vansbro", "leksand", "rattvik", "orsa"])
    proposal = await proposed(service, project)
    first = await service.confirm(proposal.round_id, "Vad vill ni lära er av varandra?")
    second = await service.confirm(proposal.round_id, "Något annat")
    assert isinstance(first, Confirmed) and first.newly and first.proposal.confirmed
    assert isinstance(second, Confirmed) and not second.newly
    async with sessions() as session:
        rows = list(await session.scalars(select(Delivery).where(Delivery.kind == "triad")))
    assert sorted(r.recipient for r in rows) == sorted(person_address(p) for p in people)
    assert {r.source for r in rows} == {f"triad_round:{proposal.round_id}"}
    assert all(r.relevant_until == proposal.meeting.ends_at and r.due_at == NOW for r in rows)
    assert first.proposal.question == "Vad vill ni lära er av varandra?"
    assert await service.move(proposal.round_id, people[0], 2) is Refusal.CONFIRMED


async def test_a_replaced_proposal_can_be_neither_moved_nor_confirmed(
    sessions: async_sessionmaker[AsyncSession], service: TriadService
) -> None:
    project, people = await project_with(sessions, ["falun", "mora", "vansbro"])
    old = await proposed(service, project)
    await proposed(service, project)
    assert await service.confirm(old.round_id) is Refusal.GONE
    assert await service.move(old.round_id, people[0], 1, "Fråga") is Refusal.GONE
    assert await service.confirm(123_456) is Refusal.GONE


async def test_each_person_is_told_their_group_and_the_question(
    sessions: async_sessionmaker[AsyncSession], service: TriadService
) -> None:
    project, people = await project_with(sessions, ["falun", "mora", "vansbro", "leksand"])
    proposal = await proposed(service, project)
    assert await service.announcement(proposal.round_id, people[0]) is None  # not confirmed yet
    await service.confirm(proposal.round_id, "Vad är svårast?")
    told = await service.announcement(proposal.round_id, people[0])
    assert told is not None and told.group == 1 and told.question == "Vad är svårast?"
    assert sorted(m.name for m in told.others) == ["Person 1", "Person 2", "Person 3"]
    assert {m.organisation for m in told.others} == {"Mora kommun", "Vansbro kommun", "Leksands kommun"}
    assert await service.announcement(proposal.round_id, 999_999) is None


async def test_the_next_meeting_avoids_pairs_from_the_first(
    sessions: async_sessionmaker[AsyncSession], service: TriadService, clock: Clock
) -> None:
    project, _people = await project_with(sessions, ["falun", "mora", "vansbro"] * 3)
    first = await proposed(service, project)
    await service.confirm(first.round_id)
    met = {frozenset(p) for g in first.groups for p in combinations([m.person_id for m in g.members], 2)}

    clock.now = first.meeting.ends_at + timedelta(hours=1)
    second = await proposed(service, project)

    assert second.meeting.number == 2
    for group in second.groups:
        pairs = {frozenset(p) for p in combinations([m.person_id for m in group.members], 2)}
        assert not pairs & met and not group.repeats and not group.same_organisation


def test_the_default_question_nests_no_quotes_and_fits_any_organisation() -> None:
    from types import SimpleNamespace

    from bot.features.triads.service import default_question

    meeting = SimpleNamespace(title='Vad ligger i begreppet "utvecklingsinriktning" i ÖP-modellen?')
    question = default_question(meeting)  # type: ignore[arg-type]
    assert '"utvecklingsinriktning"' in question and "”" not in question and "“" not in question
    assert "i er kommun" not in question and "i er organisation" in question
    assert "ÖP-modellen." in question and "?." not in question
