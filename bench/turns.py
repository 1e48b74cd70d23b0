"""Turns per second: dalalab-bot against the stock botbuilder echo bot (issues 8 and 18).

``python -m bench.turns`` starts a stub Bot Connector and, one after the other, each target as its own
process on loopback: the stock echo sample, optionally a bare aiohttp echo (the limit), and dalalab-bot
(``app.create_app`` with the demo project) on SQLite and PostgreSQL (``BENCH_DATABASE_URL``, default the local
test server, else a throwaway one; a fresh database, dropped afterwards). Every target gets the same
activities: each load of ``bench/loads.py`` in turn, POSTed to /api/messages by 16 concurrent conversations,
answers going to the stub, which files them per activity so only answered turns count. Separate processes
keep the load generator and the stub off the target's event loop and CPU clock.

Options: ``--seconds`` per cell (default 4, after ``--warmup`` 1), ``--concurrency 16``, ``--loads`` (all),
``--targets stock,sqlite,postgres`` (and ``bare``), ``--adapters fast`` (and ``stock``: the SDK's adapter).
``--stored 100,100000`` runs dalalab-bot with that many people and answers stored first (bench/growth.py)
and prints each load's CPU per turn at both ends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.growth import seed_stored  # noqa: E402
from bench.loads import LOADS, Ids, Load, activity_bytes, answered, prepare  # noqa: E402
from bench.turns_report import print_growth, print_report  # noqa: E402
from bot.outbox.ratelimit import RateLimiter  # noqa: E402
from scripts.devstack import free_port, wait_for_http  # noqa: E402
from scripts.throwaway_postgres import postgres_for_run  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TURNS_PER_WORKER_LIMIT = 200_000  # a bound on every load loop besides its deadline
HTTP_SESSION = web.AppKey("http_session", ClientSession)
STOCK = "stock echo (CloudAdapter)"
BARE = "bare aiohttp echo"


@dataclass(frozen=True)
class Target:
    name: str
    command: list[str]
    database: str | None = None  # "sqlite" or "postgresql" for dalalab-bot
    adapter: str | None = None


@dataclass
class Cell:
    target: Target
    load: Load
    concurrency: int
    turns: list[tuple[int, int, float]] = field(default_factory=list)
    """(worker, turn, seconds) of every turn the bot answered with 2xx."""
    answered: set[str] = field(default_factory=set)
    """Activity and card ids the stub got an answer for (not the apology)."""
    errors: int = 0
    seconds: float = 0.0
    cpu_seconds: float | None = None
    load_cpu_seconds: float = 0.0
    replies: int = 0
    apologies: int = 0
    stored: int = 0

    @property
    def latencies(self) -> list[float]:
        """Turns whose answer arrived at the stub; a 2xx without an answer does not count."""
        return [seconds for worker, turn, seconds in self.turns if answered(worker, turn, self.answered)]

    @property
    def unanswered(self) -> int:
        return len(self.turns) - len(self.latencies)

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


# --- the load ---------------------------------------------------------------------------------


class HttpConnection:
    """A minimal keep-alive HTTP/1.1 client: the load generator should cost far less than any target."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self._reader, self._writer, self._port = reader, writer, port

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def post(self, path: str, body: bytes) -> int:
        self._writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self._port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                raise RuntimeError("chunked responses are not expected from /api/messages")
        if length:
            await self._reader.readexactly(length)
        return int(head[9:12])

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


@dataclass(frozen=True)
class Workload:
    load: Load
    ids: Ids
    stub_url: str


async def converse(cell: Cell | None, port: int, work: Workload, worker: int, deadline: float,
                   first_turn: int) -> int:
    """One conversation's turns, one after the other, until the deadline; returns the turns taken."""
    connection = await HttpConnection.open(port)
    turn = first_turn
    try:
        while time.perf_counter() < deadline and turn - first_turn < TURNS_PER_WORKER_LIMIT:
            body = activity_bytes(work.load, work.ids, work.stub_url, worker, turn)
            started = time.perf_counter()
            status = await connection.post("/api/messages", body)
            if cell is not None:
                if status in (200, 201):
                    cell.turns.append((worker, turn, time.perf_counter() - started))
                else:
                    cell.errors += 1
            turn += 1
    finally:
        await connection.close()
    return turn - first_turn


