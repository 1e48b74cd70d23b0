"""Repository of homework (assignments) and participants' answers: one answer per person and
assignment, a second answer replaces the first (also when two arrive at once)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import once_more_on_conflict
from storage.models import Assignment, Project, Submission


class HomeworkRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, project_id: int, meeting_id: int, title: str, instructions: str, deadline: datetime,
                     now: datetime) -> tuple[Assignment, bool]:
        """The assignment, created once: the same meeting, title and deadline again (a double click)
        returns the first one and False."""
        async with self._sessions.begin() as session:
            # Serialises two creations in one project on PostgreSQL (SQLite has one writer).
            await session.execute(select(Project.id).where(Project.id == project_id).with_for_update())
            same = await session.scalars(select(Assignment).where(
                Assignment.project_id == project_id, Assignment.meeting_id == meeting_id,
                Assignment.deadline == deadline))
            existing = next((a for a in same if _folded(a.title) == _folded(title)), None)
            if existing is not None:
                return existing, False
            assignment = Assignment(project_id=project_id, meeting_id=meeting_id, title=title,
                                    instructions=instructions, deadline=deadline, created_at=now)
            session.add(assignment)
            await session.flush()
            return assignment, True

    async def by_id(self, assignment_id: int) -> Assignment | None:
        async with self._sessions() as session:
            return await session.get(Assignment, assignment_id)

    async def open_assignments(self, now: datetime) -> list[Assignment]:
        """Assignments whose deadline is still ahead."""
        async with self._sessions() as session:
            return list(await session.scalars(
                select(Assignment).where(Assignment.deadline > now).order_by(Assignment.deadline, Assignment.id)))

    async def for_project(self, project_id: int) -> list[Assignment]:
        """The project's assignments, the latest deadline first."""
        async with self._sessions() as session:
            return list(await session.scalars(select(Assignment).where(Assignment.project_id == project_id)
                                              .order_by(Assignment.deadline.desc(), Assignment.id.desc())))

    async def answer(self, assignment_id: int, person_id: int, text: str, links: str, now: datetime) -> bool:
        """Store or replace the person's answer; True when it is their first."""
        return await once_more_on_conflict(lambda: self._answer(assignment_id, person_id, text, links, now))

    async def _answer(self, assignment_id: int, person_id: int, text: str, links: str, now: datetime) -> bool:
        async with self._sessions.begin() as session:
            submission = await session.scalar(select(Submission).where(
                Submission.assignment_id == assignment_id, Submission.person_id == person_id))
            first = submission is None
            if submission is None:
                submission = Submission(assignment_id=assignment_id, person_id=person_id, submitted_at=now)
                session.add(submission)
            submission.text, submission.links, submission.updated_at = text, links, now
            return first

    async def submission(self, assignment_id: int, person_id: int) -> Submission | None:
        async with self._sessions() as session:
            return await session.scalar(select(Submission).where(
                Submission.assignment_id == assignment_id, Submission.person_id == person_id))

    async def submissions(self, assignment_id: int) -> list[Submission]:
        async with self._sessions() as session:
            return list(await session.scalars(select(Submission).where(Submission.assignment_id == assignment_id)
                                              .order_by(Submission.submitted_at, Submission.id)))

    async def answered(self, assignment_id: int) -> set[int]:
        async with self._sessions() as session:
            rows = await session.scalars(select(Submission.person_id).where(
                Submission.assignment_id == assignment_id, Submission.person_id.is_not(None)))
            return {person_id for person_id in rows if person_id is not None}

    async def answer_counts(self, assignment_ids: Sequence[int]) -> dict[int, int]:
        if not assignment_ids:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(select(Submission.assignment_id, func.count())
                                         .where(Submission.assignment_id.in_(list(assignment_ids)))
                                         .group_by(Submission.assignment_id))
            return dict(rows.tuples().all())


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()
