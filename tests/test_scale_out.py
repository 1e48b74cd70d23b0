"""Two bot processes on one PostgreSQL database: only one runs the scheduler, and a reminder to 100
people reaches every one of them even when that process is killed (SIGKILL) in the middle of sending.

The stored conversation references point at a connector stub in this test process, which answers
each message after 0.1 s so that sends are in flight when the leader dies. The standby takes over
the lock, reclaims the dead leader's rows when their lease runs out and sends them. Rows the leader
had "claimed" were never attempted and are sent once. Rows it was "sending" are in doubt: the request
may have reached Teams, so they are sent again (at least once). The test counts them: nobody gets
the reminder twice unless their row was in flight at the kill, and there are at most as many such
rows as the dispatcher sends at once."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy import URL, select

from bot.features.registration.rules import RegistrationForm
from bot.outbox.addresses import person_address
from bot.outbox.dispatcher import WAVE
from storage.db import create_engine, migrate, session_factory
from storage.models import Delivery, Meeting, Project
from storage.outbox import IN_DOUBT, Outbox, PlannedDelivery
from storage.people import ConversationSeen, PeopleRepository, Visitor
from storage.registrations import RegistrationRepository
from tests.bot_process import start_bot, stop
from tests.connector_stub import ConnectorStub, running_stub
from tests.pg_database import as_setting, fresh_database

pytestmark = pytest.mark.postgres

PEOPLE = 100
CONCURRENCY = WAVE
"""The dispatcher's default number of sends at once (bot/outbox/dispatcher.py)."""
KILL_AFTER = 30
ENV = {"DALALAB_STALE_CLAIM_SECONDS": "3"}


def chat(n: int) -> str:
    return f"a:personal-{n}"


def reference(n: int, service_url: str) -> str:
    ref = ConversationReference(
        channel_id="msteams", service_url=service_url, bot=ChannelAccount(id="28:dalalab", name="DalaLab"),
        user=ChannelAccount(id=f"29:user-{n}", name=f"Person {n}"),
        conversation=ConversationAccount(id=chat(n), conversation_type="personal", tenant_id="tenant-1"))
    return json.dumps(ref.serialize())


async def seed(url: URL, service_url: str) -> tuple[int, int, dict[str, str]]:
    """100 people who chatted with the bot, registered for a meeting in two days."""
    engine = create_engine(as_setting(url))
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        start = datetime.now(UTC) + timedelta(days=2)
        async with sessions.begin() as session:
            project = Project(slug="skala", name="Skala upp", calendar_token="tok", quota_per_organisation=PEOPLE,
                              reminder_offsets="1d")
            project.meetings = [Meeting(number=1, title="Träff 1", starts_at=start, ends_at=start + timedelta(hours=2),
                                        uid="skala-1")]
            session.add(project)
            await session.flush()
            project_id, meeting_id = project.id, project.meetings[0].id
        people, registrations = PeopleRepository(sessions), RegistrationRepository(sessions)
        chats: dict[str, str] = {}
        for n in range(PEOPLE):
            visitor = Visitor(f"29:user-{n}", f"Person {n}", None, "tenant-1", "sv-SE")
            seen = ConversationSeen(chat(n), "personal", service_url, reference(n, service_url), "tenant-1")
            person = await people.remember(visitor, seen)
            assert person is not None
            chats[person_address(person)] = chat(n)
            form = RegistrationForm(f"Person {n}", "falun", "", "", "", frozenset({1}), "", False)
            await registrations.register(project_id, person, form, datetime.now(UTC))
        return project_id, meeting_id, chats
    finally:
        await engine.dispose()


async def remind_everyone(url: URL, project_id: int, meeting_id: int) -> None:
    """What a coordinator's `påminn` plans: one reminder per registered person, due now."""
    engine = create_engine(as_setting(url))
    sessions = session_factory(engine)
    people = await RegistrationRepository(sessions).people_for_meeting(meeting_id)
    assert len(people) == PEOPLE
    start = datetime.now(UTC) + timedelta(days=2)
    await Outbox(sessions).plan([
        PlannedDelivery("reminder", f"meeting:{meeting_id}:now", person_address(p), datetime.now(UTC), project_id,
                        {"meeting_id": meeting_id, "offset": "now"}, start) for p in people])
    await engine.dispose()


async def states(url: URL) -> list[tuple[str, str, str]]:
    engine = create_engine(as_setting(url))
    async with session_factory(engine)() as session:
        rows = (await session.execute(select(Delivery.recipient, Delivery.state, Delivery.last_error)
                                      .where(Delivery.source.endswith(":now")))).tuples().all()
    await engine.dispose()
    return [tuple(row) for row in rows]


def received(stub: ConnectorStub) -> Counter[str]:
    return Counter({conversation: len(activities) for conversation, activities in stub.received.items()
                    if conversation.startswith("a:personal-")})


async def test_a_reminder_to_100_reaches_everyone_when_the_sending_process_is_killed(tmp_path: Path) -> None:
    async with asyncio.timeout(180), fresh_database() as url, running_stub(delay=0.1) as (stub, service_url):
        project_id, meeting_id, chat_of = await seed(url, service_url)
        env = {**ENV, "DATABASE_URL": as_setting(url)}
        leader = await start_bot(tmp_path, "a", env)
        standby = None
        try:
            await leader.wait_for_log("this process runs the scheduler")
            standby = await start_bot(tmp_path, "b", env)
            await standby.wait_for_log("standby: another process runs the scheduler")

            await remind_everyone(url, project_id, meeting_id)
            await stub.wait_for(lambda: sum(received(stub).values()) >= KILL_AFTER, seconds=30)
            standby_log_before_kill = standby.log_text()
            leader.process.send_signal(signal.SIGKILL)
            await leader.process.wait()
            killed_at = time.monotonic()
            arrived_before_kill = sum(received(stub).values())
            at_kill = await states(url)

            await stub.wait_for(lambda: len(received(stub)) == PEOPLE, seconds=60)
            for _ in range(100):
                if {state for _, state, _ in await states(url)} == {"sent"}:
                    break
                await asyncio.sleep(0.2)
            recovered_in = time.monotonic() - killed_at
            final = await states(url)
        finally:
            for bot in (leader, standby):
                if bot is not None:
                    await stop(bot)

    counts = received(stub)
    by_state = Counter(state for _, state, _ in at_kill)
    in_doubt = {recipient for recipient, state, _ in at_kill if state == "sending"}
    twice = {conversation for conversation, count in counts.items() if count > 1}
    print(f"\nscale-out: rows at the kill {dict(by_state)}, {arrived_before_kill} messages had arrived; "
          f"in doubt {len(in_doubt)}, received twice {len(twice)}; all {PEOPLE} rows sent {recovered_in:.1f} s "
          f"after the kill; {sum(counts.values())} messages in all")

    assert "this process runs the scheduler" not in standby_log_before_kill  # one scheduler while both ran
    assert standby is not None and "this process runs the scheduler" in standby.log_text()
    assert by_state["sent"] >= 1 and by_state["claimed"] >= 1  # it really died mid-batch
    assert len(in_doubt) <= CONCURRENCY
    assert set(counts) == set(chat_of.values())  # everyone got it
    assert max(counts.values()) <= 2
    assert twice <= {chat_of[recipient] for recipient in in_doubt}  # only rows in flight at the kill
    assert {recipient for recipient, _, note in final if note == IN_DOUBT} == in_doubt
    assert {state for _, state, _ in final} == {"sent"}
    assert stub.unexpected == []
