"""The database goes away and comes back (PostgreSQL behind a proxy the test cuts): the bot answers
"Tekniskt fel, försök igen om en stund." without a stack trace, /healthz says 503, and everything
recovers by itself: turns work again, and a coordinator's message that fell due during the outage is
delivered after it, once."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy import URL, select

from app import create_app
from bot.core.settings import Settings
from bot.outbox.addresses import person_address
from storage.broadcasts import BroadcastRepository
from storage.db import create_engine, migrate, session_factory
from storage.models import Delivery, Project
from storage.outbox import Outbox, PlannedDelivery
from storage.people import ConversationSeen, PeopleRepository, Visitor
from tests.connector_stub import ConnectorStub, running_stub
from tests.pg_database import as_setting, fresh_database
from tests.tcp_proxy import CuttableProxy

pytestmark = pytest.mark.postgres

APOLOGY = "Tekniskt fel, försök igen om en stund."
CHAT = "a:personal-anna"
ANNA = Visitor("29:anna", "Anna Lindqvist", "aad-anna", "tenant-1", "sv-SE")


def reference(service_url: str) -> str:
    ref = ConversationReference(
        channel_id="msteams", service_url=service_url, bot=ChannelAccount(id="28:dalalab", name="DalaLab"),
        user=ChannelAccount(id=ANNA.teams_id, name=ANNA.name),
        conversation=ConversationAccount(id=CHAT, conversation_type="personal", tenant_id="tenant-1"))
    return json.dumps(ref.serialize())


async def seed(url: URL, service_url: str, due: datetime) -> int:
    """Anna, who has chatted with the bot, and a coordinator's message to her due at ``due``."""
    engine = create_engine(as_setting(url))
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        person = await PeopleRepository(sessions).remember(
            ANNA, ConversationSeen(CHAT, "personal", service_url, reference(service_url), "tenant-1"))
        async with sessions.begin() as session:
            project = Project(slug="p", name="Energi", calendar_token="tok")
            session.add(project)
            await session.flush()
            project_id = project.id
        broadcasts = BroadcastRepository(sessions)
        broadcast = await broadcasts.draft(project_id, "registered", "Välkomna till träff 2!", due, None)
        await broadcasts.confirm(broadcast.id)
        await Outbox(sessions).plan([PlannedDelivery("message", f"broadcast:{broadcast.id}", person_address(person),
                                                     due, project_id, {"broadcast_id": broadcast.id})])
        return broadcast.id
    finally:
        await engine.dispose()


def message(service_url: str, text: str) -> dict[str, Any]:
    return {"type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
            "text": text, "locale": "sv-SE",
            "from": {"id": ANNA.teams_id, "name": ANNA.name, "aadObjectId": "aad-anna"},
            "recipient": {"id": "28:dalalab", "name": "DalaLab"},
            "conversation": {"id": CHAT, "conversationType": "personal", "tenantId": "tenant-1"},
            "channelData": {"tenant": {"id": "tenant-1"}}}


async def ask(client: TestClient, stub: ConnectorStub, service_url: str, text: str) -> dict[str, Any]:
    before = len(stub.received[CHAT])
    response = await client.post("/api/messages", json=message(service_url, text))
    assert response.status < 500
    await stub.wait_for(lambda: len(stub.received[CHAT]) > before)
    return stub.received[CHAT][-1]


async def health(client: TestClient) -> int:
    response = await client.get("/healthz")
    assert "Traceback" not in await response.text()
    return response.status


async def until_health(client: TestClient, status: int, seconds: float = 15) -> None:
    for _ in range(int(seconds / 0.2)):
        if await health(client) == status:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"/healthz never answered {status}")


def broadcasts_received(stub: ConnectorStub) -> int:
    return sum("Välkomna till träff 2!" in json.dumps(a, ensure_ascii=False) for a in stub.received[CHAT])


async def test_the_bot_survives_a_database_outage_and_catches_up() -> None:
    async with asyncio.timeout(120), fresh_database() as url, running_stub() as (stub, service_url):
        due = datetime.now(UTC) + timedelta(seconds=4)
        await seed(url, service_url, due)
        async with CuttableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
            settings = Settings(database_url=as_setting(url.set(host="127.0.0.1", port=proxy.port)),
                                language="sv", quiet_hours="off", stale_claim_seconds=2)
            async with TestClient(TestServer(create_app(settings))) as client:
                assert await health(client) == 200
                assert "attachments" in await ask(client, stub, service_url, "mina anmälningar")

                proxy.cut()
                await until_health(client, 503)
                reply = await ask(client, stub, service_url, "mina anmälningar")
                assert reply["text"] == APOLOGY and not reply.get("attachments")
                await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 2)
                assert broadcasts_received(stub) == 0  # due, but the database is away

                proxy.restore()
                restored = time.monotonic()
                await until_health(client, 200)
                healthy_after = time.monotonic() - restored
                await stub.wait_for(lambda: broadcasts_received(stub) == 1, seconds=20)
                print(f"\noutage: healthy {healthy_after:.1f} s and the overdue message delivered "
                      f"{time.monotonic() - restored:.1f} s after the database came back")
                assert "attachments" in await ask(client, stub, service_url, "mina anmälningar")
                await asyncio.sleep(5)  # a few more dispatcher runs: nothing is sent again
                assert broadcasts_received(stub) == 1

        engine = create_engine(as_setting(url))
        async with session_factory(engine)() as session:
            state = (await session.execute(select(Delivery.state, Delivery.attempts))).tuples().all()
        await engine.dispose()
    assert state == [("sent", 1)]
    assert "Traceback" not in stub.all_text()
    assert stub.unexpected == []
