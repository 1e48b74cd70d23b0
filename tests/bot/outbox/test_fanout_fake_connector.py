"""Fan-out through the real stack (CloudAdapter, Messenger, OutboxSender, Dispatcher, Outbox) to a fake
Bot Connector on loopback that throttles every 3rd request (429, Retry-After: 1) and fails every 5th
(503): retries happen, the rate limits hold on the fake clock, and every message arrives exactly once.

The dispatcher's clock is fake; the adapter's HTTP calls are real (loopback). The fake ``sleep`` only
moves the clock once no send is in flight, so the fake time the connector stamps on a request is the
time the rate limiter allowed it."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import create_adapter
from bot.core.quiet_hours import QuietHours
from bot.core.settings import Settings
from bot.features.messages.service import Broadcasting
from bot.features.registration.rules import RegistrationForm, Status
from bot.features.reminders.planner import ReminderPlanner
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.retry import RetryPolicy
from bot.outbox.sender import OutboxSender
from bot.teams.connector import close_adapter
from bot.teams.proactive import Messenger
from storage.attendance import AttendanceRepository
from storage.broadcasts import BroadcastRepository
from storage.models import Delivery, Meeting, Project
from storage.outbox import Outbox
from storage.people import ConversationSeen, PeopleRepository, Visitor
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from tests.bot.outbox.meeting_renderers import meeting_renderers

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MEETING_START = datetime(2027, 3, 2, 12, 0, tzinfo=UTC)
REMINDER_DUE = MEETING_START - timedelta(days=1)  # 13.00 in Stockholm
EPOCH = datetime(2027, 1, 1, tzinfo=UTC)
TENANT = "tenant-1"
BOT_ID = "28:dalalab-bot"
TEAM_CHANNEL = "19:team@thread.tacv2"
PEOPLE = 30
NEVER_CHATTED = 5  # the last five were only seen in the team channel: the bot opens a 1:1 chat first
BUSY_MESSAGES = 10  # coordinator messages to Mora, where only person 0 works


class FakeClock:
    """The bot's clock and the rate limiter's monotonic clock. ``sleep`` waits until no send is in
    flight, then moves time to where that sleep would have ended (several sleepers overlap)."""

    def __init__(self) -> None:
        self.now = NOW
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - EPOCH).total_seconds()

    async def sleep(self, seconds: float) -> None:
        until = self.now + timedelta(seconds=seconds)
        await self.idle.wait()
        self.now = max(self.now, until)


class InFlight:
    """The real sender, counting sends under way so the fake clock never moves during one."""

    def __init__(self, sender: OutboxSender, clock: FakeClock) -> None:
        self._sender = sender
        self._clock = clock

    async def send(self, delivery: Delivery) -> str | None:
        self._clock.in_flight += 1
        self._clock.idle.clear()
        try:
            return await self._sender.send(delivery)
        finally:
            self._clock.in_flight -= 1
            if not self._clock.in_flight:
                self._clock.idle.set()


@dataclass(frozen=True)
class Message:
    conversation: str
    at: float
    """Fake monotonic time when the connector accepted it."""
    body: str


class FakeConnector:
    """The Bot Connector endpoints a proactive 1:1 send uses. Every 3rd request gets 429 with
    Retry-After: 1, every 5th 503; any other endpoint is recorded as unexpected and refused."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.attempts: list[tuple[str, float]] = []
        self.messages: list[Message] = []
        self.created: Counter[str] = Counter()
        self.unexpected: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self.activity)
        app.router.add_post("/v3/conversations/{conversation}/activities", self.activity)
        app.router.add_post("/v3/conversations", self.create_conversation)
        app.router.add_route("*", "/{tail:.*}", self.other)
        return app

    def _fault(self) -> web.Response | None:
        self.requests += 1
        if self.requests % 3 == 0:
            return self._answer(429, {"error": {"code": "Throttled"}}, {"Retry-After": "1"})
        if self.requests % 5 == 0:
            return self._answer(503, {"error": {"code": "ServiceUnavailable"}})
        return None

    def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
        self.statuses[status] += 1
        return web.json_response(body, status=status, headers=headers)

    async def activity(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        body = await request.json()
        self.attempts.append((conversation, self._clock.monotonic()))
        if fault := self._fault():
            return fault
        self.messages.append(Message(conversation, self._clock.monotonic(), json.dumps(body, ensure_ascii=False)))
        return self._answer(200, {"id": f"activity-{self.requests}"})

    async def create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        if fault := self._fault():
            return fault
        [member] = body["members"]
        self.created[member["id"]] += 1
        return self._answer(200, {"id": f"a:created-{member['id']}"})

    async def other(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path}")
        return web.json_response({"error": {"code": "NotFound"}}, status=404)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def connector(clock: FakeClock) -> AsyncIterator[tuple[FakeConnector, str]]:
    fake = FakeConnector(clock)
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("/"))
    finally:
        await server.close()


