"""Proactive fan-out: meeting reminders to many people through the delivery engine, against the stock
SDK's ``continue_conversation`` in a loop (issue 8).

``python -m bench.fanout`` runs, each scenario in a process of its own (its CPU time and peak RSS are
its own), against a stub Bot Connector on loopback (bench/stub_connector.py, also its own process):

* stock: a stock ``CloudAdapter`` calling ``continue_conversation`` once per person, sending the same
  reminder card; no database.
* dalalab: the bot's own engine as app.py builds it (``build_bot``: ReminderPlanner, Outbox,
  Dispatcher, OutboxSender, Messenger, the lean adapter) on SQLite with N
  registered people, each with a stored 1:1 conversation; the "1d" reminder of one meeting is
  planned into the outbox and dispatched until no row is left. Planning and dispatch are timed apart
  and compared together with stock's loop (which does its own lookups in the loop). The stub
  has no limits here, so neither has the engine's app-wide one (Teams' 50/s would make this a
  measure of the limit, not of the engine); the per-conversation limits stay.
* dalalab, rate-limited: the same, with Teams' limits, against a stub that enforces them itself and answers
  429 with Retry-After, keeping Teams' windows by itself. The theoretical minimum is (N - 50) / 50 s
  (Teams' 50 messages in any second per app: the first 50 at once, then 50 a second): finishing faster
  would mean the limits were not kept, so the verdict fails below the floor as well as more than 10%
  above it, and on any duplicate or loss (counted at the stub per conversation, and in the outbox).

Options: ``--people 1000,10000``, ``--limited-people 1000``, ``--skip-stock``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.devstack import free_port, wait_for_http  # noqa: E402

TEAMS_APP_RATE = 50.0
"""Messages per second Teams allows one bot app (bot.outbox.ratelimit.GLOBAL)."""
STUB_BOT_ID = "28:dalalab-bench"


@dataclass
class Result:
    scenario: str
    people: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stub: dict[str, Any]
    outbox: dict[str, int] | None = None
    plan_seconds: float = 0.0
    plan_cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.stub.get("replies", 0) / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_thousand(self) -> float:
        """Planning and sending: the same work stock's loop does (it looks its people up as it goes)."""
        cpu = self.cpu_seconds + self.plan_cpu_seconds
        return cpu / self.people * 1000 if self.people else float("nan")


# --- the scenarios (each runs in its own process) ---------------------------------------------


def reminder_activity() -> Any:
    """The card the bot sends a day before a meeting (stock sends the same one)."""
    from bot.core.actions import card_activity
    from bot.features.reminders.cards import reminder_card
    from storage.models import Meeting

    starts = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    meeting = Meeting(number=2, title="Planeringsstrategi i praktiken", starts_at=starts,
                      ends_at=starts + timedelta(hours=3), place="Falun, Region Dalarnas hus", online_link="")
    return card_activity(reminder_card("DalaLab: stora etableringar", meeting, "1d",
                                       "https://dalalab.example/calendar/x/traff-2.ics"))


def reference_json(stub_url: str, number: int) -> dict[str, Any]:
    return {
        "activityId": None, "bot": {"id": STUB_BOT_ID, "name": "DalaLab"}, "channelId": "msteams",
        "conversation": {"conversationType": "personal", "id": f"a:bench-{number}", "tenantId": "tenant"},
        "serviceUrl": stub_url, "user": {"id": f"29:bench-{number}", "name": f"Deltagare {number}"},
        "locale": "sv-SE",
    }


async def run_stock(people: int, stub_url: str) -> dict[str, Any]:
    from botbuilder.core import TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
    from botbuilder.schema import ConversationReference

    from bench.stock_echo import DefaultConfig

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(DefaultConfig()))
    references = [ConversationReference().deserialize(reference_json(stub_url, n)) for n in range(people)]
    activity = reminder_activity()

    async def send(context: TurnContext) -> None:
        await context.send_activity(activity)

    cpu, started = time.process_time(), time.perf_counter()
    for reference in references:
        await adapter.continue_conversation(reference, send, bot_app_id=None)
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu}


