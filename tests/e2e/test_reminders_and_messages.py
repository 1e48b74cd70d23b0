"""Scheduled prompts through the Agents Playground: a coordinator's message scheduled a minute
ahead reaches participants' 1:1 chats, reminders go out 1:1 on time (bot clock moved forward by the
test hooks; the project channel gets no reminders), RSVP buttons record intent and replace the card,
and `påminn` previews its audience before anything is sent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from scripts.devstack import Stack
from tests.e2e.conftest import bot_now, import_project
from tests.e2e.playground import Playground
from tests.e2e.test_registration import _find_action, has_card, register

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NAME = "Service på landsbygden"


async def bot_hook(stack: Stack, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.post(f"{stack.bot_url}{path}", json=body or {}) as r:
        assert r.status == 200, await r.text()
        return dict(await r.json())


@pytest.fixture(scope="module")
def rural(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, date]]:
    """A project whose first meeting is ten days ahead of the bot's clock."""
    start = (bot_now(stack).astimezone(STOCKHOLM) + timedelta(days=10)).date()
    path: Path = tmp_path_factory.mktemp("rural") / "rural.yaml"
    path.write_text(rural_yaml(start), encoding="utf-8")
    import_project(stack, path)
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        project = int(db.execute("SELECT id FROM project WHERE slug = 'landsbygdsservice'").fetchone()[0])
    yield project, start


def rural_yaml(start: date, second_place: str = "Digitalt (Teams)") -> str:
    later = start + timedelta(days=30)
    return f"""slug: landsbygdsservice
name: {NAME}
description: Samverkan kring service på landsbygden.
registration_deadline: {later.isoformat()}
meetings:
  - number: 1
    title: Servicepunkter och kommersiell service
    date: {start.isoformat()}
    start: "10:00"
    end: "12:00"
    place: Vansbro
  - number: 2
    title: Uppföljning
    date: {later.isoformat()}
    start: "10:00"
    end: "12:00"
    place: {second_place}
"""


async def choose(playground: Playground, conversation: str, card_message: str, verb: str, **data: Any) -> None:
    await playground.submit(conversation, card_message, {"verb": verb, **data})


async def test_message_scheduled_a_minute_ahead_reaches_participants(
    playground: Playground, stack: Stack, rural: tuple[int, date]
) -> None:
    rural_project = rural[0]
    chat = playground.group_chat
    await register(playground, chat, "user-id-1", rural_project, "Anna Lindqvist", organisation="vansbro")
    await register(playground, chat, "user-id-2", rural_project, "Erik Åström", organisation="vansbro")

    me = playground.personal_chat
    choice = await playground.reply_to(me, "meddelande")
    before = len(playground.messages(me))
    await choose(playground, me, choice.message_id, "compose", project_id=rural_project)
    compose = await playground.expect(me, has_card("Nytt meddelande"), after=before)
    placeholders = {e["type"]: e.get("placeholder") for e in compose.cards[0]["body"]
                    if e["type"] in ("Input.Date", "Input.Time")}
    assert placeholders == {"Input.Date": "ÅÅÅÅ-MM-DD, t.ex. 2027-05-03", "Input.Time": "TT:MM, t.ex. 09:30"}

    now = datetime.fromisoformat((await bot_hook(stack, "/_test/clock", {"seconds": 0}))["now"])
    send_at = (now + timedelta(minutes=1)).astimezone(STOCKHOLM)
    values = {"verb": "broadcast_preview", "project_id": rural_project, "audience": "registered",
              "text": "Välkomna! Ta gärna med ett exempel från er kommun till träff 1.",
              "date": send_at.date().isoformat(), "time": send_at.strftime("%H:%M")}
    before = len(playground.messages(me))
    await playground.submit(me, compose.message_id, values)
    preview = await playground.expect(me, has_card("Förhandsgranskning"), after=before)
    assert "2 mottagare" in preview.all_text

    before = len(playground.messages(me))
    await playground.submit(me, preview.message_id, _find_action(preview.cards[0], "broadcast_confirm")["data"])
    confirmed = await playground.expect(me, lambda m: "Klart! Meddelandet skickas" in m.all_text, after=before)

    early = await bot_hook(stack, "/_test/run-jobs")
    assert early["sent"] == 0  # not yet: it is due in a minute
    await bot_hook(stack, "/_test/clock", {"seconds": 61})
    await bot_hook(stack, "/_test/run-jobs")
    for user in ("user-id-1", "user-id-2"):
        message = await playground.delivered_to(user, lambda m: "Ta gärna med ett exempel" in m.all_text)
        assert "Meddelande från samordnaren" in message.all_text

    before = len(playground.messages(me))
    await playground.submit(me, confirmed.message_id, _find_action(confirmed.cards[0], "delivery_status")["data"])
    status = await playground.expect(me, has_card("Leveransstatus"), after=before)
    assert "skickat: 2" in status.all_text