async def measure(cell: Cell, port: int, pid: int, work: Workload, warmup: float, seconds: float) -> None:
    workers = range(cell.concurrency)
    deadline = time.perf_counter() + warmup
    taken = await asyncio.gather(*(converse(None, port, work, w, deadline, 0) for w in workers))
    async with ClientSession() as http:
        await (await http.post(work.stub_url + "_reset")).release()
        cpu_before = process_cpu_seconds(pid)
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(converse(cell, port, work, w, deadline, taken[w]) for w in workers))
        cell.seconds = time.perf_counter() - started
        cpu_after = process_cpu_seconds(pid)
        async with http.get(work.stub_url + "_stats") as answer:
            stats = await answer.json()
            cell.replies, cell.apologies = int(stats["replies"]), int(stats["apologies"])
        async with http.get(work.stub_url + "_answered") as answer:
            cell.answered = set(await answer.json())
    if cpu_before is not None and cpu_after is not None:
        cell.cpu_seconds = cpu_after - cpu_before


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, longest: float = 180.0, every: float = 0.5, busy_share: float = 0.05) -> None:
    """Waits until the target's CPU rests (under 5% of a core over half a second): its start-up work,
    the scheduler's first planning over everything stored, is no turn's and must not be charged to
    the first load measured (with 100,000 people stored it takes seconds)."""
    deadline = time.monotonic() + longest
    last = process_cpu_seconds(pid)
    while last is not None and time.monotonic() < deadline:
        time.sleep(every)
        now = process_cpu_seconds(pid)
        if now is None or now - last < busy_share * every:
            return
        last = now


# --- the targets that live in this module ------------------------------------------------------


def bare_echo_app() -> web.Application:
    """The least a bot can do per turn: parse the activity, POST the reply to the connector over a
    pooled session, answer 201."""

    async def session_context(app: web.Application) -> AsyncIterator[None]:
        app[HTTP_SESSION] = ClientSession()
        yield
        await app[HTTP_SESSION].close()

    async def messages(request: web.Request) -> web.Response:
        activity = await request.json()
        conversation = activity["conversation"]
        reply = {"type": "message", "text": f"Echo: {activity.get('text', '')}", "replyToId": activity["id"],
                 "from": activity["recipient"], "recipient": activity["from"], "conversation": conversation}
        url = (f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conversation['id'], safe='')}"
               f"/activities/{quote(activity['id'], safe='')}")
        async with request.app[HTTP_SESSION].post(url, json=reply) as answer:
            await answer.read()
        return web.Response(status=201 if answer.status < 300 else 502)

    app = web.Application()
    app.cleanup_ctx.append(session_context)
    app.router.add_post("/api/messages", messages)
    return app


LIFTED = ((1.0, 1_000_000),)


def unlimited() -> RateLimiter:
    """The bot's outbound limiter with Teams' limits lifted, as for the stock sample, which has none:
    16 conversations answered as fast as possible exceed Teams' 8 per 2 s per conversation and 50 per
    second per app within a second, and the table would show the limiter's rate, not the turns'.
    Whether the limits are kept is bench/fanout.py's question (against the rate-limited stub)."""
    return RateLimiter(time.monotonic, per_conversation=LIFTED, overall=LIFTED)


