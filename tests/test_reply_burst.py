"""A burst like the one after "anmäl er nu!" in a meeting: 80 people write to the bot for the first
time at once. Through a connector that throttles as Teams does (tests/throttling_connector.py, which
counts on its own), and that fails some replies once with 412, 429, 502, 503 or 504, every one of the
80 gets exactly one answer: the replies wait for the rate limits and are retried."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bot.core.settings import Settings
from tests.test_logging_privacy import NOW
from tests.throttling_connector import throttling_connector

PEOPLE = 80
TRANSIENT = (412, 429, 502, 503, 504)


def first_message(service_url: str, n: int) -> dict[str, Any]:
    return {
        "type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
        "text": "anmäl", "locale": "sv-SE",
        "from": {"id": f"29:person-{n}", "name": f"Person {n}", "aadObjectId": f"aad-person-{n}"},
        "recipient": {"id": "28:dalalab", "name": "DalaLab"},
        "conversation": {"id": f"a:chat-{n}", "conversationType": "personal", "tenantId": "tenant-1"},
        "channelData": {"tenant": {"id": "tenant-1"}},
    }


async def test_eighty_first_time_people_at_once_all_get_one_answer(tmp_path: Path) -> None:
    failures = {f"a:chat-{n}": [TRANSIENT[n % len(TRANSIENT)]] for n in range(0, PEOPLE, 8)}
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/burst.db", demo_project=True, language="sv")
    async with throttling_connector(failures) as (stub, url), \
            TestClient(TestServer(create_app(settings, clock=lambda: NOW))) as client:
        responses = await asyncio.gather(*(client.post("/api/messages", json=first_message(url, n))
                                           for n in range(PEOPLE)))
        statuses = [response.status for response in responses]

    assert set(statuses) <= {200, 201}
    answered = [n for n in range(PEOPLE) if stub.delivered.get(f"a:chat-{n}")]
    duplicates = sum(len(stub.delivered[f"a:chat-{n}"]) - 1 for n in answered)
    assert (len(answered), duplicates) == (PEOPLE, 0)
    assert all("Anmälan" in str(stub.delivered[f"a:chat-{n}"][0]["attachments"]) for n in answered)
    assert sorted(stub.failed) == sorted(f[0] for f in failures.values())  # the transient failures happened
    assert stub.unexpected == []