async def test_reminders_channel_post_and_rsvp(playground: Playground, stack: Stack, rural: tuple[int, date]) -> None:
    rural_project = rural[0]
    me = playground.personal_chat
    form_values = {"name": "Linnea Hassis", "organisation": "region", "meetings": "1,2", "consent_list": "true"}
    form = await _open_rural_form(playground, rural_project)
    before = len(playground.messages(me))
    await playground.submit(me, form.message_id, {"verb": "register", "project_id": rural_project, **form_values})
    await playground.expect(me, lambda m: "Du är anmäld" in m.all_text or "ändringar är sparade" in m.all_text,
                            after=before)

    channel = playground.channel("Lärprojekt")
    choice = await playground.reply_to(channel, "koppla kanal", mention=True)
    before = len(playground.messages(choice.conversation_id))
    await playground.submit(choice.conversation_id, choice.message_id,
                            {"verb": "link_channel", "project_id": rural_project})
    await playground.expect(choice.conversation_id, lambda m: "kanalen för" in m.all_text, after=before)

    # The "7 days before" reminder is due at 10.00 three days from the fixture's "today".
    await bot_hook(stack, "/_test/run-jobs")
    before_personal = len(playground.messages(me))
    now = datetime.fromisoformat((await bot_hook(stack, "/_test/clock", {"seconds": 0}))["now"])
    first_meeting_day = rural[1]
    due = datetime.combine(first_meeting_day - timedelta(days=7), time(10, 0), STOCKHOLM)
    await bot_hook(stack, "/_test/clock", {"seconds": (due - now).total_seconds() + 60})
    await bot_hook(stack, "/_test/run-jobs")
    reminder = await playground.expect(me, has_card("Påminnelse: träff om 7 dagar"), after=before_personal)
    assert "Servicepunkter" in reminder.all_text and "Vansbro" in reminder.all_text
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        # Counted in the outbox, not in the hook's report: the bot's own scheduler (every 15 s, on the
        # same moved clock) may have sent them before the hook's run.
        sent = db.execute("SELECT count(*) FROM delivery WHERE kind = 'reminder' AND state = 'sent' AND project_id = ?"
                          " AND source LIKE 'meeting:%:7d'", (rural_project,)).fetchone()[0]
    assert sent >= 2
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        to_channels = db.execute("SELECT count(*) FROM delivery WHERE kind = 'reminder' AND recipient LIKE 'channel:%'"
                                 ).fetchone()[0]
    assert to_channels == 0  # the channel gets one post per meeting: the check-in card

    # "Jag kommer" replaces the reminder card with the answer (and a way to change it).
    await playground.submit(me, reminder.message_id, _find_action(reminder.cards[0], "rsvp", intent="coming")["data"])
    answered = await playground.expect(me, lambda m: m.message_id == reminder.message_id
                                       and m.action == "updateMessage" and "Vi ses på träff 1" in m.all_text)
    assert "Du har svarat: Jag kommer" in answered.all_text
    assert _find_action(answered.cards[0], "rsvp", intent="not_coming")["title"] == "Jag kan inte ändå"
    assert not [a for a in answered.cards[0]["actions"] if a.get("data", {}).get("intent") == "coming"]
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        intents = db.execute(
            "SELECT a.intent FROM attendance a JOIN person p ON p.id = a.person_id WHERE p.teams_id = 'user-id-0'"
        ).fetchall()
    assert intents == [("coming",)]

    # Running the jobs again sends nothing twice.
    again = await bot_hook(stack, "/_test/run-jobs")
    assert again["sent"] == 0


