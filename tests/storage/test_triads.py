"""Triad rounds on SQLite and PostgreSQL: who a round is formed from, proposals, moves,
confirming once, and the history of pairs."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.registration.rules import RegistrationForm
from bot.features.triads.rules import MoveProblem, check_move
from storage.attendance import AttendanceRepository
from storage.models import Attendance, Meeting, Person, Project
from storage.registrations import RegistrationRepository
from storage.triads import RoundClosed, TriadRepository

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


async def make_project(sessions: async_sessionmaker[AsyncSession], slug: str = "triads") -> tuple[int, list[int]]:
    """A project with two meetings; returns its id and the meeting ids."""
    async with sessions.begin() as session:
        project = Project(slug=slug, name="Planering", calendar_token=f"tok-{slug}", quota_per_organisation=5)
        project.meetings = [
            Meeting(number=n, title=f"Träff {n}", starts_at=NOW + timedelta(days=30 * n),
                    ends_at=NOW + timedelta(days=30 * n, hours=3), uid=f"{slug}-{n}")
            for n in (1, 2)
        ]
        session.add(project)
        await session.flush()
        return project.id, [m.id for m in project.meetings]


async def make_people(sessions: async_sessionmaker[AsyncSession], count: int, prefix: str = "user") -> list[int]:
    async with sessions.begin() as session:
        people = [Person(teams_id=f"{prefix}-{i}", name=f"Teams {prefix} {i}") for i in range(count)]
        session.add_all(people)
        await session.flush()
        return [person.id for person in people]


async def register(sessions: async_sessionmaker[AsyncSession], project: int, person: int, name: str,
                   organisation: str, meetings: frozenset[int] = frozenset({1, 2}), other: str = "") -> None:
    form = RegistrationForm(name, organisation, other, "Planerare", "a@b.se", meetings, "", True)
    await RegistrationRepository(sessions).register(project, person, form, NOW)


@pytest.fixture
def repo(sessions: async_sessionmaker[AsyncSession]) -> TriadRepository:
    return TriadRepository(sessions)


async def test_candidates_are_the_people_coming_with_their_organisations(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    project, (first, _second) = await make_project(sessions)
    anna, erik, sara, johan, karin = await make_people(sessions, 5)
    await register(sessions, project, anna, "Anna Lindqvist", "falun")
    await register(sessions, project, erik, "Erik Åström", "annan", other="Trafikverket")
    await register(sessions, project, sara, "Sara Öberg", "mora", meetings=frozenset({2}))  # not meeting 1
    await register(sessions, project, johan, "Johan Mäkelä", "vansbro")
    await register(sessions, project, karin, "Karin Dahl", "borlange", meetings=frozenset({2}))
    await AttendanceRepository(sessions).answer(johan, first, "not_coming", NOW)
    async with sessions.begin() as session:  # Karin came anyway and checked in
        session.add(Attendance(person_id=karin, meeting_id=first, checked_in_at=NOW))

    found = await repo.candidates(first)

    assert [(c.name, c.organisation) for c in found] == [
        ("Anna Lindqvist", "Falu kommun"), ("Erik Åström", "Trafikverket"), ("Karin Dahl", "Borlänge kommun"),
    ]
    assert await repo.candidates(999_999) == []


async def test_a_proposal_is_stored_with_numbered_groups(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    project, (meeting, _) = await make_project(sessions)
    people = await make_people(sessions, 6)
    for i, person in enumerate(people):
        await register(sessions, project, person, f"Person {i}", ["falun", "mora", "vansbro"][i % 3])

    round_id = await repo.propose(meeting, [people[:3], people[3:]], "Hur gör ni?")
    view = await repo.get(round_id)

    assert view is not None and view.state == "proposed" and not view.confirmed
    assert view.question == "Hur gör ni?" and view.project_id == project and view.meeting_id == meeting
    assert {n: sorted(m.person_id for m in ms) for n, ms in view.groups().items()} == {
        1: sorted(people[:3]), 2: sorted(people[3:]),
    }
    assert view.member(people[0]) is not None and view.member(people[0]).organisation == "Falu kommun"  # type: ignore[union-attr]
    assert await repo.get(round_id + 1000) is None


async def test_a_new_proposal_replaces_the_unconfirmed_one_but_not_confirmed_rounds(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    _project, (meeting, _) = await make_project(sessions)
    people = await make_people(sessions, 3)
    confirmed = await repo.propose(meeting, [people], "a")
    assert await repo.confirm(confirmed, "a")
    old = await repo.propose(meeting, [people], "b")
    new = await repo.propose(meeting, [people], "c")
    replaced, current, kept = await repo.get(old), await repo.get(new), await repo.get(confirmed)
    assert replaced is not None and replaced.state == "replaced"
    assert current is not None and current.state == "proposed" and new not in (old, confirmed)
    assert kept is not None and kept.confirmed
    assert not await repo.confirm(old, "b")
    with pytest.raises(RoundClosed):
        await repo.move(old, people[0], 1, check_move)


async def test_moving_a_person_between_groups(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    _project, (meeting, _) = await make_project(sessions)
    people = await make_people(sessions, 7)
    round_id = await repo.propose(meeting, [people[:4], people[4:]], "")

    assert await repo.move(round_id, people[0], 2, check_move) is None
    assert await repo.move(round_id, people[4], 5, check_move) is MoveProblem.UNKNOWN_GROUP
    view = await repo.get(round_id)
    assert view is not None
    assert sorted(m.person_id for m in view.groups()[2]) == sorted([people[0], *people[4:]])
    assert len(view.groups()[1]) == 3


async def test_a_refused_move_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    _project, (meeting, _) = await make_project(sessions)
    people = await make_people(sessions, 5)
    round_id = await repo.propose(meeting, [people[:2], people[2:]], "")

    def refuse(groups: Mapping[int, Sequence[int]], person: int, target: int) -> str:
        assert dict(groups) == {1: sorted(people[:2]), 2: sorted(people[2:])}
        return "no"

    assert await repo.move(round_id, people[0], 2, refuse) == "no"
    assert await repo.move(round_id, people[0], 2, check_move) is MoveProblem.GROUP_TOO_SMALL
    view = await repo.get(round_id)
    assert view is not None and len(view.groups()[1]) == 2


async def test_a_confirmed_round_cannot_change(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    _project, (meeting, _) = await make_project(sessions)
    people = await make_people(sessions, 6)
    round_id = await repo.propose(meeting, [people[:3], people[3:]], "")
    assert await repo.confirm(round_id, "Vad är svårast?")
    assert not await repo.confirm(round_id, "En annan fråga")
    with pytest.raises(RoundClosed):
        await repo.move(round_id, people[0], 2, check_move)
    with pytest.raises(RoundClosed):
        await repo.set_question(round_id, "x")
    view = await repo.get(round_id)
    assert view is not None and view.confirmed and view.question == "Vad är svårast?"


async def test_concurrent_confirmations_confirm_once(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    _project, (meeting, _) = await make_project(sessions)
    people = await make_people(sessions, 3)
    round_id = await repo.propose(meeting, [people], "")
    results = await asyncio.gather(*(repo.confirm(round_id, "q") for _ in range(4)))
    assert sorted(results) == [False, False, False, True]


async def test_history_holds_pairs_of_confirmed_rounds_of_the_project_only(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    project, (first, second) = await make_project(sessions)
    _other_project, (elsewhere, _) = await make_project(sessions, slug="other")
    a, b, c, d, e, f = await make_people(sessions, 6)
    morning = await repo.propose(first, [[a, b, c], [d, e, f]], "")
    await repo.confirm(morning, "")
    await repo.propose(second, [[a, d, e], [b, c, f]], "")  # only proposed: not history
    other = await repo.propose(elsewhere, [[a, f, e]], "")
    await repo.confirm(other, "")

    pairs = {frozenset(p) for p in [(a, b), (a, c), (b, c), (d, e), (d, f), (e, f)]}
    assert await repo.history(project) == pairs
    assert await repo.history(project, exclude_round=morning) == set()
    assert await repo.history(project + 1000) == set()


async def test_setting_the_question_of_a_proposal(
    sessions: async_sessionmaker[AsyncSession], repo: TriadRepository
) -> None:
    _project, (meeting, _) = await make_project(sessions)
    people = await make_people(sessions, 3)
    round_id = await repo.propose(meeting, [people], "Förval")
    await repo.set_question(round_id, "Egen fråga")
    view = await repo.get(round_id)
    assert view is not None and view.question == "Egen fråga" and not view.confirmed
