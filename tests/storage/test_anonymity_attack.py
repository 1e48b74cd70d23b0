"""The attacker with a copy of the database (issue 13): after an evaluation closes, every value of every
answer row is joined against every column of every other table, and the people an answer could belong
to must stay at least the anonymity threshold.

The scenario is the one that broke before: one person each from Mora, Borlänge and a typed-in
"Länsstyrelsen Dalarna", three from Falun, everyone invited (through the planner and the outbox, as in
production), answering at different times with free texts; two were nudged first. Joining the answer's
organisation to the registrations, its timestamps to other rows, or the invites' answered flags to the
evaluation named people before.

How the attacker works (``candidates``):
- a value matches a cell when both are strings and equal (case-insensitive) or one contains the other
  (at least 4 characters), when both are times less than a minute apart, or when an integer column is a
  declared foreign key of the answer and the cell is the referenced key (ids are otherwise unrelated);
- each matched row leads to the nearest people: its own person columns, else rows it references or that
  reference it, breadth first, stopping at the first step that reaches people;
- the answer's candidates are the intersection of every non-empty set;
- rows that refer to the evaluation itself (a foreign key or an "evaluation:<id>" text) are split by
  their short columns (flags and states such as answered, sent, skipped): one group may hold exactly
  the respondents, so the candidates narrowed by the smallest group count;
- that must leave at least the threshold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.evaluation.rules import DEFAULT_QUESTIONS, questions_to_json
from bot.features.evaluation.service import EvaluationPlanner, EvaluationService
from bot.features.registration.rules import RegistrationForm
from bot.outbox.addresses import person_address, person_of
from storage.attendance import AttendanceRepository
from storage.evaluations import EvaluationRepository
from storage.models import Base, Delivery, Meeting, Project
from storage.outbox import Outbox
from storage.people import ConversationSeen, PeopleRepository, Visitor
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

THRESHOLD = 3
END = datetime(2027, 5, 3, 13, 0, tzinfo=UTC)
PEOPLE = (
    ("Anna Falk", "falun", ""), ("Bertil Falk", "falun", ""), ("Cilla Falk", "falun", ""),
    ("Doris Mora", "mora", ""), ("Erik Borg", "borlange", ""), ("Frida Läns", "annan", "Länsstyrelsen Dalarna"),
)
Row = dict[str, Any]


async def test_nobody_with_every_table_narrows_an_answer_below_the_threshold(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    evaluation_id = await _scenario(sessions)
    tables = await _dump(sessions)
    answers = [row for row in tables["answer"] if row["evaluation_id"] == evaluation_id]
    assert len(answers) == len(PEOPLE)
    everyone = {row["id"] for row in tables["person"]}
    for answer in answers:
        found = candidates(answer, tables, evaluation_id, everyone)
        assert len(found) >= THRESHOLD, (answer, found)


async def test_the_attacker_names_people_when_answers_keep_their_organisation(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    """The attack itself works: with the organisation written back, the lone Mora answer is named."""
    evaluation_id = await _scenario(sessions)
    tables = await _dump(sessions)
    answer = dict(tables["answer"][0], organisation="Mora kommun")
    everyone = {row["id"] for row in tables["person"]}
    found = candidates(answer, tables, evaluation_id, everyone)
    mora = {row["person_id"] for row in tables["registration"] if row["name"] == "Doris Mora"}
    assert found == mora


async def test_the_attacker_uses_answered_flags_left_on_invites(sessions: async_sessionmaker[AsyncSession]) -> None:
    evaluation_id = await _scenario(sessions)
    tables = await _dump(sessions)
    tables["evaluation_invite"] = [
        {"id": 1, "evaluation_id": evaluation_id, "person_id": 1, "answered": True},
        {"id": 2, "evaluation_id": evaluation_id, "person_id": 2, "answered": False},
        {"id": 3, "evaluation_id": evaluation_id, "person_id": 3, "answered": False},
        {"id": 4, "evaluation_id": evaluation_id, "person_id": 4, "answered": False},
    ]
    everyone = {row["id"] for row in tables["person"]}
    assert candidates(tables["answer"][0], tables, evaluation_id, everyone) == {1}


async def test_the_attacker_uses_timestamps(sessions: async_sessionmaker[AsyncSession]) -> None:
    evaluation_id = await _scenario(sessions)
    tables = await _dump(sessions)
    [asked] = [row for row in tables["attendance"] if row["answered_at"] is not None][:1]
    answer = dict(tables["answer"][0], submitted_at=asked["answered_at"] + timedelta(seconds=20))
    everyone = {row["id"] for row in tables["person"]}
    assert candidates(answer, tables, evaluation_id, everyone) == {asked["person_id"]}


def candidates(answer: Row, tables: dict[str, list[Row]], evaluation_id: int, everyone: set[int]) -> set[int]:
    found = set(everyone)
    answer_table = Base.metadata.tables["answer"]
    for column, value in answer.items():
        for leaf in _leaves(value):
            for table_name, rows in tables.items():
                if table_name == "answer":
                    continue
                table = Base.metadata.tables[table_name]
                matched = [row for row in rows if any(
                    _matches(answer_table, column, leaf, table, other, cell) for other, cell in row.items())]
                people = _nearest_people(matched, table_name, tables)
                if people:
                    found &= people
    # The attacker does not know which group holds the respondents: the smallest one counts.
    narrowed = [found & group for group in _groups_referring_to(evaluation_id, tables)
                if found & group and group != everyone]
    return min(narrowed, key=len) if narrowed else found


def _leaves(value: Any) -> Iterator[Any]:
    """The value, and for JSON texts every string and number inside."""
    yield value
    if isinstance(value, str) and value[:1] in ("[", "{"):
        yield from _json_leaves(json.loads(value))


def _json_leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_leaves(item)
    else:
        yield value


def _matches(answer_table: Table, column: str, value: Any, table: Table, other: str, cell: Any) -> bool:
    if value is None or cell is None or isinstance(value, bool) or isinstance(cell, bool):
        return False
    if isinstance(value, str) and isinstance(cell, str):
        a, b = value.casefold().strip(), cell.casefold().strip()
        return bool(a) and (a == b or (len(a) >= 4 and a in b) or (len(b) >= 4 and b in a))
    if isinstance(value, datetime) and isinstance(cell, datetime):
        return abs(value - cell) < timedelta(minutes=1)
    if isinstance(value, int) and isinstance(cell, int) and column in answer_table.c:
        return any(fk.column.table is table and fk.column.name == other for fk in answer_table.c[column].foreign_keys)
    return False


def _person_columns(table: Table) -> list[str]:
    if table.name == "person":
        return ["id"]
    return [c.name for c in table.c if any(fk.column.table.name == "person" for fk in c.foreign_keys)]


def _nearest_people(rows: list[Row], table_name: str, tables: dict[str, list[Row]], depth: int = 4) -> set[int]:
    frontier = [(table_name, row) for row in rows]
    for _ in range(depth):
        people = {row[c] for name, row in frontier for c in _person_columns(Base.metadata.tables[name])
                  if row.get(c) is not None}
        people |= {p for name, row in frontier
                   if name == "delivery" and (p := person_of(row["recipient"])) is not None}
        if people or not frontier:
            return people
        frontier = _neighbours(frontier, tables)
    return set()


def _neighbours(frontier: list[tuple[str, Row]], tables: dict[str, list[Row]]) -> list[tuple[str, Row]]:
    """Rows the frontier references, and rows that reference the frontier, along declared foreign keys."""
    keys = {(name, column, row[column]) for name, row in frontier for column in row}
    found: list[tuple[str, Row]] = []
    for name, rows in tables.items():
        table = Base.metadata.tables[name]
        for column in table.c:
            for fk in column.foreign_keys:
                target = fk.column
                for row in rows:
                    if (target.table.name, target.name, row[column.name]) in keys:
                        found.append((name, row))  # references the frontier
                if any(n == name for n, _ in frontier):
                    values = {row[column.name] for n, row in frontier if n == name}
                    found += [(target.table.name, r) for r in tables[target.table.name] if r[target.name] in values]
    return found


def _groups_referring_to(evaluation_id: int, tables: dict[str, list[Row]]) -> list[set[int]]:
    groups: dict[tuple[str, tuple[Any, ...]], set[int]] = {}
    for name, rows in tables.items():
        if name in ("answer", "evaluation"):
            continue
        table = Base.metadata.tables[name]
        short = [c.name for c in table.c if isinstance(c.type, Boolean)
                 or isinstance(c.type, String) and (c.type.length or 0) <= 30 and not c.foreign_keys]
        for row in rows:
            if not _refers_to(table, row, evaluation_id):
                continue
            people = _nearest_people([row], name, tables)
            groups.setdefault((name, tuple(row[c] for c in short)), set()).update(people)
    return list(groups.values())


def _refers_to(table: Table, row: Row, evaluation_id: int) -> bool:
    by_key = any(row[c.name] == evaluation_id and any(fk.column.table.name == "evaluation" for fk in c.foreign_keys)
                 for c in table.c)
    by_text = any(isinstance(cell, str) and f"evaluation:{evaluation_id}" in cell for cell in row.values())
    return by_key or by_text


async def _dump(sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[Row]]:
    async with sessions() as session:
        return {table.name: [dict(row._mapping) for row in (await session.execute(select(table))).all()]
                for table in Base.metadata.sorted_tables}


async def _scenario(sessions: async_sessionmaker[AsyncSession]) -> int:
    clock = [END - timedelta(days=30)]
    async with sessions.begin() as session:
        project = Project(slug="energi", name="Energi", calendar_token="t", state="running", quota_per_organisation=3,
                          evaluation_questions=questions_to_json(DEFAULT_QUESTIONS))
        project.meetings = [Meeting(number=1, title="Träff 1", starts_at=END - timedelta(hours=3), ends_at=END,
                                    uid="e-1")]
        session.add(project)
        await session.flush()
        project_id, meeting_id = project.id, project.meetings[0].id
    people, registrations = PeopleRepository(sessions), RegistrationRepository(sessions)
    ids = []
    for n, (name, key, other) in enumerate(PEOPLE):
        visitor = Visitor(f"29:p{n}", name, f"aad-{n}", "tenant-1")
        reference = json.dumps({"conversation": {"id": f"a:{n}"}, "user": {"id": visitor.teams_id, "name": name}})
        person_id = await people.remember(visitor, ConversationSeen(f"a:{n}", "personal", "https://smba.example/",
                                                                   reference, tenant_id="tenant-1"))
        assert person_id is not None
        ids.append(person_id)
        form = RegistrationForm(name, key, other, "Handläggare", f"p{n}@example.se", frozenset({1}), "", True)
        await registrations.register(project_id, person_id, form, clock[0])
    evaluations, projects = EvaluationRepository(sessions), ProjectRepository(sessions)
    planner = EvaluationPlanner(projects, registrations, evaluations, Outbox(sessions), lambda: clock[0],
                                threshold=THRESHOLD)
    clock[0] = END + timedelta(minutes=1)
    await planner.plan_all()
    async with sessions() as session:
        evaluation_id = int(json.loads((await session.scalars(select(Delivery.payload))).first() or "{}")
                            ["evaluation_id"])
    for person_id in ids:
        await evaluations.invite(evaluation_id, person_id)  # what the sender does when the card goes out
    service = EvaluationService(evaluations, registrations, projects, lambda: clock[0])
    attendance = AttendanceRepository(sessions)
    for n, person_id in enumerate(ids):
        clock[0] = END + timedelta(hours=1, minutes=7 * n)
        await attendance.answer(person_id, meeting_id, "coming", clock[0])
        values = {"knowledge": 1 + n % 5, "contacts": 5 - n % 3, "support": 3,
                  "valuable": f"Det bästa var samtalet om tema {n}"}
        assert (await service.submit(evaluation_id, person_id, values)).__class__.__name__ == "Saved"
    async with sessions.begin() as session:
        nudges = (await session.scalars(select(Delivery).where(Delivery.kind == "evaluation_nudge"))).all()
        for nudge in nudges:  # the nudge went out to those who had not answered yet, the rest were skipped
            nudge.state = "sent" if nudge.recipient in {person_address(ids[4]), person_address(ids[5])} else "skipped"
    clock[0] = END + timedelta(days=8)
    await planner.plan_all()
    return evaluation_id
