"""Stored data for the turn benchmark's growth run (``bench.turns --stored 100,100000``): N people who met
the bot, each with a 1:1 chat and a registration to an earlier project, and N answers to that project's
closed evaluation. Inserted in bulk before the bot starts, so the turns measured afterwards show whether
their cost grows with what is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 5_000


async def seed_stored(database_url: str, people: int) -> None:
    from storage.db import create_engine, migrate, session_factory

    engine = create_engine(database_url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            project, meeting = await _earlier_project(session)
            organisations = list(await session.scalars(_organisation_ids()))
        for start in range(0, people, BATCH):
            async with sessions.begin() as session:
                await _people(session, range(start, min(people, start + BATCH)), project, meeting, organisations)
        async with sessions.begin() as session:
            await _answers(session, meeting, people)
        # As a database that grew over months is (autovacuum analyses a table once a tenth of it changed):
        # planned with statistics that know the rows are there, not as the empty tables of a bulk load.
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


def _organisation_ids() -> Any:
    from storage.models import Organisation

    return select(Organisation.id).order_by(Organisation.id)


async def _earlier_project(session: AsyncSession) -> tuple[int, int]:
    from storage.models import Meeting, Project

    past = datetime(2025, 3, 4, 9, tzinfo=UTC)
    project = Project(slug="tidigare", name="Ett tidigare lärprojekt", calendar_token="bench-growth",
                      state="finished", finished_at=past + timedelta(days=30))
    session.add(project)
    await session.flush()
    meeting = Meeting(project_id=project.id, number=1, title="Träff 1", starts_at=past,
                      ends_at=past + timedelta(hours=5), place="Falun", uid="bench-growth-1@dalalab")
    session.add(meeting)
    await session.flush()
    return project.id, meeting.id


async def _people(session: AsyncSession, numbers: range, project: int, meeting: int,
                  organisations: list[int]) -> None:
    from storage.models import Conversation, Person, Registration, RegistrationMeeting

    await session.execute(insert(Person), [
        {"teams_id": f"29:stored-{n}", "aad_object_id": f"aad-stored-{n}", "tenant_id": "tenant",
         "name": f"Sparad {n}", "locale": "sv-SE"} for n in numbers])
    ids = dict((await session.execute(select(Person.teams_id, Person.id).where(
        Person.teams_id.in_([f"29:stored-{n}" for n in numbers])))).tuples().all())
    await session.execute(insert(Conversation), [
        {"conversation_id": f"a:stored-{n}", "kind": "personal", "tenant_id": "tenant",
         "service_url": "http://127.0.0.1:9/", "reference": json.dumps({"conversation": {"id": f"a:stored-{n}"}}),
         "person_id": ids[f"29:stored-{n}"]} for n in numbers])
    await session.execute(insert(Registration), [
        {"project_id": project, "person_id": ids[f"29:stored-{n}"], "organisation_id": organisations[n % 15],
         "name": f"Sparad {n}", "status": "registered"} for n in numbers])
    registrations = (await session.scalars(select(Registration.id).where(
        Registration.person_id.in_(list(ids.values()))))).all()
    await session.execute(insert(RegistrationMeeting), [
        {"registration_id": registration, "meeting_id": meeting} for registration in registrations])


async def _answers(session: AsyncSession, meeting: int, count: int) -> None:
    """A closed evaluation's answers, with whatever columns the answer table has."""
    from bot.features.evaluation.rules import DEFAULT_QUESTIONS, questions_to_json
    from storage.models import Answer, Evaluation

    closed = datetime(2025, 3, 12, tzinfo=UTC)
    evaluation = Evaluation(meeting_id=meeting, questions=questions_to_json(DEFAULT_QUESTIONS),
                            opens_at=closed - timedelta(days=7), closes_at=closed, closed_at=closed,
                            chart_token="bench-growth")
    session.add(evaluation)
    await session.flush()
    columns = set(Answer.__table__.columns.keys())
    row = {"evaluation_id": evaluation.id, "values": json.dumps({"knowledge": "4", "contacts": "3", "support": "5"}),
           "submitted_at": closed, "updated_at": closed}
    for start in range(0, count, BATCH):
        await session.execute(insert(Answer), [{k: v for k, v in row.items() if k in columns}
                                               for _ in range(start, min(count, start + BATCH))])