def dalalab_app(database_url: str, port: int, adapter_kind: str) -> web.Application:
    """``app.create_app`` as production builds it ("fast": app.py's adapter), or with the SDK's own
    ``CloudAdapter`` over the SDK's own authentication in its place ("stock"); Teams' rate limits lifted
    (see :func:`unlimited`)."""
    from unittest import mock

    from botbuilder.integration.aiohttp import CloudAdapter

    import app as app_module
    from bot.core.settings import Settings
    from bot.teams.connector import PooledBotFrameworkAuthentication, close_adapter

    made: list[object] = []
    original = app_module.create_adapter

    def create_adapter(settings: Settings, limiter: RateLimiter | None = None) -> object:
        adapter = original(settings, limiter)
        authentication = adapter.bot_framework_authentication
        if adapter_kind == "stock":  # the SDK's own CloudAdapter over the SDK's own authentication
            stock = CloudAdapter(authentication.inner if isinstance(authentication, PooledBotFrameworkAuthentication)
                                 else authentication)
            stock.on_turn_error = adapter.on_turn_error
            adapter = stock
        made.append(adapter)
        return adapter

    # The demo project and the test hooks: loads register for it and move the clock to its evaluation.
    settings = Settings(database_url=database_url, host="127.0.0.1", port=port, language="sv", demo_project=True,
                        test_hooks=True, quiet_hours="off").validate()
    with mock.patch.object(app_module, "create_adapter", create_adapter), \
            mock.patch.object(app_module, "default_limiter", unlimited):
        application = app_module.create_app(settings)

    async def close(_app: web.Application) -> None:
        for adapter in made:
            await close_adapter(adapter)

    application.on_cleanup.append(close)
    return application


def serve(arguments: argparse.Namespace) -> None:
    if arguments.kind == "bare":
        application = bare_echo_app()
    else:
        application = dalalab_app(os.environ["BENCH_SERVE_DATABASE"], arguments.port, arguments.adapter)
    web.run_app(application, host="127.0.0.1", port=arguments.port, print=None, access_log=None)


# --- processes and databases -------------------------------------------------------------------


@contextmanager
def running(command: list[str], port: int, ready_path: str, log: Path,
            env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as output:
        process = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}{ready_path}", 60, process)
        yield process
    except Exception:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # aiohttp's run_app runs its cleanup on SIGINT
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def create_postgres_database(base_url: str) -> str | None:
    """A fresh database next to ``base_url``'s; None when PostgreSQL does not answer."""
    from sqlalchemy import make_url, text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"bench_turns_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT", connect_args={"timeout": 3})
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError, SQLAlchemyError) as error:
        print(f"PostgreSQL at {base_url} skipped: {error.__class__.__name__}", file=sys.stderr)
        return None
    finally:
        await engine.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(base_url: str, url: str) -> None:
    from sqlalchemy import make_url, text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@contextmanager
def database_for(target: Target, workdir: Path) -> Iterator[str | None]:
    if target.database is None:
        yield None
        return
    if target.database == "sqlite":
        name = f"{target.name.replace(' ', '_').replace(',', '')}-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite+aiosqlite:///{workdir / name}"
        return
    with postgres_for_run(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)) as base:
        url = asyncio.run(create_postgres_database(base))
        try:
            yield url
        finally:
            if url is not None:
                asyncio.run(drop_postgres_database(base, url))


# --- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    seconds: float
    warmup: float
    concurrency: tuple[int, ...]
    loads: tuple[Load, ...]
    workdir: Path
    stored: int = 0
    """People and answers stored before the bot starts (bench/growth.py); 0: none."""
    rounds: int = 1
    """Growth runs: each size this many times, in turn forwards and backwards (100, 100000, 100000, 100):
    the machine's drift between the sizes' runs cancels out of their pooled figures."""


def make_targets(selected: set[str], adapters: list[str]) -> list[Target]:
    serve_command = [sys.executable, "-m", "bench.turns", "serve"]
    targets = []
    if "stock" in selected:
        targets.append(Target(STOCK, [sys.executable, "-m", "bench.stock_echo"]))
    if "bare" in selected:
        targets.append(Target(BARE, [*serve_command, "bare"]))
    for database in ("sqlite", "postgresql"):
        if database in selected or (database == "postgresql" and "postgres" in selected):
            for adapter in adapters:
                targets.append(Target(f"dalalab {database}, {adapter} adapter",
                                      [*serve_command, "dalalab", "--adapter", adapter], database, adapter))
    return targets