async def run_dalalab(people: int, stub_url: str, database: str, teams_limits: bool) -> dict[str, Any]:
    from app import build_bot, create_adapter
    from bot.core.settings import Settings
    from bot.features.reminders.planner import ReminderPlanner
    from bot.outbox.ratelimit import RateLimiter
    from bot.teams.connector import close_adapter
    from storage.db import create_engine, migrate, session_factory
    from storage.outbox import Outbox
    from storage.projects import ProjectRepository
    from storage.registrations import RegistrationRepository

    settings = Settings(database_url=database, language="sv", quiet_hours="off").validate()
    engine = create_engine(database)
    await migrate(engine)
    sessions = session_factory(engine)
    meeting_start = await seed(sessions, people, stub_url, settings)
    # Bench time: two days before the meeting for planning, then just after the "1d" reminders fell
    # due, running at the real pace (retries after a 429 fall due in real seconds).
    moment = {"base": meeting_start - timedelta(days=2), "origin": time.monotonic()}

    def clock() -> datetime:
        return moment["base"] + timedelta(seconds=time.monotonic() - moment["origin"])  # type: ignore[operator]

    adapter = create_adapter(settings)
    # Against the stub without limits the app-wide 50/s is lifted, to measure what the engine itself
    # can do; the per-conversation limits stay (one message per person never meets them).
    limiter = None if teams_limits else RateLimiter(time.monotonic, overall=((1.0, 1_000_000),))
    components = build_bot(settings, sessions, adapter, clock, limiter)
    plan_cpu, plan_started = time.process_time(), time.perf_counter()
    # The reminders' own planner (the scheduler runs it among every feature's planners).
    reminders = ReminderPlanner(ProjectRepository(sessions), RegistrationRepository(sessions), Outbox(sessions), clock,
                                settings.zone, settings.quiet)
    planned = await reminders.plan_all()
    plan_cpu, plan_seconds = time.process_time() - plan_cpu, time.perf_counter() - plan_started
    moment.update(base=await latest_due(engine) + timedelta(seconds=1), origin=time.monotonic())
    cpu, started = time.process_time(), time.perf_counter()
    while True:
        await components.dispatcher.run_once()
        pending = await outbox_states(engine, ("pending", "claimed", "sending"))
        if not pending:
            break
        await asyncio.sleep(0.05)  # retries after a 429 fall due a little later
    result = {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
              "plan_seconds": plan_seconds, "plan_cpu_seconds": plan_cpu,
              "planned": planned.planned, "outbox": await outbox_states(engine, None)}
    await close_adapter(adapter)
    if components.storage is not None:
        components.storage.close()
    await engine.dispose()
    return result


async def seed(sessions: Any, people: int, stub_url: str, settings: Any) -> datetime:
    """The demo project with reminders "1d" only, and ``people`` registered people (inserted in bulk:
    the registration rules allow 3 per municipality) each with a stored 1:1 conversation."""
    from sqlalchemy import insert, select, update

    from bot.admin import load_demo_project
    from storage.models import Conversation, Meeting, Organisation, Person, Project, Registration, RegistrationMeeting

    project = await load_demo_project(sessions, settings.zone)
    async with sessions.begin() as session:
        await session.execute(update(Project).where(Project.id == project.id).values(reminder_offsets="1d"))
        meeting = (await session.scalars(select(Meeting).where(Meeting.project_id == project.id)
                                         .order_by(Meeting.starts_at))).first()
        organisations = list(await session.scalars(select(Organisation.id)))
        await session.execute(insert(Person), [
            {"teams_id": f"29:bench-{n}", "aad_object_id": f"aad-{n}", "tenant_id": "tenant",
             "name": f"Deltagare {n}", "locale": "sv-SE"} for n in range(people)])
        ids = dict((await session.execute(select(Person.teams_id, Person.id))).tuples().all())
        await session.execute(insert(Conversation), [
            {"conversation_id": f"a:bench-{n}", "kind": "personal", "tenant_id": "tenant", "service_url": stub_url,
             "reference": json.dumps(reference_json(stub_url, n), sort_keys=True), "person_id": ids[f"29:bench-{n}"]}
            for n in range(people)])
        await session.execute(insert(Registration), [
            {"project_id": project.id, "person_id": ids[f"29:bench-{n}"], "organisation_id": organisations[n % 15],
             "name": f"Deltagare {n}", "status": "registered"} for n in range(people)])
        registrations = (await session.execute(select(Registration.id))).scalars().all()
        await session.execute(insert(RegistrationMeeting), [
            {"registration_id": registration, "meeting_id": meeting.id} for registration in registrations])
    return meeting.starts_at


