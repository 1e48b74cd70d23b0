"""Everything stored about one person, gathered for their own copy (GDPR art. 15 and 20).

Evaluation answers hold no person id; an answer can be found only while its evaluation is open,
through the keyed hash (storage/evaluations.py), and is included then. Conversation references are
listed by their ids, not their contents (those are Teams' routing data, not about the person)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from storage.evaluations import respondent_key
from storage.models import (
    AlumniPrompt,
    AlumniReply,
    Answer,
    Assignment,
    Attendance,
    CaseExample,
    Conversation,
    Evaluation,
    EvaluationInvite,
    Meeting,
    Person,
    Project,
    Registration,
    Submission,
    TriadMember,
    TriadRound,
)


@dataclass(frozen=True)
class EvaluationRecord:
    project: str
    meeting_number: int
    answered: bool
    open: bool
    own_answer: dict[str, Any] | None
    """The person's answer, only while the evaluation is open (afterwards nobody can link it)."""


@dataclass(frozen=True)
class PersonalData:
    person: Person
    registrations: list[tuple[Registration, Project]]
    attendance: list[tuple[Attendance, Meeting, Project]]
    evaluations: list[EvaluationRecord]
    submissions: list[tuple[Submission, Assignment, Project]]
    examples: list[tuple[CaseExample, Project]]
    alumni_replies: list[tuple[AlumniReply, AlumniPrompt]]
    triads: list[tuple[TriadMember, Meeting, Project]]
    conversations: list[Conversation]


class PrivacyRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def collect(self, person_id: int) -> PersonalData | None:
        """Everything linked to the person, or None for an unknown (or erased) person."""
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None or person.erased_at is not None:
                return None
            return PersonalData(
                person=person,
                registrations=await _registrations(session, person_id),
                attendance=await _rows(session, select(Attendance, Meeting, Project)
                                       .join(Meeting, Meeting.id == Attendance.meeting_id)
                                       .join(Project, Project.id == Meeting.project_id)
                                       .where(Attendance.person_id == person_id).order_by(Meeting.starts_at)),
                evaluations=await _evaluations(session, person_id),
                submissions=await _rows(session, select(Submission, Assignment, Project)
                                        .join(Assignment, Assignment.id == Submission.assignment_id)
                                        .join(Project, Project.id == Assignment.project_id)
                                        .where(Submission.person_id == person_id).order_by(Submission.id)),
                examples=await _rows(session, select(CaseExample, Project)
                                     .join(Project, Project.id == CaseExample.project_id)
                                     .where(CaseExample.person_id == person_id).order_by(CaseExample.id)),
                alumni_replies=await _rows(session, select(AlumniReply, AlumniPrompt)
                                           .join(AlumniPrompt, AlumniPrompt.id == AlumniReply.prompt_id)
                                           .where(AlumniReply.person_id == person_id).order_by(AlumniReply.id)),
                triads=await _rows(session, select(TriadMember, Meeting, Project)
                                   .join(TriadRound, TriadRound.id == TriadMember.round_id)
                                   .join(Meeting, Meeting.id == TriadRound.meeting_id)
                                   .join(Project, Project.id == Meeting.project_id)
                                   .where(TriadMember.person_id == person_id).order_by(TriadRound.id)),
                conversations=list(await session.scalars(
                    select(Conversation).where(Conversation.person_id == person_id).order_by(Conversation.id))),
            )


async def _rows(session: AsyncSession, query: Any) -> list[Any]:
    return [tuple(row) for row in (await session.execute(query)).all()]


async def _registrations(session: AsyncSession, person_id: int) -> list[tuple[Registration, Project]]:
    rows = await session.execute(
        select(Registration, Project).join(Project, Project.id == Registration.project_id)
        .options(selectinload(Registration.organisation), selectinload(Registration.meetings),
                 selectinload(Project.meetings))
        .where(Registration.person_id == person_id).order_by(Registration.created_at)
    )
    return [(registration, project) for registration, project in rows.tuples()]


async def _evaluations(session: AsyncSession, person_id: int) -> list[EvaluationRecord]:
    rows = await session.execute(
        select(EvaluationInvite.answered, Evaluation, Meeting.number, Project.name)
        .join(Evaluation, Evaluation.id == EvaluationInvite.evaluation_id)
        .join(Meeting, Meeting.id == Evaluation.meeting_id)
        .join(Project, Project.id == Meeting.project_id)
        .where(EvaluationInvite.person_id == person_id).order_by(Evaluation.opens_at)
    )
    records = []
    for answered, evaluation, number, project in rows.tuples():
        own = await _own_answer(session, evaluation, person_id) if evaluation.secret else None
        records.append(EvaluationRecord(project, number, bool(answered), evaluation.closed_at is None, own))
    return records


async def _own_answer(session: AsyncSession, evaluation: Evaluation, person_id: int) -> dict[str, Any] | None:
    assert evaluation.secret is not None
    values = await session.scalar(select(Answer.values).where(
        Answer.evaluation_id == evaluation.id, Answer.respondent == respondent_key(evaluation.secret, person_id)))
    return json.loads(values) if values else None


def registration_meeting_numbers(registration: Registration, project: Project) -> list[int]:
    chosen = {link.meeting_id for link in registration.meetings}
    return [meeting.number for meeting in project.meetings if meeting.id in chosen]
