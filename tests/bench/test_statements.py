"""Statements per turn, pinned (issue 18): a turn that starts doing more round trips fails here, on
SQLite and PostgreSQL, without timing anything. The figures are upper bounds; lower them when a turn
gets leaner. Counted by bench/statements.py (SQLAlchemy's before_cursor_execute), turns after the
first of each conversation (caches that every process fills once are warm)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.loads import LOADS
from bench.statements import Bench, running_bot, turns_sql
from tests.conftest import postgres_url

LIMITS = {
    # load: (statements besides BEGIN, write statements, transactions) on SQLite; PostgreSQL adds its
    # state read (one statement, one transaction) to every turn (SQLite's goes around SQLAlchemy).
    "help": (0, 0, 0),
    "first-contact": (2, 2, 1),  # issue 18: 5 in 2 (write) transactions before; PostgreSQL 1 (one WITH)
    "register": (3, 1, 2),  # 21 in 6 before. An edit that keeps its place takes no project lock: one UPDATE finds
    # and writes the place, one read has the project's meetings and the place's. The project and its meetings,
    # read lately, are kept (storage.recent): 2 in 1 once no new registration (which writes the project's lock
    # version) came since
    "my-registrations": (2, 0, 1),  # 6 in 2 before
    "rsvp": (3, 2, 1),  # 9 in 5 before: one write transaction (the meeting, read lately, is kept)
    "evaluate": (3, 2, 1),  # 12 in 6 before: one write transaction, which reads the invite and organisation
}
POSTGRESQL_LIMITS = {
    # Writes that are one statement on PostgreSQL, outside a transaction (a "transaction" here is SQLAlchemy's
    # begin, which under autocommit sends no BEGIN).
    "first-contact": (1, 1, 1),  # one WITH: the person and the conversation
    "rsvp": (1, 1, 1),  # one WITH: the place, the answer, the unused offer dropped
    "evaluate": (2, 1, 1),  # the read, then one guarded WITH
}
STATE_READ = {"sqlite": (0, 0, 0), "postgresql": (1, 0, 1)}


@pytest.fixture(params=["sqlite", "postgresql"])
async def bench(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Bench]:
    if request.param == "sqlite":
        async with running_bot(f"sqlite+aiosqlite:///{tmp_path}/bench.db") as running:
            yield running
        return
    name = f"t_statements_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        async with running_bot(make_url(postgres_url()).set(database=name).render_as_string(False)) as running:
            yield running
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_each_turn_sends_at_most_its_statements(bench: Bench) -> None:
    backend = make_url(bench.database_url).get_backend_name()
    state_read = STATE_READ[backend]
    limits = {**LIMITS, **(POSTGRESQL_LIMITS if backend == "postgresql" else {})}
    found = {}
    for name, load in LOADS.items():  # in order: later loads build on what earlier ones stored
        turns = await turns_sql(bench, load, 3)
        found[name] = (max(t.queries for t in turns), max(t.writes for t in turns),
                       max(t.transactions for t in turns))
    over = {name: (found[name], limit) for name, limit in limits.items()
            if any(got > most + extra for got, most, extra in zip(found[name], limit, state_read, strict=True))}
    assert not over, f"(statements, writes, transactions) over their limits: {over}; all: {found}"
