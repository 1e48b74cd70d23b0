"""A coordinator runs a project from Teams, through the Agents Playground: creates it with four meetings
in the personal chat (one card, updated in place), opens it, a participant registers, the coordinator
moves meeting 2; the participant gets one update message and the meeting's .ics file changes (same UID,
higher SEQUENCE, new time). Also: a mistake is answered on the card, naming the field."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import icalendar

from scripts.devstack import Stack
from tests.e2e.conftest import bot_now
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_registration import register
from tests.e2e.test_reminders_and_messages import bot_hook

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NAME = "Digital samhällsplanering i Dalarna"
NOTICE = "Ändring: en träff har flyttats"


async def press(playground: Playground, card: BotMessage, data: dict[str, Any], **inputs: Any) -> BotMessage:
    """Press a button on ``card`` (its data plus the inputs filled in) and wait for the card to be
    updated in place with something new."""
    chat = playground.personal_chat
    before = len(playground.messages(chat))
    await playground.submit(chat, card.message_id, {**data, **inputs})
    return await playground.expect(
        chat, lambda m: m.message_id == card.message_id and m.action == "updateMessage", after=before)


def button(card: BotMessage, verb: str) -> dict[str, Any]:
    return next(dict(a["data"]) for a in card.cards[0].get("actions", []) if a["data"]["verb"] == verb)


def meeting(number: int, day: date, place: str = "Borlänge, Campus") -> dict[str, str]:
    return {"number": str(number), "title": f"Tema {number}", "date": day.isoformat(), "start": "10:00",
            "end": "15:00", "place": place, "online_link": "", "programme": "Kunskapspass och triadsamtal"}


def project_row(stack: Stack) -> tuple[int, str]:
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        row = db.execute("SELECT id, calendar_token FROM project WHERE name = ?", (NAME,)).fetchone()
    return int(row[0]), str(row[1])


async def meeting_file(stack: Stack, token: str, number: int) -> icalendar.Event:
    async with aiohttp.ClientSession() as session, session.get(
        f"{stack.bot_url}/calendar/{token}/traff-{number}.ics"
    ) as response:
        assert response.status == 200
        events = icalendar.Calendar.from_ical(await response.read()).events
    assert len(events) == 1
    return events[0]


async def test_coordinator_creates_opens_and_moves_a_meeting_participant_is_told_once(
    playground: Playground, stack: Stack
) -> None:
    today = bot_now(stack).astimezone(STOCKHOLM).date()
    chat = playground.personal_chat

    form = await playground.reply_to(chat, "nytt projekt")
    assert "Nytt lärprojekt" in form.all_text
    fields = {"name": NAME, "description": "Fyra träffar om planering.", "quota": "3", "capacity": "45",
              "deadline": (today + timedelta(days=20)).isoformat(), "deadline_time": "",
              "contact": "Linnea Hassis, 023-77 70 04"}
    wrong = await press(playground, form, button(form, "project_save"), **{**fields, "contact": ""})
    assert "Kontaktperson måste fyllas i." in wrong.all_text  # the field is named; nothing saved
    editor = await press(playground, wrong, button(wrong, "project_save"), **fields)
    assert "Utkastet är sparat" in editor.all_text and "Utkast (planerat)" in editor.all_text
    # The deadline "at the end of the day" shows as that day, never as the next day's "kl. 00.00".
    assert "Sista anmälningsdag: " in editor.all_text and "kl. 00.00" not in editor.all_text

    for number in range(1, 5):
        new = await press(playground, editor, button(editor, "project_meeting_new"))
        assert "Ny träff" in new.all_text
        day = today + timedelta(days=30 * number)
        editor = await press(playground, new, button(new, "project_meeting_save"), **meeting(number, day))
        assert f"Träff {number} är sparad." in editor.all_text
    assert all(f"Tema {n}" in editor.all_text for n in range(1, 5))
    assert len(editor.cards[0]["actions"]) <= 6

    editor = await press(playground, editor, button(editor, "project_open"))
    assert "Projektet är öppet för anmälan." in editor.all_text
    project_id, token = project_row(stack)

    await register(playground, playground.group_chat, "user-id-4", project_id, "Johan Mäkelä", organisation="mora")
    await bot_hook(stack, "/_test/run-jobs")  # whatever was due before the change
    before = await meeting_file(stack, token, 2)

    form = await press(playground, editor, button(editor, "project_meeting_edit"), meeting_number="2")
    assert "Ändra träff 2" in form.all_text
    moved_day = today + timedelta(days=67)
    editor = await press(playground, form, button(form, "project_meeting_save"),
                         **meeting(2, moved_day, place="Ludvika, Folkets hus"))
    assert "Träff 2 är ändrad." in editor.all_text

    await bot_hook(stack, "/_test/run-jobs")
    notice = await playground.delivered_to("user-id-4", lambda m: NOTICE in m.all_text and NAME in m.all_text)
    assert "Tema 2" in notice.all_text and "Ludvika, Folkets hus" in notice.all_text
    again = await bot_hook(stack, "/_test/run-jobs")
    assert again["updates"] == 0
    notices = [m for m in playground.delivered_messages() if NOTICE in m.all_text and NAME in m.all_text]
    assert len(notices) == 1  # one message, to the one person registered

    after = await meeting_file(stack, token, 2)
    assert str(after["uid"]) == str(before["uid"])
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    start = after.decoded("dtstart")
    assert isinstance(start, datetime) and start.astimezone(STOCKHOLM).date() == moved_day
    assert before.decoded("dtstart").astimezone(STOCKHOLM).date() == today + timedelta(days=60)
    assert "Ludvika, Folkets hus" in str(after["location"])
