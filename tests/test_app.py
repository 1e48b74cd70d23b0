"""The HTTP surface: health, and malformed requests answered with a 4xx (never a 500)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bot.core.settings import Settings


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/app.db")
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


async def test_health_checks_the_database(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["database"] == "ok"


async def test_health_reports_an_unreachable_database(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(settings)
    app.on_startup.clear()  # no migration: the database is down from the start
    async with TestClient(TestServer(app)) as test_client:
        response = await test_client.get("/healthz")
        assert response.status == 503
        assert "Traceback" not in await response.text()


JSON = {"Content-Type": "application/json"}
GOOD = {"type": "message", "serviceUrl": "http://127.0.0.1:9/", "conversation": {"id": "c"}, "from": {"id": "u"}}


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"hello", {"Content-Type": "text/plain"}, 415),
        (b"", {}, 415),
        (b"{not json", JSON, 400),
        (b"\xff\xfe", JSON, 400),
        (b"[]", JSON, 400),
        (b'"text"', JSON, 400),
        (b"{}", JSON, 400),
        (json.dumps({"type": 5}).encode(), JSON, 400),
        (json.dumps({"type": "message"}).encode(), JSON, 400),
        (json.dumps({**GOOD, "conversation": "c"}).encode(), JSON, 400),
        (json.dumps({**GOOD, "conversation": {"id": 7}}).encode(), JSON, 400),
        (json.dumps({**GOOD, "text": {"a": 1}}).encode(), JSON, 400),
        (json.dumps({**GOOD, "from": []}).encode(), JSON, 400),
        (("[" * 5000 + "]" * 5000).encode(), JSON, 400),
    ],
    ids=["text-plain", "no-content-type", "broken-json", "not-utf8", "array", "string", "no-type", "type-not-text",
         "message-without-conversation", "conversation-not-object", "conversation-id-not-text", "text-not-text",
         "from-not-object", "deeply-nested-array"],
)
async def test_malformed_requests_get_a_4xx(client: TestClient, body: bytes, headers: dict[str, str],
                                            status: int) -> None:
    response = await client.post("/api/messages", data=body, headers=headers)
    assert response.status == status
    assert "error" in await response.json()


async def test_deeply_nested_json_is_refused(client: TestClient) -> None:
    value: object = "x"
    for _ in range(200):
        value = {"v": value}
    response = await client.post("/api/messages", data=json.dumps({**GOOD, "value": value}), headers=JSON)
    assert response.status == 400


async def test_huge_bodies_are_refused(client: TestClient) -> None:
    response = await client.post("/api/messages", data=b"x" * (300 * 1024), headers=JSON)
    assert response.status == 413


async def test_unknown_activity_type_is_accepted_and_ignored(client: TestClient) -> None:
    body = {**GOOD, "type": "somethingNew"}
    response = await client.post("/api/messages", data=json.dumps(body), headers=JSON)
    assert response.status in (200, 201)


async def test_get_is_not_allowed(client: TestClient) -> None:
    response = await client.get("/api/messages")
    assert response.status == 405
