"""Projects read lately are kept until this process writes a project or meeting, or two seconds pass
(storage.recent), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.projects.spec import MeetingSpec, ProjectSpec
from storage.models import Meeting, Project
from storage.projects import ProjectRepository
from storage.recent import Recent, written_tables

SPEC = ProjectSpec(slug="kept", name="Etableringar", meetings=(
    MeetingSpec(1, "Start", datetime(2027, 5, 3, 8, tzinfo=UTC), datetime(2027, 5, 3, 13, tzinfo=UTC)),))


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_a_project_read_again_is_not_loaded_again(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    project_id = (await projects.upsert(SPEC)).id
    first = await projects.by_id(project_id)
    with statements() as seen:
        again = await ProjectRepository(sessions).by_id(project_id)  # another repository, the same database
    assert seen == []
    assert again is first and again is not None and [m.title for m in again.meetings] == ["Start"]


@pytest.mark.parametrize("write", ["repository", "orm", "core", "text"])
async def test_any_write_to_a_project_or_meeting_through_the_engine_is_read_at_once(
        sessions: async_sessionmaker[AsyncSession], write: str) -> None:
    projects = ProjectRepository(sessions)
    project_id = (await projects.upsert(SPEC)).id
    assert (await projects.by_id(project_id)) is not None
    if write == "repository":
        await projects.update_settings(project_id, capacity=9)
    else:
        async with sessions.begin() as session:
            if write == "orm":
                meeting = await session.get(Meeting, (await projects.by_id(project_id)).meetings[0].id)  # type: ignore[union-attr]
                assert meeting is not None
                meeting.title = "Ny titel"
            elif write == "core":
                await session.execute(update(Project).where(Project.id == project_id).values(capacity=9))
            else:
                await session.execute(text("UPDATE meeting SET title = 'Ny titel'"))
    again = await projects.by_id(project_id)
    assert again is not None
    assert (again.capacity, again.meetings[0].title) == (
        (9, "Start") if write in ("repository", "core") else (None, "Ny titel"))


async def test_writes_to_other_tables_keep_the_project(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    project_id = (await projects.upsert(SPEC)).id
    first = await projects.by_id(project_id)
    async with sessions.begin() as session:
        await session.execute(text("DELETE FROM registration_meeting"))
        await session.execute(text("UPDATE registration SET dietary = ''"))
    assert await projects.by_id(project_id) is first


async def test_a_load_that_overlapped_a_write_is_not_kept() -> None:
    recent: Recent[int, str] = Recent()

    async def load_while_written() -> str:
        recent.forget()  # a write lands while the old row is being read
        return "old"

    assert await recent.get(1, load_while_written) == "old"

    async def load() -> str:
        return "new"

    assert await recent.get(1, load) == "new"
    assert await recent.get(1, load_while_written) == "new"  # kept now


async def test_what_is_kept_expires() -> None:
    recent: Recent[int, int] = Recent(ttl=0.05)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        return loads

    assert await recent.get(1, load) == 1
    assert await recent.get(1, load) == 1
    await asyncio.sleep(0.06)
    assert await recent.get(1, load) == 2


@pytest.mark.parametrize(("statement", "writes"), [
    ("UPDATE project SET capacity=? WHERE project.id = ?", True),
    ('UPDATE "meeting" SET title=%(title)s', True),
    ("INSERT INTO meeting (project_id, number) VALUES (?, ?)", True),
    ("delete from project where id = 1", True),
    ("\n    UPDATE meeting\n    SET title = 'x'", True),
    ('UPDATE "t_1a2b".meeting SET title=$1', True),
    ("INSERT INTO registration_meeting (registration_id, meeting_id) VALUES (?, ?)", False),
    ("UPDATE meeting_substitute SET person_id=?", False),
    ("SELECT project.id FROM project", False),
    ("UPDATE", False),
    ("\nWITH place AS (SELECT id FROM registration), gone AS (\n    DELETE FROM meeting WHERE id = 1) SELECT 1", True),
    ("WITH a AS (INSERT INTO answer (x) VALUES (1) ON CONFLICT (x) DO UPDATE SET x = 2) SELECT 1", False),
    ('WITH a AS (UPDATE "project" SET x = 1 RETURNING id) SELECT id FROM a', True),
    ("WITH a AS (SELECT id FROM project) SELECT id FROM a", False),
])
def test_which_statements_write_a_watched_table(statement: str, writes: bool) -> None:
    assert bool({"project", "meeting"} & set(written_tables(statement))) is writes
