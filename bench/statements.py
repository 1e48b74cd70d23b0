"""SQL statements per turn for each load of the turn benchmark, counted in process (issue 18).

Round trips, not seconds: on PostgreSQL every statement is one, and on SQLite every write statement
holds the single writer's lock a little longer. ``python -m bench.statements`` runs the bot
(``bench.turns.dalalab_app``) and the stub connector in this process on a fresh SQLite file or
PostgreSQL database (``--database postgres``), prepares each load as the benchmark does, and prints how
many statements (and transactions) the turns of each load executed; ``--sql`` prints them. Only SQL
issued while the bot handled a turn counts (not the scheduler's, not the preparation's). State reads on
SQLite go around SQLAlchemy (storage.state.SqliteLocalReader) and are not counted.

tests/bench/test_statements.py pins the counts, so a turn that starts doing more shows up in a test
without timing anything.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loads import LOADS, Load, activity_bytes, answered, prepare  # noqa: E402
from bench.stub_connector import StubConnector  # noqa: E402
from storage.recent import written_tables  # noqa: E402


@dataclass
class TurnSql:
    """What one turn sent to the database."""

    statements: list[str] = field(default_factory=list)
    """Every statement SQLAlchemy sent (SQLite's BEGIN among them; PostgreSQL's is the driver's own)."""
    transactions: int = 0
    """Transactions begun, reading or writing: on PostgreSQL each adds a BEGIN and an end to the round trips."""

    @property
    def writes(self) -> int:
        return sum(1 for s in self.statements if written_tables(s))

    @property
    def queries(self) -> int:
        """Statements other than SQLite's BEGIN: the same figure on both databases."""
        return sum(1 for s in self.statements if not s.startswith("BEGIN"))


_CURRENT: ContextVar[TurnSql | None] = ContextVar("bench_statements_turn", default=None)


def _statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    turn = _CURRENT.get()
    if turn is not None:
        turn.statements.append(" ".join(statement.split()))


def _begin(_conn: Any) -> None:
    turn = _CURRENT.get()
    if turn is not None:
        turn.transactions += 1


@contextmanager
def counting() -> Iterator[None]:
    """Counts the SQL of every engine in this process, filed under the turn that issued it."""
    event.listen(Engine, "before_cursor_execute", _statement)
    event.listen(Engine, "begin", _begin)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", _statement)
        event.remove(Engine, "begin", _begin)


@web.middleware
async def _file_sql(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
    sql = request.app[TURN_SQL].turns
    if sql is None or request.path != "/api/messages":
        return await handler(request)
    turn = TurnSql()
    token = _CURRENT.set(turn)
    try:
        return await handler(request)
    finally:
        _CURRENT.reset(token)
        sql.append(turn)


@dataclass
class Filing:
    """Where the SQL of the turns goes while they are counted (None: not counted)."""

    turns: list[TurnSql] | None = None


TURN_SQL = web.AppKey("turn_sql", Filing)


@dataclass
class Bench:
    """The bot and the stub connector, in this process."""

    bot: TestClient
    stub: StubConnector
    stub_url: str
    database_url: str
    filing: Filing

    async def post(self, body: bytes) -> int:
        response = await self.bot.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
        await response.release()
        return response.status


@asynccontextmanager
async def running_bot(database_url: str) -> AsyncIterator[Bench]:
    from bench.turns import dalalab_app
    from bot.core.i18n import CATALOGS

    stub = StubConnector(apology=CATALOGS["sv"]["error.technical"])
    async with TestServer(stub.app()) as stub_server:
        application = dalalab_app(database_url, 0, "fast")
        application.middlewares.append(_file_sql)
        filing = application[TURN_SQL] = Filing()
        async with TestClient(TestServer(application)) as bot:
            yield Bench(bot, stub, str(stub_server.make_url("/")), database_url, filing)


async def turns_sql(bench: Bench, load: Load, turns: int, workers: int = 3) -> list[TurnSql]:
    """The SQL of ``turns`` turns of ``load`` after its preparation (and one turn each to warm caches
    that every process fills once: the load's first turn per worker is not counted)."""
    ids = await prepare(load, bench.database_url, str(bench.bot.make_url("")), bench.stub_url, workers,
                        bench.post)
    for worker in range(workers):
        await bench.post(activity_bytes(load, ids, bench.stub_url, worker, 1))
    counted: list[TurnSql] = []
    bench.filing.turns = counted
    try:
        with counting():
            for turn in range(2, 2 + turns):
                worker = turn % workers
                status = await bench.post(activity_bytes(load, ids, bench.stub_url, worker, turn))
                if status >= 300 or not answered(worker, turn, bench.stub.stats.answered):
                    raise RuntimeError(f"{load.name}: turn {turn} was not answered (HTTP {status})")
    finally:
        bench.filing.turns = None
    return counted


async def count_all(database_url: str, loads: list[Load], turns: int) -> dict[str, list[TurnSql]]:
    found = {}
    async with running_bot(database_url) as bench:
        for load in loads:
            found[load.name] = await turns_sql(bench, load, turns)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--loads", default=",".join(LOADS))
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--sql", action="store_true", help="print each turn's statements")
    arguments = parser.parse_args()
    loads = [LOADS[name] for name in arguments.loads.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-statements-") as workdir:
        found = asyncio.run(_run(arguments.database, Path(workdir), loads, arguments.turns))
    print(f"{'load':16} per turn: statements (besides BEGIN) / writes among them / transactions")
    for name, turns in found.items():
        print(f"{name:16} " + ", ".join(f"{t.queries}/{t.writes}/{t.transactions}" for t in turns))
        if arguments.sql:
            for number, turn in enumerate(turns):
                print(f"  turn {number}:")
                for statement in turn.statements:
                    print(f"    {statement[:200]}")


async def _run(database: str, workdir: Path, loads: list[Load], turns: int) -> dict[str, list[TurnSql]]:
    if database == "sqlite":
        return await count_all(f"sqlite+aiosqlite:///{workdir}/bench.db", loads, turns)
    from bench.turns import DEFAULT_PG, create_postgres_database, drop_postgres_database

    url = await create_postgres_database(DEFAULT_PG)
    if url is None:
        raise SystemExit("no PostgreSQL at " + DEFAULT_PG)
    try:
        return await count_all(url, loads, turns)
    finally:
        await drop_postgres_database(DEFAULT_PG, url)


if __name__ == "__main__":
    main()
