"""Logs at INFO (what production keeps) carry no message text and no personal data: the whole app
over HTTP, a person registering, reading and downloading their data and erasing it, with every log
record captured; and database errors never carry the statement's values into a log."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import create_app
from bot.core.settings import Settings
from bot.teams.access_log import PrivateAccessLogger
from storage.db import create_engine
from tests.conftest import postgres_url
from tests.connector_stub import ConnectorStub, running_stub

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
NAME = "Åsa Hemligsson"
EMAIL = "asa.hemligsson@falun.se"
SAID = "Hej, jag heter Åsa och undrar över lokalen"
SECRETS = (NAME, "Hemligsson", EMAIL, "Glutenfri utan laktos", "jag heter", "aad-asa-secret", "29:asa-secret",
           "Kommunekolog")
CONVERSATION = "a:personal-asa"


def activity(service_url: str, text: str | None = None, value: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
        "text": text, "value": value, "locale": "sv-SE",
        "from": {"id": "29:asa-secret", "name": NAME, "aadObjectId": "aad-asa-secret"},
        "recipient": {"id": "28:dalalab", "name": "DalaLab"},
        "conversation": {"id": CONVERSATION, "conversationType": "personal", "tenantId": "tenant-1"},
        "channelData": {"tenant": {"id": "tenant-1"}},
    }


def last_card(stub: ConnectorStub) -> dict[str, Any]:
    attachments = stub.received[CONVERSATION][-1]["attachments"]
    return dict(attachments[0]["content"])


def action(card: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(a for a in card.get("actions", []) if a["type"] == kind)


async def say(client: TestClient, stub: ConnectorStub, body: dict[str, Any]) -> None:
    before = len(stub.received[CONVERSATION])
    response = await client.post("/api/messages", json=body)
    assert response.status in (200, 201), await response.text()
    await stub.wait_for(lambda: len(stub.received[CONVERSATION]) > before)


async def a_persons_whole_story(client: TestClient, stub: ConnectorStub, url: str) -> str:
    await say(client, stub, activity(url, SAID))
    await say(client, stub, activity(url, "anmäl"))
    form = last_card(stub)
    submit = action(form, "Action.Submit")["data"]
    await say(client, stub, activity(url, value={
        **submit, "name": NAME, "organisation": "falun", "role_title": "Kommunekolog", "email": EMAIL,
        "meetings": "1,2", "dietary": "Glutenfri utan laktos", "consent_list": "true"}))
    await say(client, stub, activity(url, "mina anmälningar"))
    await say(client, stub, activity(url, "mina uppgifter"))
    token = action(last_card(stub), "Action.OpenUrl")["url"].rsplit("/downloads/", 1)[1]
    response = await client.get(f"/downloads/{token}")
    assert NAME in json.loads(await response.read())["person"]["namn"]
    await say(client, stub, activity(url, value={"verb": "privacy_erase_ask"}))
    await say(client, stub, activity(url, value={"verb": "privacy_erase_confirm"}))
    return token


async def test_turns_log_no_message_text_or_personal_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/log.db", demo_project=True, language="sv")
    server = TestServer(create_app(settings, clock=lambda: NOW))
    await server.start_server(access_log_class=PrivateAccessLogger)  # as app.main runs it
    async with running_stub() as (stub, url), TestClient(server) as client:
        token = await a_persons_whole_story(client, stub, url)
    assert NAME in stub.all_text() and "Tack! Du är anmäld" in stub.all_text()  # the data did flow
    assert stub.unexpected == []

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records if record.levelno >= logging.INFO)
    assert "/api/messages" in logged  # the access log was captured too
    assert [secret for secret in SECRETS if secret.lower() in logged.lower()] == []
    assert "/downloads/" in logged and token not in logged  # the link to the file is a secret too


@pytest.mark.parametrize("url", ["sqlite", "postgresql"])
async def test_database_errors_do_not_carry_the_values(tmp_path: Path, url: str) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/e.db" if url == "sqlite" else postgres_url())
    try:
        with pytest.raises(DBAPIError) as raised:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT * FROM no_such_table WHERE name = :name"), {"name": NAME})
    finally:
        await engine.dispose()
    assert NAME not in str(raised.value)
