"""Homework use cases over real repositories (SQLite and PostgreSQL) and an injected clock: the
task, its reminder and the coordinator's compilation planned once, answers replacing each other,
the reminder skipped for those who answered, and the Excel export."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.quiet_hours import QuietHours
from bot.features.homework.deliveries import HomeworkDeliveries
from bot.features.homework.exports import compilation_xlsx
from bot.features.homework.service import (
    AnswerSaved,
    AnswersClosed,
    HomeworkPlanner,
    HomeworkService,
    Invalid,
    NotAsked,
    TaskCreated,
)
from bot.outbox.addresses import person_address
from bot.outbox.dispatcher import NotRelevant
from storage.homework import HomeworkRepository
from storage.models import Delivery, Project
from storage.outbox import Outbox
from storage.participants import ParticipantRepository
from storage.projects import ProjectRepository
from tests.exchange_world import MEETINGS, NOW, World, build_world, deliveries, person
from tests.rendered import rendered

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TASK = {"title": "Kartlägg er energiplanering", "instructions": "Vad har ni, vad saknas?",
        "deadline_date": "2027-03-12", "deadline_time": "12:00"}
DEADLINE = datetime(2027, 3, 12, 11, 0, tzinfo=MEETINGS[0].tzinfo)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Setup:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], world: World) -> None:
        self.world, self.clock, self.assignment_id = world, Clock(), 0
        self.homework, participants = HomeworkRepository(sessions), ParticipantRepository(sessions)
        self.projects = ProjectRepository(sessions)
        self.planner = HomeworkPlanner(self.homework, participants, Outbox(sessions), self.clock, STOCKHOLM,
                                       QuietHours.parse("21-07"))
        self.service = HomeworkService(self.homework, participants, self.projects, self.planner, self.clock,
                                       STOCKHOLM)
        self.deliveries = HomeworkDeliveries(self.service, self.homework, participants)

    async def project(self) -> Project:
        project = await self.projects.by_id(self.world.project_id)
        assert project is not None
        return project

    async def create(self, **changes: Any) -> TaskCreated:
        values = {**TASK, "meeting_id": str(self.world.meeting_ids[0]), **changes}
        created = await self.service.create(await self.project(), self.world.people["Linnea"], values)
        assert isinstance(created, TaskCreated), created
        return created

    async def answer(self, who: str, text: str, links: str = "") -> Any:
        return await self.service.answer(self.assignment_id, self.world.people[who], {"answer": text, "links": links})


@pytest.fixture
async def setup(sessions: async_sessionmaker[AsyncSession]) -> Setup:
    return Setup(sessions, await build_world(sessions))


def row(kind: str, recipient: str, assignment_id: int) -> Delivery:
    return Delivery(kind=kind, source="test", recipient=recipient, payload=json.dumps({"assignment_id": assignment_id}))


async def test_posting_plans_the_task_the_reminder_and_the_compilation_once(
        sessions: async_sessionmaker[AsyncSession], setup: Setup) -> None:
    created = await setup.create()
    assert created.created and created.people == 4
    assert created.nudge_at == DEADLINE - timedelta(days=1)
    assert created.compilation_at == MEETINGS[0] - timedelta(days=1)
    first_meeting = sorted(person(setup.world, n) for n in ("Anna", "Erik", "Karin", "Linnea"))
    assert [r for r, _, _ in await deliveries(sessions, "assignment")] == first_meeting
    assert {d for _, d, _ in await deliveries(sessions, "assignment_nudge")} == {DEADLINE - timedelta(days=1)}
    assert [(r, d) for r, d, _ in await deliveries(sessions, "assignment_compilation")] == [
        (person(setup.world, "Linnea"), MEETINGS[0] - timedelta(days=1))]
    again = await setup.create()
    assert not again.created and again.assignment.id == created.assignment.id
    assert await setup.planner.plan_all() == 0


async def test_a_task_must_fit_before_its_meeting(setup: Setup) -> None:
    values = {**TASK, "meeting_id": str(setup.world.meeting_ids[0]), "deadline_date": "2027-03-21"}
    late = await setup.service.create(await setup.project(), None, values)
    assert isinstance(late, Invalid) and [p.key for p in late.problems] == ["input.deadline_after_meeting"]
    assert [m.number for m in setup.service.meetings_ahead(await setup.project())] == [1, 2]


async def test_answers_replace_each_other_and_only_those_asked_answer(setup: Setup) -> None:
    setup.assignment_id = (await setup.create()).assignment.id
    assert await setup.answer("Anna", "Vi har en plan.") == AnswerSaved(first=True)
    assert await setup.answer("Anna", "Vi har en bättre plan.", "https://falun.se/plan") == AnswerSaved(first=False)
    assert isinstance(await setup.answer("Olle", "Jag är inte på träff 1."), NotAsked)
    assert isinstance(await setup.answer("Karin", " "), Invalid)
    setup.clock.now = MEETINGS[0] - timedelta(minutes=1)  # after the deadline: late, but still taken
    assert await setup.answer("Karin", "Sent men ändå.") == AnswerSaved(first=True)
    setup.clock.now = MEETINGS[0]
    assert isinstance(await setup.answer("Erik", "För sent."), AnswersClosed)
    assert await setup.service.answer(10_000, setup.world.people["Anna"], {"answer": "x"}) is None


async def test_the_reminder_goes_only_to_those_who_have_not_answered(setup: Setup) -> None:
    setup.assignment_id = (await setup.create()).assignment.id
    await setup.answer("Anna", "Klart.")
    anna, erik = person(setup.world, "Anna"), person(setup.world, "Erik")
    with pytest.raises(NotRelevant):
        await rendered(setup.deliveries.task, row("assignment_nudge", anna, setup.assignment_id))
    nudge = await rendered(setup.deliveries.task, row("assignment_nudge", erik, setup.assignment_id))
    assert "Påminnelse" in nudge and "Kartlägg er energiplanering" in nudge
    # The task itself (sent before the answer) shows the earlier answer to change it.
    assert "Klart." in await rendered(setup.deliveries.task, row("assignment", anna, setup.assignment_id))
    with pytest.raises(NotRelevant):
        await rendered(setup.deliveries.task, row("assignment", person(setup.world, "Olle"), setup.assignment_id))


async def test_compilation_and_export(setup: Setup) -> None:
    setup.assignment_id = (await setup.create()).assignment.id
    await setup.answer("Karin", "=SUMMA(A1:A3) är vår budget", "https://mora.se/budget")
    await setup.answer("Anna", "Vi har en plan.")
    compilation = await setup.service.compilation(setup.assignment_id)
    assert compilation is not None
    assert [a.participant.name for a in compilation.answers if a.participant] == ["Anna Lindqvist", "Karin Dahl"]
    assert [p.name for p in compilation.missing] == ["Erik Åström", "Linnea Hassis"]
    delivery = row("assignment_compilation", person_address(1), setup.assignment_id)
    card = await rendered(setup.deliveries.compilation, delivery)
    assert "Sammanställning inför träffen" in card and "Erik Åström (Falu kommun)" in card
    assert "2 av 4 har svarat" in card
    [(task, answered, asked)] = await setup.service.tasks(await setup.project())
    assert (task.assignment.id, answered, asked) == (setup.assignment_id, 2, 4)

    workbook = load_workbook(io.BytesIO(compilation_xlsx(compilation)))
    answers = [[c.value for c in r] for r in workbook["Svar"].iter_rows(min_row=1, max_col=4)]
    assert answers[0] == ["Namn", "Kommun/organisation", "Svar", "Länkar"]
    assert answers[2] == ["Karin Dahl", "Mora kommun", "=SUMMA(A1:A3) är vår budget", "https://mora.se/budget"]
    assert workbook["Svar"]["C3"].data_type == "s" and workbook["Svar"]["C3"].quotePrefix
    assert [[c.value for c in r] for r in workbook["Har inte svarat"].iter_rows(min_row=2)] == [
        ["Erik Åström", "Falu kommun"], ["Linnea Hassis", "Region Dalarna"]]