async def latest_due(engine: Any) -> datetime:
    from sqlalchemy import func, select

    from storage.models import Delivery

    async with engine.connect() as connection:
        latest = (await connection.execute(select(func.max(Delivery.due_at)))).scalar_one()
    if latest is None:
        raise RuntimeError("nothing was planned")
    return latest.replace(tzinfo=UTC) if latest.tzinfo is None else latest


async def outbox_states(engine: Any, states: tuple[str, ...] | None) -> dict[str, int]:
    from sqlalchemy import func, select

    from storage.models import Delivery

    query = select(Delivery.state, func.count()).group_by(Delivery.state)
    if states is not None:
        query = query.where(Delivery.state.in_(states))
    async with engine.connect() as connection:
        return dict((await connection.execute(query)).tuples().all())


def scenario_main(arguments: argparse.Namespace) -> None:
    if arguments.kind == "stock":
        result = asyncio.run(run_stock(arguments.people, arguments.stub))
    else:
        result = asyncio.run(run_dalalab(arguments.people, arguments.stub, arguments.database,
                                         arguments.teams_limits))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# --- the driver ---------------------------------------------------------------------------------


@contextmanager
def stub_connector(workdir: Path, rate_limited: bool) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "bench.stub_connector", "--port", str(port)]
    with open(workdir / f"stub-{port}.log", "wb") as log:
        process = subprocess.Popen([*command, *(["--rate-limited"] if rate_limited else [])], cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stats", 60, process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


async def stub_call(url: str, method: str) -> dict[str, Any]:
    async with ClientSession() as http, http.request(method, url) as answer:
        return dict(await answer.json())


def run_scenario(kind: str, people: int, workdir: Path, rate_limited: bool = False) -> Result:
    with stub_connector(workdir, rate_limited) as stub_url:
        database = f"sqlite+aiosqlite:///{workdir / f'fanout-{uuid.uuid4().hex[:8]}.db'}"
        command = [sys.executable, "-m", "bench.fanout", "scenario", kind, "--people", str(people),
                   "--stub", stub_url, "--database", database, *(["--teams-limits"] if rate_limited else [])]
        finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if finished.returncode != 0:
            raise RuntimeError(f"{kind} scenario failed:\n{finished.stderr[-3000:]}")
        measured = json.loads(finished.stdout.strip().splitlines()[-1])
        stats = asyncio.run(stub_call(stub_url + "_stats", "GET"))
    name = f"{kind}{', rate-limited stub' if rate_limited else ''}"
    result = Result(name, people, measured["seconds"], measured["cpu_seconds"], measured["peak_rss_mb"], stats,
                    measured.get("outbox"), measured.get("plan_seconds", 0.0), measured.get("plan_cpu_seconds", 0.0))
    print(f"  {name:32} {people:>6} people: {result.per_second:8.0f} messages/s", file=sys.stderr)
    return result


def print_report(results: list[Result]) -> None:
    print(f"\nProactive reminders against a stub connector on loopback; {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}. CPU: the sending process's user+system seconds.\n")
    print("seconds: sending (planning apart); CPU s/1000: planning + sending, per 1000 messages.\n")
    print(f"{'scenario':32} {'people':>6} {'seconds':>8} {'plan s':>7} {'msgs/s':>8} {'CPU s/1000':>10} "
          f"{'peak RSS MB':>11} {'delivered':>9} {'dupl.':>5} {'lost':>5} {'429s':>5}")
    for result in results:
        delivered = result.stub.get("conversations", 0)
        print(f"{result.scenario:32} {result.people:>6} {result.seconds:>8.2f} {result.plan_seconds:>7.2f} "
              f"{result.per_second:>8.0f} {result.cpu_per_thousand:>10.3f} {result.peak_rss_mb:>11.0f} {delivered:>9} "
              f"{result.stub.get('duplicates', 0):>5} {result.people - delivered:>5} "
              f"{result.stub.get('throttled', 0):>5}")
    stock = {r.people: r for r in results if r.scenario == "stock"}
    print()
    for result in results:
        if result.scenario.startswith("dalalab") and result.outbox is not None:
            print(f"{result.scenario} x{result.people}: outbox {result.outbox}")
        if result.scenario == "dalalab" and result.people in stock:
            base = stock[result.people]
            share = result.cpu_per_thousand / base.cpu_per_thousand
            print(f"  CPU per message vs stock loop: {share:.3f} (target <= 0.100 -> "
                  f"{'reached' if share <= 0.1 else 'NOT reached'}); "
                  f"messages/s {result.per_second / base.per_second:.1f}x stock")
        if result.scenario.endswith("rate-limited stub"):
            print("  " + rate_limited_verdict(result))


def rate_limited_verdict(result: Result) -> str:
    """Within 10% above Teams' floor, never under it, with nothing lost or sent twice. The floor: Teams
    takes 50 messages in any one second, so the first 50 go at once and every further 50 a second later;
    the last of N goes out (N - 50) / 50 s after the first."""
    minimum = max(result.people - TEAMS_APP_RATE, TEAMS_APP_RATE) / TEAMS_APP_RATE
    over = result.seconds / minimum - 1
    lost = result.people - result.stub.get("conversations", 0)
    duplicates = result.stub.get("duplicates", 0)
    if over < 0:
        verdict = "NOT reached: faster than Teams allows, so its limits were not kept"
    elif over > 0.10 or lost or duplicates:
        verdict = "NOT reached"
    else:
        verdict = "reached"
    return (f"rate-limited: {result.seconds:.1f} s vs theoretical minimum {minimum:.1f} s ({over * 100:+.1f}%; "
            f"target 0 to +10%, no duplicates or losses -> {verdict}); duplicates {duplicates}, losses {lost}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", default="1000,10000")
    parser.add_argument("--limited-people", type=int, default=1000)
    parser.add_argument("--skip-stock", action="store_true")
    commands = parser.add_subparsers(dest="command")
    scenario = commands.add_parser("scenario", help="run one scenario (the driver starts these)")
    scenario.add_argument("kind", choices=["stock", "dalalab"])
    scenario.add_argument("--people", type=int, required=True)
    scenario.add_argument("--stub", required=True)
    scenario.add_argument("--database", required=True)
    scenario.add_argument("--teams-limits", action="store_true", help="keep the app-wide 50 messages/s")
    arguments = parser.parse_args()
    if arguments.command == "scenario":
        scenario_main(arguments)
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as directory:
        workdir = Path(directory)
        for people in (int(part) for part in arguments.people.split(",")):
            if not arguments.skip_stock:
                results.append(run_scenario("stock", people, workdir))
            results.append(run_scenario("dalalab", people, workdir))
        if arguments.limited_people:
            results.append(run_scenario("dalalab", arguments.limited_people, workdir, rate_limited=True))
    print_report(results)


if __name__ == "__main__":
    main()