def reference(conversation_id: str, kind: str, service_url: str, user: ChannelAccount | None) -> str:
    ref = ConversationReference(
        channel_id="msteams",
        service_url=service_url,
        bot=ChannelAccount(id=BOT_ID, name="DalaLab"),
        user=user,
        conversation=ConversationAccount(id=conversation_id, conversation_type=kind, tenant_id=TENANT),
        locale="sv-SE",
    )
    return json.dumps(ref.serialize(), ensure_ascii=False, sort_keys=True)


async def meet_people(people: PeopleRepository, service_url: str) -> list[int]:
    """Person 0..24 chatted with the bot 1:1; the rest were only seen in the team channel."""
    ids = []
    for n in range(PEOPLE):
        visitor = Visitor(f"29:user-{n}", f"Person {n}", None, TENANT, "sv-SE")
        if n < PEOPLE - NEVER_CHATTED:
            account = ChannelAccount(id=visitor.teams_id, name=visitor.name)
            seen = ConversationSeen(f"a:personal-{n}", "personal", service_url,
                                    reference(f"a:personal-{n}", "personal", service_url, account), TENANT)
        else:
            seen = ConversationSeen(TEAM_CHANNEL, "channel", service_url,
                                    reference(TEAM_CHANNEL, "channel", service_url, None), TENANT, "team-1",
                                    TEAM_CHANNEL)
        person_id = await people.remember(visitor, seen)
        assert person_id is not None
        ids.append(person_id)
    return ids