def run_target(target: Target, stub_url: str, stub_pid: int, options: RunOptions) -> list[Cell]:
    """Every load against one process of the target, in order (later loads build on earlier ones)."""
    cells = []
    with database_for(target, options.workdir) as database_url:
        if target.database and database_url is None:
            return []
        if database_url and options.stored:
            asyncio.run(seed_stored(database_url, options.stored))
        env = {**os.environ, "BENCH_SERVE_DATABASE": database_url or ""}  # not on the command line: passwords
        port = free_port()
        log = options.workdir / f"{target.name.replace(' ', '_').replace(',', '')}.log"
        ready = "/healthz" if target.database else "/api/messages"
        with running(target.command, port, ready, log, env) as process:
            wait_until_idle(process.pid)
            for load in options.loads:
                for concurrency in options.concurrency:
                    ids = Ids()
                    if database_url:
                        ids = asyncio.run(prepare_load(load, database_url, port, stub_url, concurrency))
                    cell = Cell(target, load, concurrency, stored=options.stored)
                    load_before = time.process_time() + (process_cpu_seconds(stub_pid) or 0.0)
                    asyncio.run(measure(cell, port, process.pid, Workload(load, ids, stub_url), options.warmup,
                                        options.seconds))
                    cell.load_cpu_seconds = time.process_time() + (process_cpu_seconds(stub_pid) or 0.0) - load_before
                    cells.append(cell)
                    print(f"  {load.name:16} {target.name:34} x{concurrency:<3} {cell.turns_per_second:8.0f} turns/s",
                          file=sys.stderr)
    return cells


async def prepare_load(load: Load, database_url: str, port: int, stub_url: str, workers: int) -> Ids:
    connection = await HttpConnection.open(port)
    try:
        return await prepare(load, database_url, f"http://127.0.0.1:{port}", stub_url, workers,
                             lambda body: connection.post("/api/messages", body))
    finally:
        await connection.close()


def run(arguments: argparse.Namespace) -> None:
    from bot.core.i18n import CATALOGS

    unknown = set(arguments.loads.split(",")) - LOADS.keys()
    if unknown:
        raise SystemExit(f"unknown loads {sorted(unknown)}; known: {', '.join(LOADS)}")
    with tempfile.TemporaryDirectory(prefix="bench-turns-") as workdir:
        options = RunOptions(arguments.seconds, arguments.warmup,
                             tuple(int(part) for part in arguments.concurrency.split(",")),
                             tuple(load for name, load in LOADS.items() if name in arguments.loads.split(",")),
                             Path(workdir), rounds=max(1, arguments.rounds))
        targets = make_targets(set(arguments.targets.split(",")), arguments.adapters.split(","))
        stub_port = free_port()
        cells: list[Cell] = []
        command = [sys.executable, "-m", "bench.stub_connector", "--apology", CATALOGS["sv"]["error.technical"]]
        with running(command, stub_port, "/_stats", Path(workdir) / "stub.log", dict(os.environ)) as stub:
            if arguments.stored:
                sizes = [int(part) for part in arguments.stored.split(",")]
                for round_number in range(options.rounds):
                    for stored in sizes if round_number % 2 == 0 else reversed(sizes):
                        for target in (t for t in targets if t.database):
                            cells += run_target(target, f"http://127.0.0.1:{stub_port}/", stub.pid,
                                                replace(options, stored=stored))
            else:
                for target in targets:
                    cells += run_target(target, f"http://127.0.0.1:{stub_port}/", stub.pid, options)
        if arguments.stored:
            print_growth(cells, options)
        else:
            print_report(cells, options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", default="16")
    parser.add_argument("--targets", default="stock,sqlite,postgres")
    parser.add_argument("--adapters", default="fast")
    parser.add_argument("--loads", default=",".join(LOADS))
    parser.add_argument("--stored", help="e.g. 100,100000: people and answers stored first; prints cost growth")
    parser.add_argument("--rounds", type=int, default=1, help="with --stored: runs of each size, alternating order")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run one target (the benchmark starts these)")
    serve_parser.add_argument("kind", choices=["bare", "dalalab"])
    serve_parser.add_argument("--port", type=int, required=True)
    serve_parser.add_argument("--adapter", choices=["fast", "stock"], default="fast")
    arguments = parser.parse_args()
    if arguments.command == "serve":
        serve(arguments)
    else:
        run(arguments)


if __name__ == "__main__":
    main()
