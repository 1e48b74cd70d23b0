"""The schedule, `nästa träff`, `mina anmälningar`, handing a place to a colleague, and the
coordinator's quota/deadline settings, through the Agents Playground."""

from __future__ import annotations

import re
import sqlite3

import aiohttp

from scripts.devstack import Stack
from tests.e2e.conftest import year_shown
from tests.e2e.playground import Playground
from tests.e2e.test_registration import DEMO, _container_for, _find_action, has_card, project_id, register


def registered(stack: Stack, teams_id: str, project: int) -> str | None:
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        row = db.execute(
            "SELECT r.status FROM registration r JOIN person p ON p.id = r.person_id "
            "WHERE p.teams_id = ? AND r.project_id = ?", (teams_id, project)).fetchone()
    return row[0] if row else None


async def test_schedule_shows_swedish_dates_and_calendar_files(playground: Playground, stack: Stack) -> None:
    reply = await playground.reply_to(playground.personal_chat, "schema")
    await playground.quiet(playground.personal_chat, 0.5)
    cards = [m for m in playground.messages(playground.personal_chat) if "Träffar" in m.all_text]
    demo = next(m for m in cards if DEMO in m.all_text)
    assert f"måndag 3 maj{year_shown(stack, 2027)} kl. 10.00–15.00" in demo.all_text
    assert f"tisdag 22 februari{year_shown(stack, 2028)} kl. 10.00–15.00" in demo.all_text
    # The series holds the meetings this person chose (all four for someone browsing the project).
    series = next(a["url"] for a in demo.cards[0]["actions"] if "/serie" in a["url"])
    chosen = re.search(r"/serie((?:-\d+)*)\.ics$", series)
    assert chosen, series
    count = len(chosen.group(1).split("-")) - 1 or 4
    one = next(a["url"] for a in demo.cards[0]["actions"] if a["url"].endswith("/traff-2.ics"))
    async with aiohttp.ClientSession() as session:
        async with session.get(series) as response:
            assert response.status == 200 and response.content_type == "text/calendar"
            assert (await response.text()).count("BEGIN:VEVENT") == count
        async with session.get(one) as response:
            single = await response.text()
    assert single.count("BEGIN:VEVENT") == 1 and "planering-2027-traff-2@" in single
    assert reply.cards
    # The demo project's texts are what participants should read: no planning notes, no nested quotes.
    for shown in (demo.all_text, single):
        assert "Preliminärt" not in shown and "antaganden" not in shown and '"utvecklingsinriktning"' not in shown


async def test_next_meeting(playground: Playground) -> None:
    # Waited for by what it says: `schema` before sends a card per project, and Teams' per-chat limits
    # (which the bot keeps) can make the last of them arrive after this question was asked.
    me = playground.personal_chat
    before = len(playground.messages(me))
    await playground.say(me, "nästa träff")
    reply = await playground.expect(me, lambda m: "Nästa träff" in m.all_text, after=before)
    weekday = "(måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag)"
    assert re.search(weekday + r" \d+ \w+( \d{4})? kl\. \d\d\.\d\d", reply.all_text)  # the year when not this one


async def test_my_registrations_and_handing_the_place_to_a_colleague(playground: Playground, stack: Stack) -> None:
    demo = project_id(stack, DEMO)
    chat = playground.group_chat
    if registered(stack, "user-id-3", demo) != "registered":
        await register(playground, chat, "user-id-3", demo, "Sara Öberg")
    # In the group chat only a neutral line; the list, the code and the answers come 1:1.
    mark = playground.delivered_mark()
    line = await playground.reply_to(chat, "mina anmälningar", user="user-id-3", mention=True)
    assert line.all_text == "Jag har skickat det till dig i vår privata chatt." and not line.cards
    mine = await playground.delivered_to("user-id-3", has_card("Mina anmälningar"), after=mark)
    assert DEMO in mine.all_text and "Anmäld" in mine.all_text
    transfer = _find_action(_container_for(mine.cards[0], DEMO), "transfer")
    mark = playground.delivered_mark()
    await playground.press(mine, transfer["data"], "user-id-3")
    offer = await playground.delivered_to("user-id-3", lambda m: "ta över" in m.all_text, after=mark)
    code = re.search(r"\*\*ta över ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})\*\*", offer.all_text)
    assert code, offer.all_text

    # Sara types her own code: she is told whom it is for (not that it is wrong, nor is a wrong try counted).
    mark = playground.delivered_mark()
    await playground.reply_to(chat, f"ta över {code.group(1)}", user="user-id-3", mention=True)
    await playground.delivered_to("user-id-3", lambda m: "Det är din egen kod" in m.all_text, after=mark)
    assert registered(stack, "user-id-3", demo) == "registered"

    # A colleague who is not registered takes the place over with the code.
    colleague = "user-id-1" if registered(stack, "user-id-1", demo) != "registered" else "user-id-5"
    mark = playground.delivered_mark()
    line = await playground.reply_to(chat, f"ta över {code.group(1).lower()}", user=colleague, mention=True)
    assert line.all_text == "Jag har skickat det till dig i vår privata chatt."
    await playground.delivered_to(colleague, lambda m: "Klart! Du har tagit över platsen" in m.all_text, after=mark)
    assert registered(stack, colleague, demo) == "registered"
    assert registered(stack, "user-id-3", demo) == "cancelled"
    told = await playground.delivered_to("user-id-3", lambda m: "har tagit över din plats" in m.all_text)
    assert DEMO in told.all_text

    mark = playground.delivered_mark()
    await playground.reply_to(chat, f"ta över {code.group(1)}", user="user-id-4", mention=True)
    await playground.delivered_to("user-id-4", lambda m: "Koden stämmer inte" in m.all_text, after=mark)


async def test_coordinator_changes_quota_and_deadline(playground: Playground, stack: Stack) -> None:
    demo = project_id(stack, DEMO)
    me = playground.personal_chat
    reply = await playground.reply_to(me, "anmälningar")
    if "Vilket lärprojekt" in reply.all_text:
        before = len(playground.messages(me))
        await playground.submit(me, reply.message_id, {"verb": "overview", "project_id": demo})
        reply = await playground.expect(me, has_card("Anmälningar"), after=before)
    before = len(playground.messages(me))
    await playground.submit(me, reply.message_id, _find_action(reply.cards[0], "project_settings_open")["data"])
    settings = await playground.expect(me, has_card("Inställningar för anmälan"), after=before)

    before = len(playground.messages(me))
    bad = {"verb": "project_settings", "project_id": demo, "quota": "0", "capacity": "", "deadline": "2027-04-30"}
    await playground.submit(me, settings.message_id, bad)
    refused = await playground.expect(me, lambda m: "Platser per kommun ska vara" in m.all_text, after=before)
    assert not refused.cards

    before = len(playground.messages(me))
    good = {"verb": "project_settings", "project_id": demo, "quota": "4", "capacity": "", "deadline": "2027-04-30"}
    await playground.submit(me, settings.message_id, good)
    saved = await playground.expect(me, lambda m: "Sparat för" in m.all_text, after=before)
    assert "4 platser per kommun" in saved.all_text
    assert f"sista anmälningsdag: fredag 30 april{year_shown(stack, 2027)}" in saved.all_text
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        quota, deadline = db.execute("SELECT quota_per_organisation, registration_deadline FROM project "
                                     "WHERE id = ?", (demo,)).fetchone()
    assert quota == 4 and deadline.startswith("2027-04-30 22:00")