async def make_project(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessions.begin() as session:
        project = Project(slug="fanout", name="Fan-out", calendar_token="tok", quota_per_organisation=100,
                          reminder_offsets="1d", registration_deadline=MEETING_START)
        meeting = Meeting(number=1, title="Träff 1", starts_at=MEETING_START,
                          ends_at=MEETING_START + timedelta(hours=3), uid="fanout-1")
        project.meetings = [meeting]
        session.add(project)
        await session.flush()
        return project.id, meeting.id


async def register(registrations: RegistrationRepository, project_id: int, person_ids: list[int]) -> None:
    for n, person_id in enumerate(person_ids):
        organisation = "mora" if n == 0 else "falun"
        form = RegistrationForm(f"Person {n}", organisation, "", "", "", frozenset({1}), "", True)
        result = await registrations.register(project_id, person_id, form, NOW)
        assert result.registration.status == Status.REGISTERED


def busy_text(n: int) -> str:
    return f"Meddelande till Mora nr {n:02d}"


async def plan_busy_messages(sessions: async_sessionmaker[AsyncSession], broadcasting: Broadcasting,
                             projects: ProjectRepository, project_id: int) -> None:
    broadcasts = BroadcastRepository(sessions)
    project = await projects.by_id(project_id)
    assert project is not None
    for n in range(BUSY_MESSAGES):
        broadcast = await broadcasts.draft(project_id, "organisation:mora", busy_text(n), REMINDER_DUE, None)
        assert await broadcasts.confirm(broadcast.id)
        assert await broadcasting.schedule(broadcast, project) == 1


def most_within(times: list[float], window: float) -> int:
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


async def test_every_recipient_gets_exactly_one_message_despite_429_and_503(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, connector: tuple[FakeConnector, str]
) -> None:
    fake, service_url = connector
    people = PeopleRepository(sessions)
    projects = ProjectRepository(sessions)
    registrations = RegistrationRepository(sessions)
    outbox = Outbox(sessions)
    person_ids = await meet_people(people, service_url)
    project_id, _meeting_id = await make_project(sessions)
    await register(registrations, project_id, person_ids)

    planner = ReminderPlanner(projects, registrations, outbox, clock, STOCKHOLM, QuietHours())
    assert (await planner.plan_all()).planned == PEOPLE
    broadcasting = Broadcasting(registrations, AttendanceRepository(sessions), outbox, clock, STOCKHOLM, QuietHours())
    await plan_busy_messages(sessions, broadcasting, projects, project_id)

    adapter = create_adapter(Settings())
    messenger = Messenger(adapter, people, "")
    sender = OutboxSender(messenger, meeting_renderers(sessions, clock, registrations, outbox))
    # 7 in 15 requests fail, so a row may need many tries; the bound is what is tested elsewhere.
    dispatcher = Dispatcher(outbox, InFlight(sender, clock), RateLimiter(clock.monotonic), clock,
                            policy=RetryPolicy(max_attempts=25), sleep=clock.sleep)

    clock.now = REMINDER_DUE
    for _ in range(200):
        await dispatcher.run_once()
        next_due = await outbox.next_due_at()
        if next_due is None:
            break
        clock.now = max(clock.now, next_due)
    else:
        pytest.fail("deliveries still pending after 200 dispatcher runs")
    await close_adapter(adapter)

    assert fake.unexpected == []
    async with sessions() as session:
        rows = list(await session.scalars(select(Delivery)))
    assert len(rows) == PEOPLE + BUSY_MESSAGES
    assert {row.state for row in rows} == {"sent"}, [(r.recipient, r.state, r.last_error) for r in rows]

    # Retries happened, each one after exactly one refused request: nothing retried behind our back.
    refused = fake.statuses[429] + fake.statuses[503]
    assert fake.statuses[429] > 0 and fake.statuses[503] > 0
    assert sum(row.attempts for row in rows) == len(rows) + refused

    # Exactly one message per delivery, in the right chat, no duplicates.
    per_conversation: dict[str, list[Message]] = defaultdict(list)
    for message in fake.messages:
        per_conversation[message.conversation].append(message)
    chats = {f"a:personal-{n}" for n in range(PEOPLE - NEVER_CHATTED)}
    chats |= {f"a:created-29:user-{n}" for n in range(PEOPLE - NEVER_CHATTED, PEOPLE)}
    assert set(per_conversation) == chats
    assert {c: len(m) for c, m in per_conversation.items() if c != "a:personal-0"} == {
        c: 1 for c in chats - {"a:personal-0"}
    }
    busy = per_conversation["a:personal-0"]
    assert len(busy) == BUSY_MESSAGES + 1
    assert all(sum(busy_text(n) in m.body for m in busy) == 1 for n in range(BUSY_MESSAGES))
    assert fake.created == Counter({f"29:user-{n}": 1 for n in range(PEOPLE - NEVER_CHATTED, PEOPLE)})
    assert all(row.activity_id for row in rows)

    # The rate limits held on the fake clock, counting every request (refused ones too).
    attempts_per_conversation: dict[str, list[float]] = defaultdict(list)
    for conversation, at in fake.attempts:
        attempts_per_conversation[conversation].append(at)
    assert max(most_within(times, 1.0) for times in attempts_per_conversation.values()) <= 7
    assert max(most_within(times, 2.0) for times in attempts_per_conversation.values()) <= 8
    assert most_within([at for _, at in fake.attempts], 1.0) <= 50
    busy_times = [m.at for m in busy]
    assert max(busy_times) - min(busy_times) >= 1.0  # eleven messages to one chat cannot go in one second
