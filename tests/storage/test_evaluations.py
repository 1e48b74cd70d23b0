"""Evaluations on SQLite and PostgreSQL: one answer per person, changes until closing, and
closing erases the link between answers and people."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.features.evaluation.rules import DEFAULT_QUESTIONS, questions_to_json
from bot.features.evaluation.service import EvaluationPlanner
from bot.features.registration.rules import RegistrationForm
from bot.outbox.addresses import person_address
from storage.evaluations import EvaluationClosed, EvaluationRepository, StandingIn
from storage.models import Answer, Delivery, Evaluation, EvaluationInvite, Meeting, Person, Project
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

END = datetime(2027, 5, 3, 13, 0, tzinfo=UTC)
OPENS, CLOSES = END + timedelta(minutes=30), END + timedelta(days=7, minutes=30)


async def setup(sessions: async_sessionmaker[AsyncSession], people: int = 3) -> tuple[int, int, list[int]]:
    async with sessions.begin() as session:
        project = Project(slug="e", name="Energi", calendar_token="t")
        project.meetings = [Meeting(number=1, title="Träff", starts_at=END - timedelta(hours=3), ends_at=END,
                                    uid="e-1")]
        persons = [Person(teams_id=f"u{i}", name=f"P{i}") for i in range(people)]
        session.add(project)
        session.add_all(persons)
        await session.flush()
        return project.id, project.meetings[0].id, [p.id for p in persons]


@pytest.fixture
def repo(sessions: async_sessionmaker[AsyncSession]) -> EvaluationRepository:
    return EvaluationRepository(sessions)


async def test_one_answer_per_person_and_changes_replace_it(sessions: async_sessionmaker[AsyncSession],
                                                            repo: EvaluationRepository) -> None:
    _, meeting, people = await setup(sessions)
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    await repo.invite(evaluation.id, people[0])
    assert await repo.answer(evaluation.id, people[0], {"knowledge": 3}, OPENS, "Falu kommun")
    assert not await repo.answer(evaluation.id, people[0], {"knowledge": 5}, OPENS, "Falu kommun")
    assert await repo.answers(evaluation.id) == [({"knowledge": 5}, "Falu kommun")]
    assert await repo.own_answer(evaluation.id, people[0]) == {"knowledge": 5}
    assert await repo.invite_state(evaluation.id, people[0]) is True


async def test_double_click_at_the_same_moment_stores_one(sessions: async_sessionmaker[AsyncSession],
                                                          repo: EvaluationRepository) -> None:
    _, meeting, people = await setup(sessions)
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    await repo.invite(evaluation.id, people[1])
    await asyncio.gather(*(repo.answer(evaluation.id, people[1], {"knowledge": 4}, OPENS, "") for _ in range(4)))
    assert len(await repo.answers(evaluation.id)) == 1


async def test_outside_the_window_nothing_is_stored(sessions: async_sessionmaker[AsyncSession],
                                                    repo: EvaluationRepository) -> None:
    _, meeting, people = await setup(sessions)
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    await repo.invite(evaluation.id, people[0])
    with pytest.raises(EvaluationClosed):
        await repo.answer(evaluation.id, people[0], {"knowledge": 4}, OPENS - timedelta(minutes=1), "")
    with pytest.raises(EvaluationClosed):
        await repo.answer(evaluation.id, people[0], {"knowledge": 4}, CLOSES, "")
    assert await repo.answers(evaluation.id) == []


async def test_closing_unlinks_answers_from_people_for_good(sessions: async_sessionmaker[AsyncSession],
                                                            repo: EvaluationRepository) -> None:
    _, meeting, people = await setup(sessions)
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    for person in people:
        await repo.invite(evaluation.id, person)
        await repo.answer(evaluation.id, person, {"knowledge": 4}, OPENS, "Mora kommun")
    assert await repo.close_due(CLOSES - timedelta(seconds=1), 3) == 0
    assert await repo.close_due(CLOSES, 3) == 1
    async with sessions() as session:
        assert (await session.scalars(select(Answer.respondent))).all() == [None, None, None]
        closed = await session.get(Evaluation, evaluation.id)
        assert closed is not None and closed.secret is None and closed.closed_at == CLOSES
    assert await repo.own_answer(evaluation.id, people[0]) is None
    with pytest.raises(EvaluationClosed):
        await repo.answer(evaluation.id, people[0], {"knowledge": 1}, CLOSES, "")
    assert len(await repo.answers(evaluation.id)) == 3  # the statistics stay


async def test_closing_freezes_the_figures_and_drops_what_links_answers(
        sessions: async_sessionmaker[AsyncSession], repo: EvaluationRepository) -> None:
    _, meeting, people = await setup(sessions, people=4)
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    for person in people:
        await repo.invite(evaluation.id, person)
    # Answered in the reverse order of their values: the ids afterwards must not keep that order.
    for step, person in zip((5, 4, 3), people, strict=False):
        await repo.answer(evaluation.id, person, {"knowledge": step}, OPENS, "Mora kommun")
    async with sessions.begin() as session:
        session.add(Delivery(kind="evaluation_nudge", source=f"evaluation:{evaluation.id}", recipient=person_address(1),
                             due_at=OPENS, state="skipped"))
    assert await repo.close_due(CLOSES, 3) == 1
    async with sessions() as session:
        rows = (await session.execute(select(Answer.id, Answer.values, Answer.organisation, Answer.submitted_at,
                                             Answer.updated_at, Answer.respondent).order_by(Answer.id))).all()
        assert [values for _, values, *_ in rows] == sorted(values for _, values, *_ in rows)
        assert {(organisation, submitted, updated, respondent) for _, _, organisation, submitted, updated, respondent
                in rows} == {("", None, None, None)}
        assert (await session.scalars(select(Delivery.id))).all() == []
        frozen = await session.get(Evaluation, evaluation.id)
        assert frozen is not None and frozen.invited_count == 4
        assert frozen.breakdown is not None and "Mora kommun" in frozen.breakdown
    assert await repo.invited_count(evaluation.id) == 4
    assert await repo.invite_state(evaluation.id, people[0]) is None


async def test_planner_asks_registered_people_when_the_meeting_ends(sessions: async_sessionmaker[AsyncSession],
                                                                    repo: EvaluationRepository) -> None:
    project, meeting, people = await setup(sessions, people=2)
    registrations = RegistrationRepository(sessions)
    async with sessions.begin() as session:
        await session.execute(Project.__table__.update().values(registration_deadline=None))
    for person in people:
        form = RegistrationForm(f"P{person}", "falun", "", "", "", frozenset({1}), "", False)
        await registrations.register(project, person, form, END - timedelta(days=30))
    now = [END - timedelta(hours=1)]
    planner = EvaluationPlanner(ProjectRepository(sessions), registrations, repo, Outbox(sessions), lambda: now[0])
    assert await planner.plan_all() == 4  # a card and a nudge each
    assert await planner.plan_all() == 0  # idempotent
    async with sessions() as session:
        rows = (await session.scalars(select(Delivery).order_by(Delivery.kind, Delivery.recipient))).all()
    nudge_at = OPENS + timedelta(days=2)
    assert {(d.kind, d.due_at) for d in rows} == {("evaluation", OPENS), ("evaluation_nudge", nudge_at)}
    assert all(d.relevant_until == CLOSES for d in rows)


async def test_an_answer_counts_for_the_organisation_registered_with_and_only_from_the_invited(
        sessions: async_sessionmaker[AsyncSession], repo: EvaluationRepository) -> None:
    project, meeting, (registered, colleague, stranger) = await setup(sessions)
    async with sessions.begin() as session:
        await session.execute(Project.__table__.update().values(registration_deadline=None))
    form = RegistrationForm("P0", "falun", "", "", "", frozenset({1}), "", False)
    await RegistrationRepository(sessions).register(project, registered, form, END - timedelta(days=30))
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    await repo.invite(evaluation.id, registered)
    await repo.invite(evaluation.id, colleague)  # stands in for someone: no registration of their own

    assert await repo.answer(evaluation.id, registered, {"knowledge": 4}, OPENS) is True
    assert await repo.answer(evaluation.id, registered, {"knowledge": 5}, OPENS, "Mora kommun") is False
    with pytest.raises(StandingIn):
        await repo.answer(evaluation.id, colleague, {"knowledge": 3}, OPENS)
    assert await repo.answer(evaluation.id, colleague, {"knowledge": 3}, OPENS, "Mora kommun") is True
    assert await repo.answer(evaluation.id, stranger, {"knowledge": 1}, OPENS) is None
    assert await repo.answer(evaluation.id + 1, registered, {"knowledge": 1}, OPENS) is None
    with pytest.raises(EvaluationClosed):
        await repo.answer(evaluation.id, registered, {"knowledge": 1}, CLOSES)

    assert sorted(await repo.answers(evaluation.id), key=str) == [
        ({"knowledge": 3}, "Mora kommun"), ({"knowledge": 5}, "Falu kommun")]
    assert await repo.invite_state(evaluation.id, stranger) is None


def on_postgresql_only(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores an answer in one write transaction, writers one at a time")
    return engine


async def waiting_on_a_lock(watcher: AsyncConnection, statement_part: str, task: asyncio.Task[Any]) -> None:
    """Until PostgreSQL shows a statement with ``statement_part`` waiting on a lock (``task`` still under way).
    The watcher runs without a transaction: within one, pg_stat_activity stays as it first read it."""
    async with asyncio.timeout(10):
        while not (await watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, :part) > 0"),
                {"part": statement_part})).scalar():
            assert not task.done()
            await asyncio.sleep(0.01)


async def test_an_answer_on_postgresql_is_a_read_and_one_statement_outside_a_transaction(
        sessions: async_sessionmaker[AsyncSession], repo: EvaluationRepository) -> None:
    engine = on_postgresql_only(sessions)
    _, meeting, people = await setup(sessions)
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    await repo.invite(evaluation.id, people[0])
    statements: list[tuple[str, object]] = []

    def executed(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append((statement.lstrip()[:20], connection.get_execution_options().get("isolation_level")))

    event.listen(engine.sync_engine, "before_cursor_execute", executed)
    try:
        firsts = [await repo.answer(evaluation.id, people[0], {"knowledge": k}, OPENS, "Falu kommun") for k in (3, 5)]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", executed)

    assert firsts == [True, False]
    assert [statement for statement, _ in statements] == ["SELECT evaluation.se", "WITH still_open AS ("] * 2
    assert {isolation for _, isolation in statements} == {"AUTOCOMMIT"}
    assert await repo.answers(evaluation.id) == [({"knowledge": 5}, "Falu kommun")]
    assert await repo.invite_state(evaluation.id, people[0]) is True


async def test_an_answer_written_while_the_evaluation_closes_waits_and_is_told_it_closed(
        engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], repo: EvaluationRepository) -> None:
    """The read found it open; the closing commits before the write: nothing is stored under a person's key."""
    on_postgresql_only(sessions)
    _, meeting, people = await setup(sessions)
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    await repo.invite(evaluation.id, people[0])
    async with engine.connect() as closing, engine.execution_options(isolation_level="AUTOCOMMIT").connect() as watcher:
        transaction = await closing.begin()
        await closing.execute(update(Evaluation).where(Evaluation.id == evaluation.id)
                              .values(closed_at=OPENS, secret=None))
        await closing.execute(delete(EvaluationInvite).where(EvaluationInvite.evaluation_id == evaluation.id))
        answering = asyncio.create_task(repo.answer(evaluation.id, people[0], {"knowledge": 4}, OPENS, "Falu kommun"))
        await waiting_on_a_lock(watcher, "WITH still_open", answering)  # the write, on the closing's row lock
        await transaction.commit()
        with pytest.raises(EvaluationClosed):
            await answering
    async with sessions() as session:
        assert (await session.execute(select(Answer.respondent))).all() == []


async def test_a_closing_waits_for_an_answer_being_written_and_then_anonymises_it(
        engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], repo: EvaluationRepository) -> None:
    """An answer under way (its transaction holds the evaluation, as the answer's statements do) is waited for:
    a closing that read the answers before it committed would leave it behind with its respondent's key."""
    on_postgresql_only(sessions)
    _, meeting, _people = await setup(sessions)
    evaluation = await repo.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), OPENS, CLOSES)
    async with engine.connect() as answering, \
            engine.execution_options(isolation_level="AUTOCOMMIT").connect() as watcher:
        transaction = await answering.begin()
        await answering.execute(select(Evaluation.id).where(Evaluation.id == evaluation.id).with_for_update(read=True))
        await answering.execute(insert(Answer).values(evaluation_id=evaluation.id, respondent="k" * 64,
                                                      organisation="Falu kommun", values='{"knowledge": 4}'))
        closing = asyncio.create_task(repo.close_due(CLOSES, threshold=1))
        await waiting_on_a_lock(watcher, "FOR UPDATE", closing)  # the closing, on the answer's lock
        await transaction.commit()
        assert await closing == 1
    async with sessions() as session:
        assert (await session.execute(select(Answer.respondent, Answer.organisation))).all() == [(None, "")]
