"""Homework on SQLite and PostgreSQL: one assignment per double click, one answer per person
(a new answer replaces it, also when two arrive at the same moment)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.homework import HomeworkRepository
from tests.exchange_world import NOW, build_world

DEADLINE = NOW + timedelta(days=7)


async def test_an_assignment_is_created_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    world = await build_world(sessions)
    repo = HomeworkRepository(sessions)
    meeting = world.meeting_ids[0]
    first, created = await repo.create(world.project_id, meeting, "Kartlägg er plan", "Två sidor", DEADLINE, NOW)
    again, created_again = await repo.create(world.project_id, meeting, "KARTLÄGG ER PLAN", "", DEADLINE, NOW)
    assert created and not created_again and again.id == first.id
    later, _ = await repo.create(world.project_id, meeting, "Kartlägg er plan", "", DEADLINE + timedelta(days=1), NOW)
    assert later.id != first.id
    assert [a.id for a in await repo.for_project(world.project_id)] == [later.id, first.id]
    assert [a.id for a in await repo.open_assignments(DEADLINE)] == [later.id]
    assert (await repo.by_id(first.id)) is not None and await repo.by_id(10_000) is None


async def test_a_second_answer_replaces_the_first(sessions: async_sessionmaker[AsyncSession]) -> None:
    world = await build_world(sessions)
    repo = HomeworkRepository(sessions)
    assignment, _ = await repo.create(world.project_id, world.meeting_ids[0], "Plan", "", DEADLINE, NOW)
    anna, karin = world.people["Anna"], world.people["Karin"]
    assert await repo.answer(assignment.id, anna, "Första", "", NOW)
    assert not await repo.answer(assignment.id, anna, "Andra", "https://falun.se", NOW + timedelta(hours=1))
    await asyncio.gather(*(repo.answer(assignment.id, karin, "Samtidigt", "", NOW) for _ in range(4)))
    submissions = await repo.submissions(assignment.id)
    assert [(s.person_id, s.text) for s in submissions] == [(anna, "Andra"), (karin, "Samtidigt")]
    own = await repo.submission(assignment.id, anna)
    assert own is not None and own.submitted_at == NOW and own.updated_at == NOW + timedelta(hours=1)
    assert await repo.answered(assignment.id) == {anna, karin}
    assert await repo.answer_counts([assignment.id, 10_000]) == {assignment.id: 2}
    assert await repo.answer_counts([]) == {}
