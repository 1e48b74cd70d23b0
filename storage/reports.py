"""Read-only facts for the project report: registrations with their municipality and meetings,
the municipalities of the region, case examples received and homework submissions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.features.report.rules import AssignmentFact, RegistrationFact
from storage.models import Assignment, CaseExample, Organisation, Registration, Submission

MUNICIPALITY = "municipality"


class ReportRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def municipalities(self) -> list[str]:
        """The region's municipalities (the "of 15"), in their usual order."""
        async with self._sessions() as session:
            rows = await session.scalars(select(Organisation.name).where(Organisation.kind == MUNICIPALITY)
                                         .order_by(Organisation.sort_order, Organisation.name))
            return list(rows)

    async def registrations(self, project_id: int) -> list[RegistrationFact]:
        """Every registration of the project, cancelled ones too (someone may have come once, then left)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Registration).where(Registration.project_id == project_id)
                .options(selectinload(Registration.organisation), selectinload(Registration.meetings))
                .order_by(Registration.id))
            return [RegistrationFact(r.person_id, r.organisation_other or r.organisation.name, r.organisation.kind,
                                     r.status, frozenset(link.meeting_id for link in r.meetings)) for r in rows]

    async def examples_received(self, project_id: int) -> int:
        async with self._sessions() as session:
            return await session.scalar(select(func.count()).select_from(CaseExample)
                                        .where(CaseExample.project_id == project_id)) or 0

    async def assignments(self, project_id: int) -> list[AssignmentFact]:
        async with self._sessions() as session:
            assignments = (await session.scalars(select(Assignment).where(Assignment.project_id == project_id)
                                                 .order_by(Assignment.deadline, Assignment.id))).all()
            rows = await session.execute(
                select(Submission.assignment_id, Submission.person_id)
                .join(Assignment, Assignment.id == Submission.assignment_id)
                .where(Assignment.project_id == project_id, Submission.person_id.is_not(None)))
            submitted: dict[int, set[int]] = {}
            for assignment_id, person_id in rows.tuples():
                if person_id is not None:
                    submitted.setdefault(assignment_id, set()).add(person_id)
            return [AssignmentFact(a.title, a.meeting_id, a.deadline, frozenset(submitted.get(a.id, set())))
                    for a in assignments]
