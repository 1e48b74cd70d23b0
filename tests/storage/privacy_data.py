"""A project with three participants and something of every kind stored about Åsa, for the privacy
tests: registrations, attendance, a closed and an open evaluation, homework, a case example, an
alumni reply, a triad, conversation references, dialog state and planned deliveries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.evaluation.rules import DEFAULT_QUESTIONS, questions_to_json
from bot.features.registration.rules import RegistrationForm
from bot.outbox.addresses import person_address
from storage.attendance import AttendanceRepository
from storage.evaluations import EvaluationRepository
from storage.models import (
    AlumniPrompt,
    AlumniReply,
    Assignment,
    CaseExample,
    Meeting,
    Organisation,
    Person,
    Project,
    StateItem,
    Submission,
    TriadMember,
    TriadRound,
)
from storage.outbox import Outbox, PlannedDelivery
from storage.people import ConversationSeen, PeopleRepository, Visitor
from storage.registrations import RegistrationRepository

NOW = datetime(2027, 5, 10, 12, 0, tzinfo=UTC)
ASA = Visitor("29:asa", "Åsa Hemligsson", "aad-asa", "tenant-1", "sv-SE")
ASA_EMAIL = "asa.hemligsson@falun.se"
ASA_SECRETS = ("Åsa Hemligsson", ASA_EMAIL, "Glutenfri utan laktos", "aad-asa", "29:asa", "070-123 45 67")
"""What identifies Åsa. Her evaluation answer ("Åsas hemliga svar") stays, anonymous, in the results."""
ANSWER = {"knowledge": 4, "contacts": 5, "support": 3}


@dataclass(frozen=True)
class Scenario:
    project_id: int
    asa: int
    bo: int
    cecilia: int
    closed_evaluation: int
    open_evaluation: int


def personal(conversation_id: str, user: Visitor, service_url: str = "https://smba.example/") -> ConversationSeen:
    reference = json.dumps({"conversation": {"id": conversation_id}, "serviceUrl": service_url,
                            "user": {"id": user.teams_id, "name": user.name}})
    return ConversationSeen(conversation_id, "personal", service_url, reference, tenant_id="tenant-1")


async def build(sessions: async_sessionmaker[AsyncSession], slug: str = "energi") -> Scenario:
    project_id, meetings = await _project(sessions, slug)
    people = PeopleRepository(sessions)
    ids = []
    for visitor in (ASA, Visitor("29:bo", "Bo Ek", "aad-bo", "tenant-1"), Visitor("29:cecilia", "Cecilia Berg")):
        person_id = await people.remember(visitor, personal(f"a:{visitor.teams_id[3:]}", visitor))
        assert person_id is not None
        ids.append(person_id)
    asa, bo, cecilia = ids
    await _register(sessions, project_id, ids)
    attendance = AttendanceRepository(sessions)
    await attendance.answer(asa, meetings[0], "coming", NOW - timedelta(days=11))
    await attendance.answer(bo, meetings[0], "not_coming", NOW - timedelta(days=11))
    closed = await _evaluation(sessions, meetings[0], ids, NOW - timedelta(days=10), close=True)
    opened = await _evaluation(sessions, meetings[1], ids, NOW - timedelta(hours=2), close=False)
    await _contributions(sessions, project_id, meetings[1], asa)
    await Outbox(sessions).plan([
        PlannedDelivery("reminder", f"meeting:{meetings[2]}:1d", person_address(asa), NOW + timedelta(days=5)),
        PlannedDelivery("reminder", f"meeting:{meetings[2]}:1d", person_address(bo), NOW + timedelta(days=5)),
    ])
    return Scenario(project_id, asa, bo, cecilia, closed, opened)


async def _project(sessions: async_sessionmaker[AsyncSession], slug: str) -> tuple[int, list[int]]:
    starts = [NOW - timedelta(days=11), NOW - timedelta(hours=5), NOW + timedelta(days=6)]
    async with sessions.begin() as session:
        project = Project(slug=slug, name=f"Projekt {slug}", calendar_token=f"tok-{slug}", state="running",
                          quota_per_organisation=10)
        project.meetings = [Meeting(number=n + 1, title=f"Träff {n + 1}", starts_at=start,
                                    ends_at=start + timedelta(hours=3), uid=f"{slug}-{n + 1}")
                            for n, start in enumerate(starts)]
        session.add(project)
        await session.flush()
        return project.id, [meeting.id for meeting in project.meetings]


async def _register(sessions: async_sessionmaker[AsyncSession], project_id: int, ids: list[int]) -> None:
    registrations = RegistrationRepository(sessions)
    forms = [
        RegistrationForm("Åsa Hemligsson", "falun", "", "Planarkitekt", ASA_EMAIL, frozenset({1, 2, 3}),
                         "Glutenfri utan laktos", True),
        RegistrationForm("Bo Ek", "falun", "", "Handläggare", "bo.ek@falun.se", frozenset({1, 2, 3}), "", True),
        RegistrationForm("Cecilia Berg", "mora", "", "", "", frozenset({1, 2, 3}), "", False),
    ]
    for person_id, form in zip(ids, forms, strict=True):
        await registrations.register(project_id, person_id, form, NOW - timedelta(days=20))


async def _evaluation(sessions: async_sessionmaker[AsyncSession], meeting_id: int, ids: list[int],
                      opens: datetime, close: bool) -> int:
    repo = EvaluationRepository(sessions)
    evaluation = await repo.ensure(meeting_id, questions_to_json(DEFAULT_QUESTIONS), opens, opens + timedelta(days=7))
    organisations = ["Falu kommun", "Falu kommun", "Mora kommun"]
    for person_id, organisation in zip(ids, organisations, strict=True):
        await repo.invite(evaluation.id, person_id)
        values: dict[str, object] = dict(ANSWER)
        if person_id == ids[0]:
            values["valuable"] = "Åsas hemliga svar"
        await repo.answer(evaluation.id, person_id, values, opens + timedelta(minutes=5), organisation)
    if close:
        await repo.close_due(opens + timedelta(days=7), 3)
    return evaluation.id


async def _contributions(sessions: async_sessionmaker[AsyncSession], project_id: int, meeting_id: int,
                         asa: int) -> None:
    async with sessions.begin() as session:
        falun = await session.scalar(select(Organisation).where(Organisation.key == "falun"))
        person = await session.get(Person, asa)
        assert falun is not None and person is not None
        person.email = ASA_EMAIL
        assignment = Assignment(project_id=project_id, title="Kartlägg er service", deadline=NOW)
        prompt = AlumniPrompt(channel_id="19:alumni", question="Vad har hänt sedan sist?", period="2027-05",
                              asked_at=NOW)
        triad = TriadRound(meeting_id=meeting_id, question="Hur gör ni?")
        session.add_all([assignment, prompt, triad])
        await session.flush()
        session.add_all([
            Submission(assignment_id=assignment.id, person_id=asa, text="Vår kartläggning"),
            CaseExample(project_id=project_id, person_id=asa, organisation_id=falun.id, title="Servicepunkt",
                        contact=f"Åsa Hemligsson, {ASA_EMAIL}, 070-123 45 67"),
            AlumniReply(prompt_id=prompt.id, person_id=asa, text="Vi har öppnat en servicepunkt", created_at=NOW),
            TriadMember(round_id=triad.id, person_id=asa, group_number=1),
            StateItem(key="msteams/users/29:asa", e_tag="1", data='{"name": "Åsa Hemligsson"}'),
            StateItem(key="msteams/conversations/a:asa", e_tag="1", data='{"dialog": "Åsas hemliga svar"}'),
        ])