async def _open_rural_form(playground: Playground, project: int) -> Any:
    me = playground.personal_chat
    choice = await playground.reply_to(me, "anmäl")
    before = len(playground.messages(me))
    await playground.submit(me, choice.message_id, {"verb": "register_start", "project_id": project})
    return await playground.expect(me, lambda m: bool(m.cards) and "Anmälan" in m.all_text, after=before)


def _planned_now(stack: Stack, project: int) -> int:
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        return int(db.execute("SELECT count(*) FROM delivery WHERE project_id = ? AND source LIKE 'meeting:%:now'",
                              (project,)).fetchone()[0])


async def _paminn_preview(playground: Playground, project: int) -> Any:
    me = playground.personal_chat
    choice = await playground.reply_to(me, "påminn")
    if "Vilket lärprojekt" not in choice.all_text:
        return choice
    before = len(playground.messages(me))
    await choose(playground, me, choice.message_id, "remind", project_id=project)
    return await playground.expect(me, has_card("förhandsgranskning"), after=before)


async def test_paminn_previews_then_sends_the_next_meetings_reminder_to_those_not_reminded(
    playground: Playground, stack: Stack, rural: tuple[int, date]
) -> None:
    rural_project = rural[0]
    me = playground.personal_chat
    # Johan registers late: the others already had the "7 days before" reminder, he has not.
    await register(playground, playground.group_chat, "user-id-4", rural_project, "Johan Mäkelä",
                   organisation="vansbro")
    preview = await _paminn_preview(playground, rural_project)
    assert "Går till 1 mottagare" in preview.all_text and "Servicepunkter" in preview.all_text
    # Nothing is planned before the coordinator confirms.
    await bot_hook(stack, "/_test/run-jobs")
    assert _planned_now(stack, rural_project) == 0
    await playground.submit(me, preview.message_id, _find_action(preview.cards[0], "remind_confirm")["data"])
    queued = await playground.expect(me, lambda m: m.message_id == preview.message_id
                                     and "Påminnelsen om träff 1 skickas nu till 1 anmäld som" in m.all_text)
    assert not queued.cards[0].get("actions")  # the preview is replaced: it cannot be sent twice
    assert _planned_now(stack, rural_project) == 1
    await bot_hook(stack, "/_test/run-jobs")
    reminded = await playground.delivered_to("user-id-4", lambda m: "Påminnelse om nästa träff" in m.all_text)
    assert "Servicepunkter" in reminded.all_text
    # Teams' notification shows the summary (a card alone says "Sent a card"): the card's heading.
    assert reminded.raw["request"]["body"]["summary"].startswith("Påminnelse om nästa träff")
    assert not [m for m in playground.delivered_messages()
                if "Påminnelse om nästa träff" in m.all_text and m is not reminded]
    # A second `påminn` finds nobody left to remind, and offers nothing to send.
    again = await _paminn_preview(playground, rural_project)
    assert "Går till 0 mottagare" in again.all_text and "redan fått en påminnelse" in again.all_text
    assert not again.cards[0].get("actions")


async def test_a_moved_meeting_is_announced_once_to_those_registered(
    playground: Playground, stack: Stack, rural: tuple[int, date], tmp_path: Path
) -> None:
    rural_project, start = rural
    await register(playground, playground.group_chat, "user-id-5", rural_project, "Sara Nilsson",
                   organisation="falun")
    await bot_hook(stack, "/_test/run-jobs")  # whatever was due before the change

    moved = tmp_path / "rural.yaml"
    moved.write_text(rural_yaml(start, second_place="Vansbro bibliotek"), encoding="utf-8")
    import_project(stack, moved)

    # The change is planned and sent by this run (or by the bot's own scheduler just before it).
    await bot_hook(stack, "/_test/run-jobs")
    notice = await playground.delivered_to("user-id-5", lambda m: "Ändring: en träff har flyttats" in m.all_text)
    assert "Uppföljning" in notice.all_text and "Vansbro bibliotek" in notice.all_text
    assert notice.raw["request"]["body"]["summary"].startswith("Ändring: en träff har flyttats")
    again = await bot_hook(stack, "/_test/run-jobs")
    assert again["updates"] == 0 and again["sent"] == 0  # announced once
    notices = [m for m in playground.delivered_messages()
               if "Ändring: en träff har flyttats" in m.all_text and "Vansbro bibliotek" in m.all_text]
    assert len({m.conversation_id for m in notices}) == len(notices)  # nobody got it twice
