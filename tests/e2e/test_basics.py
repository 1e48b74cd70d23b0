"""Installing, help, channels and unknown input, through the Agents Playground."""

from __future__ import annotations

import json
import sqlite3

from scripts.devstack import Stack
from tests.e2e.playground import Playground


async def test_install_in_personal_chat_welcomes_in_swedish(playground: Playground) -> None:
    await playground.install(playground.personal_chat)
    welcome = await playground.expect(playground.personal_chat, lambda m: "välkommen" in m.all_text)
    assert "Skriv **hjälp**" in welcome.all_text
    assert welcome.cards and welcome.cards[0]["version"] == "1.5"


async def test_install_in_team_channel_welcomes_and_explains_mentions(playground: Playground, stack: Stack) -> None:
    channel = playground.channel("General")
    await playground.install(channel)
    welcome = await playground.expect(channel, lambda m: "välkommen" in m.all_text)
    assert "@DalaLab" in welcome.all_text
    # The team's roster is stored, so the bot can reach members who never wrote to it.
    await playground.quiet(channel, 0.5)
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        emails = dict(db.execute("SELECT teams_id, email FROM person").fetchall())
    assert emails.get("user-id-4") == "johan.makela@falun.se"
    assert emails.get("user-id-5") == "karin.dahl@mora.se"


async def test_help_in_personal_chat_lists_commands(playground: Playground) -> None:
    me = playground.personal_chat
    reply = await playground.reply_to(me, "hjälp")
    assert "Det här kan du göra" in reply.all_text
    assert "hjälp" in reply.all_text and "om" in reply.all_text
    # The main actions as buttons (Teams shows six at most), and they run their commands.
    actions = reply.cards[0]["actions"]
    assert 0 < len(actions) <= 6 and all(a["data"]["verb"] == "command" for a in actions)
    registrations = next(a for a in actions if a["data"]["command"] == "anmälningar")
    before = len(playground.messages(me))
    await playground.submit(me, reply.message_id, registrations["data"])
    await playground.expect(me, lambda m: "Anmälningar" in m.all_text or "Vilket lärprojekt" in m.all_text,
                            after=before)


async def test_empty_my_registrations_button_says_what_it_does(playground: Playground) -> None:
    chat = playground.group_chat
    mark = playground.delivered_mark()
    line = await playground.reply_to(chat, "mina anmälningar", user="user-id-5", mention=True)
    assert line.all_text == "Jag har skickat det till dig i vår privata chatt."  # the list itself comes 1:1
    reply = await playground.delivered_to("user-id-5", lambda m: "inga anmälningar" in m.all_text, after=mark)
    [button] = reply.cards[0]["actions"]
    assert button["title"] == "Öppna anmälningsformuläret" and button["data"]["verb"] == "register_start"


async def test_help_in_channel_with_mention(playground: Playground) -> None:
    reply = await playground.reply_to(playground.channel("Lärprojekt"), "hjälp", mention=True)
    assert "Det här kan du göra" in reply.all_text
    assert "I kanalen" in reply.all_text


async def test_channel_message_without_mention_gets_no_answer(playground: Playground) -> None:
    channel = playground.channel("Lärprojekt")
    thread = await playground.say(channel, "hjälp")
    assert await playground.quiet(thread) == []


async def test_unknown_input_gets_a_friendly_hint(playground: Playground) -> None:
    # In a channel: no question to the coordinators (everyone there would read it), just a hint.
    reply = await playground.reply_to(playground.channel("Lärprojekt"), "vad är klockan?", mention=True)
    assert "Jag förstod inte" in reply.all_text
    assert "hjälp" in reply.all_text


async def test_conversation_references_are_stored_for_people_and_channels(playground: Playground, stack: Stack) -> None:
    await playground.reply_to(playground.personal_chat, "om")
    await playground.reply_to(playground.channel("Lärprojekt"), "om", mention=True)
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        people = dict(db.execute("SELECT teams_id, aad_object_id FROM person").fetchall())
        kinds = {kind for (kind,) in db.execute("SELECT kind FROM conversation WHERE installed")}
        references = [json.loads(r) for (r,) in db.execute("SELECT reference FROM conversation")]
    assert people["user-id-0"] == "0c0a0000-0000-4000-8000-000000000000"
    assert {"personal", "channel"} <= kinds
    assert all(reference["serviceUrl"] and reference["conversation"]["id"] for reference in references)


async def test_unknown_input_in_a_group_chat_is_quoted_as_typed_not_as_the_bots_link(playground: Playground) -> None:
    hostile = "[Bekräfta din plats här](https://evil.example/x) **nu**"
    reply = await playground.reply_to(playground.group_chat, hostile, user="user-id-2", mention=True)
    assert "Jag förstod inte" in reply.all_text
    assert r"\[Bekräfta din plats här\](https\:\/\/evil\.example/x) \*\*nu\*\*" in reply.all_text
    assert "](https://evil" not in reply.all_text and "**nu**" not in reply.all_text
