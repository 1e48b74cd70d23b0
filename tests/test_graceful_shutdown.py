"""SIGTERM while a turn and a scheduled delivery are in flight (``python app.py`` as a subprocess, a
connector stub that holds its answers): the turn's reply and the delivery both complete, the
delivery is recorded as sent, the scheduler stops cleanly and the process exits with code 0."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy import select

from bot.outbox.addresses import person_address
from storage.broadcasts import BroadcastRepository
from storage.db import create_engine, migrate, session_factory
from storage.models import Delivery, Project
from storage.outbox import Outbox, PlannedDelivery
from storage.people import ConversationSeen, PeopleRepository, Visitor
from tests.bot_process import start_bot, stop
from tests.connector_stub import running_stub

SLOW_CHAT = "a:personal-anna"
TURN_CHAT = "a:personal-bo"


def reference(service_url: str) -> str:
    return json.dumps(ConversationReference(
        channel_id="msteams", service_url=service_url, bot=ChannelAccount(id="28:dalalab", name="DalaLab"),
        user=ChannelAccount(id="29:anna", name="Anna"),
        conversation=ConversationAccount(id=SLOW_CHAT, conversation_type="personal", tenant_id="tenant-1"),
    ).serialize())


async def seed(database: str, service_url: str) -> tuple[int, int, int]:
    engine = create_engine(database)
    await migrate(engine)
    sessions = session_factory(engine)
    person = await PeopleRepository(sessions).remember(
        Visitor("29:anna", "Anna", None, "tenant-1"),
        ConversationSeen(SLOW_CHAT, "personal", service_url, reference(service_url), "tenant-1"))
    async with sessions.begin() as session:
        project = Project(slug="p", name="Energi", calendar_token="tok")
        session.add(project)
        await session.flush()
        project_id = project.id
    broadcast = await BroadcastRepository(sessions).draft(project_id, "registered", "Hej!", datetime.now(UTC), None)
    await BroadcastRepository(sessions).confirm(broadcast.id)
    await engine.dispose()
    assert person is not None
    return person, project_id, broadcast.id


async def plan_now(database: str, person: int, project_id: int, broadcast_id: int) -> None:
    engine = create_engine(database)
    await Outbox(session_factory(engine)).plan([PlannedDelivery(
        "message", f"broadcast:{broadcast_id}", person_address(person), datetime.now(UTC) - timedelta(seconds=1),
        project_id, {"broadcast_id": broadcast_id})])
    await engine.dispose()


async def delivery_state(database: str) -> list[tuple[str, int]]:
    engine = create_engine(database)
    async with session_factory(engine)() as session:
        rows = (await session.execute(select(Delivery.state, Delivery.attempts))).tuples().all()
    await engine.dispose()
    return [tuple(row) for row in rows]


def turn(service_url: str) -> dict[str, object]:
    return {"type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
            "text": "hjälp", "locale": "sv-SE", "from": {"id": "29:bo", "name": "Bo"},
            "recipient": {"id": "28:dalalab", "name": "DalaLab"},
            "conversation": {"id": TURN_CHAT, "conversationType": "personal", "tenantId": "tenant-1"}}


async def post(url: str, body: dict[str, object]) -> int:
    async with aiohttp.ClientSession() as session, session.post(f"{url}/api/messages", json=body) as response:
        return response.status


async def test_sigterm_finishes_the_turn_and_the_delivery_in_flight(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with asyncio.timeout(120), running_stub() as (stub, service_url):
        stub.delays = {SLOW_CHAT: 4.0, TURN_CHAT: 2.0}
        person, project_id, broadcast_id = await seed(database, service_url)
        bot = await start_bot(tmp_path, "bot", {"DATABASE_URL": database, "DALALAB_STALE_CLAIM_SECONDS": "3"})
        try:
            await plan_now(database, person, project_id, broadcast_id)
            await stub.wait_for(lambda: len(stub.received[SLOW_CHAT]) == 1, seconds=20)
            reply = asyncio.create_task(post(bot.url, turn(service_url)))
            await stub.wait_for(lambda: len(stub.received[TURN_CHAT]) == 1)
            assert (stub.completed[SLOW_CHAT], stub.completed[TURN_CHAT]) == (0, 0)  # both in flight

            bot.process.send_signal(signal.SIGTERM)
            assert await reply in (200, 201)
            assert await asyncio.wait_for(bot.process.wait(), 60) == 0
        finally:
            await stop(bot)

    assert (stub.completed[SLOW_CHAT], stub.completed[TURN_CHAT]) == (1, 1)
    assert await delivery_state(database) == [("sent", 1)]
    log = bot.log_text()
    assert "scheduler stopped" in log and "Traceback" not in log
