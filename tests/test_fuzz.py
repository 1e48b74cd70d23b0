"""Fuzzing /api/messages with generated activities and card values: every answer is a 2xx or
4xx, no turn fails (botbuilder would catch the crash, apologise and still answer 201, so the test also
fails on any "turn failed" log line and on any apology sent), the bot keeps answering, and the database
stays consistent. A coordinator is configured, so coordinators' commands and card values reach their
validation on the server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
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
from bot.core.settings import Settings
from scripts.devstack import free_port

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)
COORDINATOR = "a1"
"""aadObjectId of the configured coordinator (one of the generated senders)."""
APOLOGY = "Tekniskt fel, försök igen om en stund."
VERB_NAMES = [
    "register", "register_start", "evaluation_answer", "evaluation_open", "rsvp", "cancel_confirmed", "transfer",
    "edit_registration", "my_registrations", "checkin", "homework_answer", "example_submit", "alumni_reply",
    "privacy_erase_ask", "privacy_erase_cancel", "help", "no-such-verb", "",
    # coordinators' buttons
    "export", "overview", "project_settings", "project_settings_open", "broadcast_preview", "broadcast_confirm",
    "compose", "delivery_status", "remind", "results", "results_export", "report", "report_export",
    "attendance_open", "attendance_save", "triads_start", "triads_move", "homework_create", "homework_start",
    "example_request_preview", "example_review", "alumni_finish_start", "alumni_announce_preview",
    "coordinator_add", "link_channel",
]
VERBS = st.sampled_from(VERB_NAMES)
COMMAND_WORDS = ["hjälp", "anmäl", "mina anmälningar", "schema", "nästa träff", "utvärdera",
                            "anmälningar", "ta över ABC123", "anmäl via text", "avbryt", "om", "resultat",
                            "meddelande", "påminn", "närvaro", "rapport", "samordnare", "bilda triader",
                            "hemuppgifter", "ny hemuppgift", "be om exempel", "granska exempel", "exempel",
                            "vem kan energi", "mina uppgifter", "avsluta projekt", "koppla kanal"]
COMMANDS = st.sampled_from(COMMAND_WORDS)


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
        for key in ("project_id", "meeting_id", "registration_id", "evaluation_id", "broadcast_id", "person_id"):
            if draw(st.booleans()):
                value[key] = draw(st.integers(-5, 5) | TEXT)
        activity["value"] = value
    if draw(st.integers(0, 9)) == 0:
        activity[draw(TEXT)] = draw(ANY_JSON)
    return activity


STUB_PORT = free_port()
STUB_URL = f"http://127.0.0.1:{STUB_PORT}/"


SENT: list[str] = []
"""Texts of everything the bot sent to the stub connector."""
FAILED_TURNS: list[str] = []


class _TurnFailures(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if "turn failed" in record.getMessage() or "could not tell the user" in record.getMessage():
            FAILED_TURNS.append(self.format(record))


def _connector_stub() -> web.Application:
    """Accepts every reply the bot sends (and keeps its text), so turns complete quickly."""

    async def accept(request: web.Request) -> web.Response:
        if request.can_read_body:
            with contextlib.suppress(ValueError, AttributeError):
                SENT.append(str((await request.json()).get("text") or ""))
        return web.json_response({"id": "1"})

    stub = web.Application()
    stub.router.add_route("*", "/{tail:.*}", accept)
    return stub


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The real app on a real port, in its own thread and event loop."""
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    port = free_port()
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{database}", port=port, demo_project=True,
                              coordinator_ids=frozenset({COORDINATOR}), language="sv"))
    failures = _TurnFailures()
    logging.getLogger().addHandler(failures)
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
    logging.getLogger().removeHandler(failures)


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
        sent_before, failed_before = len(SENT), len(FAILED_TURNS)
        status = post(base, json.dumps(activity).encode())
        assert 200 <= status < 500, (status, activity)
        assert FAILED_TURNS[failed_before:] == [], activity
        assert APOLOGY not in SENT[sent_before:], activity


@pytest.mark.parametrize("sender", ["a1", "a2"])
def test_every_command_and_button_once_as_coordinator_and_participant(server: tuple[str, Path], sender: str) -> None:
    """Not left to chance: each command word and each button, with ids that exist and ids that do not."""
    base, _ = server
    sent_before, failed_before = len(SENT), len(FAILED_TURNS)
    activities: list[dict[str, Any]] = [{"text": word} for word in COMMAND_WORDS] + [
        {"value": {"verb": verb, "project_id": project, "meeting_id": 1, "registration_id": 1, "evaluation_id": 1,
                   "person_id": 1, "format": "xlsx"}} for verb in VERB_NAMES for project in (1, 999)]
    for n, extra in enumerate(activities):
        # A conversation each: Teams' per-conversation limits (which replies keep) would hold a burst in one.
        activity = {"type": "message", "channelId": "msteams", "serviceUrl": STUB_URL, "recipient": {"id": "bot"},
                    "conversation": {"id": f"c-{sender}-{n}", "conversationType": "personal"},
                    "from": {"id": f"u-{sender}", "name": "Fuzz", "aadObjectId": sender}, "locale": "sv-SE", **extra}
        assert 200 <= post(base, json.dumps(activity).encode()) < 300, extra
        assert FAILED_TURNS[failed_before:] == [], extra
    assert APOLOGY not in SENT[sent_before:]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000) | ANY_JSON.map(lambda v: json.dumps(v).encode()))
def test_arbitrary_bodies_never_get_a_5xx(server: tuple[str, Path], body: bytes) -> None:
    status = post(server[0], body)
    assert 400 <= status < 500 or 200 <= status < 300
    assert FAILED_TURNS == [] and APOLOGY not in SENT


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
