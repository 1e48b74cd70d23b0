"""`vem kan` and the project report against SQLite and PostgreSQL: only people who agreed to be
listed are ever found, and the report's figures come out of real rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.evaluation.service import EvaluationResults
from bot.features.examples.who_knows import who_knows
from bot.features.report.service import ReportService
from storage.checkins import CheckInRepository
from storage.evaluations import EvaluationRepository
from storage.expertise import ExpertiseRepository
from storage.models import Assignment, CaseExample, Organisation, Registration, Submission
from storage.projects import ProjectRepository
from storage.reports import ReportRepository
from storage.substitutes import SubstituteRepository
from tests.storage.followup_seed import START, seed


async def add_example(sessions: async_sessionmaker[AsyncSession], project_id: int, person_id: int, theme: str,
                      sharing: str = "alumni", status: str = "approved") -> None:
    async with sessions.begin() as session:
        falun = await session.scalar(select(Organisation.id).where(Organisation.key == "falun"))
        assert falun is not None
        session.add(CaseExample(project_id=project_id, person_id=person_id, organisation_id=falun,
                                title=f"Exempel om {theme}", theme=theme, sharing=sharing, status=status,
                                contact="kontakt@falun.se"))


async def test_only_people_who_agreed_to_be_listed_are_found(sessions: async_sessionmaker[AsyncSession]) -> None:
    listed = await seed(sessions, "w1", ["falun"], consent=True)
    hidden = await seed(sessions, "w2", ["mora"], consent=False)
    await add_example(sessions, listed.project_id, listed.people[0], "Energiplanering")
    await add_example(sessions, hidden.project_id, hidden.people[0], "Energiplanering")
    people = await ExpertiseRepository(sessions).listed_people()
    assert [p.person_id for p in people] == [listed.people[0]]
    found = who_knows("energiplanering", people)
    assert [f.person.person_id for f in found] == [listed.people[0]]
    assert found[0].examples[0].contact == "kontakt@falun.se"


async def test_only_approved_examples_shared_beyond_the_project_are_shown(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "w3", ["falun"])
    await add_example(sessions, seeded.project_id, seeded.people[0], "Vindkraft", sharing="project")
    await add_example(sessions, seeded.project_id, seeded.people[0], "Solceller", status="rejected")
    await add_example(sessions, seeded.project_id, seeded.people[0], "Elnät", status="submitted")
    await add_example(sessions, seeded.project_id, seeded.people[0], "Bredband", sharing="public")
    people = await ExpertiseRepository(sessions).listed_people()
    assert [e.theme for p in people for e in p.examples] == ["Bredband"]
    async with sessions.begin() as session:
        await session.execute(update(Registration).values(status="cancelled"))
    assert await ExpertiseRepository(sessions).listed_people() == []


async def test_the_report_from_rows(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "r1", ["falun", "falun", "mora", "leksand"], meetings=2)
    checkins = CheckInRepository(sessions)
    for person in seeded.people[:3]:
        await checkins.check_in(person, seeded.meeting_ids[0], START)
    await add_example(sessions, seeded.project_id, seeded.people[0], "Tillstånd")
    async with sessions.begin() as session:
        assignment = Assignment(project_id=seeded.project_id, meeting_id=seeded.meeting_ids[0], title="Läxa",
                                deadline=START + timedelta(days=7))
        session.add(assignment)
        await session.flush()
        session.add_all([Submission(assignment_id=assignment.id, person_id=p, text="Klar")
                         for p in seeded.people[:2]])
    project = await ProjectRepository(sessions).by_id(seeded.project_id)
    assert project is not None
    now = START + timedelta(days=40)  # both meetings held; the second without check-ins
    results = EvaluationResults(EvaluationRepository(sessions), ProjectRepository(sessions), lambda: now, 3)
    report = await ReportService(ReportRepository(sessions), checkins, results, lambda: now,
                                 SubstituteRepository(sessions)).for_project(project)
    assert report.municipalities_total == 15
    assert report.municipalities_participating == ["Falu kommun", "Leksands kommun", "Mora kommun"]
    assert [(m.participants, m.attendance_known) for m in report.meetings] == [(3, True), (4, False)]
    assert report.participants_range == (3, 4)
    falun = next(o for o in report.organisations if o.name == "Falu kommun")
    assert (falun.registered, falun.per_meeting, falun.people) == (2, (2, 2), 2)
    assert report.examples_received == 1
    assert [(h.expected, h.answered, h.rate_percent) for h in report.homework] == [(4, 2, 50)]
