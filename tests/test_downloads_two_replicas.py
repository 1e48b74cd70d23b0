"""Download links any replica can serve: two bot processes on one PostgreSQL database. A person asks
process A for their data (`mina uppgifter`); the link in A's answer is fetched from process B, and
after the link's 15 minutes B answers 404 (B's clock is moved through its test hook)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest

from tests.bot_process import start_bot, stop
from tests.connector_stub import running_stub
from tests.pg_database import as_setting, fresh_database

pytestmark = pytest.mark.postgres


def message(service_url: str, text: str) -> dict[str, Any]:
    return {
        "type": "message", "id": uuid.uuid4().hex, "channelId": "msteams", "serviceUrl": service_url,
        "text": text, "locale": "sv-SE",
        "from": {"id": "29:replica-person", "name": "Rebecka Replik", "aadObjectId": "aad-replica"},
        "recipient": {"id": "28:dalalab", "name": "DalaLab"},
        "conversation": {"id": "a:replica-chat", "conversationType": "personal", "tenantId": "tenant-1"},
        "channelData": {"tenant": {"id": "tenant-1"}},
    }


def download_token(activities: list[dict[str, Any]]) -> str:
    for activity in reversed(activities):
        for attachment in activity.get("attachments") or []:
            for action in attachment["content"].get("actions", []):
                if action.get("type") == "Action.OpenUrl" and "/downloads/" in action["url"]:
                    return str(action["url"].rsplit("/downloads/", 1)[1])
    raise AssertionError("no download link was sent")


async def test_a_link_made_by_one_replica_is_served_by_the_other_until_it_expires(tmp_path: Any) -> None:
    async with asyncio.timeout(120), fresh_database() as url, running_stub() as (stub, service_url):
        env = {"DATABASE_URL": as_setting(url), "DALALAB_TEST_HOOKS": "1"}
        first = await start_bot(tmp_path, "a", env)
        second = None
        try:
            second = await start_bot(tmp_path, "b", env)
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{first.url}/api/messages", json=message(service_url, "mina uppgifter")) as r:
                    assert r.status in (200, 201)
                token = download_token(stub.received["a:replica-chat"])
                async with http.get(f"{second.url}/downloads/{token}") as served:
                    assert served.status == 200
                    assert "Rebecka Replik" in await served.text()
                async with http.post(f"{second.url}/_test/clock", json={"seconds": 15 * 60 + 1}) as moved:
                    assert moved.status == 200
                async with http.get(f"{second.url}/downloads/{token}") as expired:
                    assert expired.status == 404
                async with http.get(f"{first.url}/downloads/{token}") as still:
                    assert still.status == 200  # A's clock has not moved: the expiry is the stored moment
        finally:
            for bot in (first, second):
                if bot is not None:
                    await stop(bot)
