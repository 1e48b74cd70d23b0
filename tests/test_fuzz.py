"""Fuzzing /api/messages with generated activities and card values: every answer is a 2xx or
4xx, the bot keeps answering, and the database stays consistent."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from bot.settings import Settings
from scripts.devstack import free_port

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)
VERBS = st.sampled_from(["register", "register_start", "evaluation_answer", "rsvp", "cancel_confirmed", "transfer",
                         "export", "broadcast_confirm", "help", "no-such-verb", ""])
COMMANDS = st.sampled_from(["hjälp", "anmäl", "mina anmälningar", "schema", "nästa träff", "utvärdera",
                            "anmälningar", "ta över ABC123", "anmäl via text", "avbryt", "om"])


@st.composite
def activities(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["message", "message", "invoke", "conversationUpdate", "installationUpdate",
                                 "typing", "weird"]))
    activity: dict[str, Any] = {
        "type": kind,
        "channelId": "msteams",
        "serviceUrl": STUB_URL,
        "conversation": {"id": draw(st.sampled_from(["c1", "c2", "19:x@thread.tacv2"])),
                         "conversationType": draw(st.sampled_from(["personal", "channel", "groupChat", None]))},
        "from": {"id": draw(st.sampled_from(["u1", "u2", "u3"])), "name": draw(TEXT),
                 "aadObjectId": draw(st.sampled_from(["a1", "a2", None]))},
        "recipient": {"id": "bot"},
        "locale": draw(st.sampled_from(["sv-SE", "en-US", None, "xx"])),
    }
    if draw(st.booleans()):
        activity["text"] = draw(COMMANDS | TEXT)
    if draw(st.booleans()):
        value = draw(st.dictionaries(TEXT, ANY_JSON, max_size=6))
        value["verb"] = draw(VERBS)
        value["project_id"] = draw(st.integers(-5, 5) | TEXT)
        activity["value"] = value
    if draw(st.integers(0, 9)) == 0:
        activity[draw(TEXT)] = draw(ANY_JSON)
    return activity


STUB_PORT = free_port()
STUB_URL = f"http://127.0.0.1:{STUB_PORT}/"


def _connector_stub() -> web.Application:
    """Accepts every reply the bot sends, so turns complete quickly."""

    async def accept(_request: web.Request) -> web.Response:
        return web.json_response({"id": "1"})

    stub = web.Application()
    stub.router.add_route("*", "/{tail:.*}", accept)
    return stub


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The real app on a real port, in its own thread and event loop."""
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    port = free_port()
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{database}", port=port, demo_project=True))
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    stub = web.AppRunner(_connector_stub())
    loop.run_until_complete(stub.setup())
    loop.run_until_complete(web.TCPSite(stub, "127.0.0.1", STUB_PORT).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", database
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
    asyncio.run_coroutine_threadsafe(stub.cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def post(base: str, body: bytes, content_type: str = "application/json") -> int:
    request = urllib.request.Request(f"{base}/api/messages", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(batch=st.lists(activities(), min_size=1, max_size=4))
def test_generated_activities_never_get_a_5xx(server: tuple[str, Path], batch: list[Any]) -> None:
    base, _ = server
    for activity in batch:
        status = post(base, json.dumps(activity).encode())
        assert 200 <= status < 500, (status, activity)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000) | ANY_JSON.map(lambda v: json.dumps(v).encode()))
def test_arbitrary_bodies_never_get_a_5xx(server: tuple[str, Path], body: bytes) -> None:
    status = post(server[0], body)
    assert 400 <= status < 500 or 200 <= status < 300


def test_afterwards_the_bot_still_answers_and_the_database_is_consistent(server: tuple[str, Path]) -> None:
    base, database = server
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        assert json.loads(response.read())["database"] == "ok"
    hello = {"type": "message", "channelId": "msteams", "serviceUrl": STUB_URL, "text": "hjälp",
             "conversation": {"id": "c-final", "conversationType": "personal"}, "from": {"id": "u-final"},
             "recipient": {"id": "bot"}}
    assert post(base, json.dumps(hello).encode()) in (200, 201)
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = db.execute("SELECT count(*) FROM registration r LEFT JOIN person p ON p.id = r.person_id "
                             "WHERE p.id IS NULL").fetchone()[0]
        assert orphans == 0
        per_org = db.execute("SELECT project_id, organisation_id, count(*) FROM registration "
                             "WHERE status = 'registered' GROUP BY 1, 2 HAVING count(*) > 3").fetchall()
        assert per_org == []
        assert db.execute("SELECT 1 FROM person WHERE teams_id = 'u-final'").fetchone() is not None
