"""Registration through the Agents Playground: the form, the municipality quota and its waitlist,
promotion with a proactive message, the deadline, and the coordinator's Excel export."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from typing import Any

import aiohttp
from openpyxl import load_workbook

from scripts.devstack import Stack
from tests.e2e.conftest import year_shown
from tests.e2e.playground import BotMessage, Playground

DEMO = "Planering för hållbarhet och utvecklingskraft"
CLOSED = "Stora etableringar och expansion"


def project_id(stack: Stack, name: str) -> int:
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        return int(db.execute("SELECT id FROM project WHERE name = ?", (name,)).fetchone()[0])


def has_card(text: str) -> Any:
    return lambda message: bool(message.cards) and text in message.all_text


async def open_form(playground: Playground, conversation: str, user: str, project: int) -> BotMessage:
    """`anmäl` in a chat, pick the project on the choice card, and return the form card. In a group chat
    or channel the bot says one neutral line there and the choice and the form come in the user's own
    1:1 chat (the returned message's conversation)."""
    if conversation == playground.personal_chat:
        choice = await playground.reply_to(conversation, "anmäl", user=user)
    else:
        mark = playground.delivered_mark()
        line = await playground.reply_to(conversation, "anmäl", user=user, mention=True)
        assert line.all_text == "Jag har skickat det till dig i vår privata chatt." and not line.cards
        choice = await playground.delivered_to(user, lambda m: "Vilket lärprojekt" in m.all_text, after=mark)
    assert "Vilket lärprojekt" in choice.all_text
    # One list of the open projects and one button, however many there are (Teams shows at most 6 buttons).
    [chooser] = [node for node in choice.cards[0]["body"] if node["type"] == "Input.ChoiceSet"]
    assert [a["data"] for a in choice.cards[0]["actions"]] == [{"verb": "register_start"}]
    assert str(project) in [c["value"] for c in chooser["choices"]]
    if conversation == playground.personal_chat:
        before = len(playground.messages(conversation))
        await playground.submit(conversation, choice.message_id,
                                {"verb": "register_start", "project_id": str(project)}, user)
        return await playground.expect(conversation, has_card("Skicka anmälan"), after=before)
    mark = playground.delivered_mark()
    await playground.press(choice, {"verb": "register_start", "project_id": str(project)}, user)
    return await playground.delivered_to(user, has_card("Skicka anmälan"), after=mark)


async def register(
    playground: Playground, conversation: str, user: str, project: int, name: str, organisation: str = "falun"
) -> BotMessage:
    """Register ``user``; returns the confirmation (in a group chat or channel: in their 1:1 chat)."""
    form = await open_form(playground, conversation, user, project)
    values = {
        "verb": "register",
        "project_id": project,
        "name": name,
        "organisation": organisation,
        "role_title": "Planarkitekt",
        "email": f"{user}@falun.se",
        "meetings": _default_meetings(form),
        "dietary": "",
        "consent_list": "true",
    }
    if form.conversation_id == playground.personal_chat and conversation == playground.personal_chat:
        await playground.submit(conversation, form.message_id, values, user)
        return await playground.expect(
            conversation, lambda m: m.message_id == form.message_id and m.action == "updateMessage"
        )
    mark = playground.delivered_mark()
    await playground.press(form, values, user)
    return await playground.delivered_to(user, lambda m: "anmäld" in m.all_text or "reservlistan" in m.all_text,
                                         after=mark)


async def test_register_in_personal_chat_with_calendar_link(playground: Playground, stack: Stack) -> None:
    demo = project_id(stack, DEMO)
    form = await open_form(playground, playground.personal_chat, "user-id-0", demo)
    assert "Linnea Hassis" in str(form.cards[0])  # name prefilled from Teams
    assert "Falu kommun" in form.all_text and "Älvdalens kommun" in form.all_text and "Region Dalarna" in form.all_text
    # Swedish dates with start and end, and the year when the bot's clock is in another one.
    assert f"måndag 3 maj{year_shown(stack, 2027)} kl. 10.00–15.00" in form.all_text
    assert f"tisdag 22 februari{year_shown(stack, 2028)} kl. 10.00–15.00" in form.all_text

    values = {
        "verb": "register",
        "project_id": demo,
        "name": "Linnea Hassis",
        "organisation": "region",
        "role_title": "Samordnare",
        "email": "linnea.hassis@regiondalarna.se",
        "meetings": "1,3",
        "dietary": "Vegetarisk",
        "consent_list": "true",
    }
    await playground.submit(playground.personal_chat, form.message_id, values)
    confirmed = await playground.expect(
        playground.personal_chat, lambda m: m.message_id == form.message_id and m.action == "updateMessage"
    )
    assert "Tack! Du är anmäld" in confirmed.all_text
    assert f"Träff 3, måndag 29 november{year_shown(stack, 2027)} kl. 10.00–15.00" in confirmed.all_text
    # The series calendar holds the two meetings chosen, not the project's four.
    calendar_url = next(a["url"] for a in confirmed.cards[0]["actions"] if a["type"] == "Action.OpenUrl")
    assert calendar_url.endswith("/serie-1-3.ics")
    async with aiohttp.ClientSession() as session, session.get(calendar_url) as response:
        assert response.status == 200
        ics = await response.text()
    assert ics.count("BEGIN:VEVENT") == 2 and "TZID=Europe/Stockholm" in ics
    assert "planering-2027-traff-1@" in ics and "planering-2027-traff-3@" in ics and "traff-2@" not in ics


async def test_a_wrong_card_value_is_explained_and_nothing_is_stored(playground: Playground, stack: Stack) -> None:
    demo = project_id(stack, DEMO)
    form = await open_form(playground, playground.group_chat, "user-id-5", demo)
    values = {
        "verb": "register",
        "project_id": demo,
        "name": "Karin Dahl",
        "organisation": "stockholm",
        "email": "inte-en-adress",
        "meetings": "1,9",
    }
    mark = playground.delivered_mark()
    await playground.press(form, values, "user-id-5")
    reply = await playground.delivered_to("user-id-5", lambda m: "inte skickad" in m.all_text, after=mark)
    assert "Välj kommun eller organisation" in reply.all_text
    assert "E-postadressen ser inte rätt ut" in reply.all_text
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        stored = db.execute("SELECT count(*) FROM registration WHERE name = 'Karin Dahl'").fetchone()[0]
    assert stored == 0


async def test_quota_waitlist_promotion_and_export(playground: Playground, stack: Stack) -> None:
    demo = project_id(stack, DEMO)
    chat = playground.group_chat
    names = {
        "user-id-1": "Anna Lindqvist",
        "user-id-2": "Erik Åström",
        "user-id-3": "Sara Öberg",
        "user-id-4": "Johan Mäkelä",
    }
    confirmations = {user: await register(playground, chat, user, demo, name) for user, name in names.items()}
    for user in ("user-id-1", "user-id-2", "user-id-3"):
        assert "Du är anmäld" in confirmations[user].all_text
    assert "reservlistan" in confirmations["user-id-4"].all_text
    assert "plats 1" in confirmations["user-id-4"].all_text
    assert "Falu kommun har redan sina 3 platser i projektet" in confirmations["user-id-4"].all_text
    assert not [a for a in confirmations["user-id-4"].cards[0]["actions"] if a["type"] == "Action.OpenUrl"]

    # Nothing personal was posted in the group chat: only the neutral line, once per registration.
    assert {m.all_text for m in playground.messages(chat)[-8:]} == {"Jag har skickat det till dig i vår privata chatt."}
    # Anna cancels from "mina anmälningar" (in her 1:1 chat); Johan (same municipality, first in line) moves up.
    mark = playground.delivered_mark()
    line = await playground.reply_to(chat, "mina anmälningar", user="user-id-1", mention=True)
    assert line.all_text == "Jag har skickat det till dig i vår privata chatt." and not line.cards
    mine = await playground.delivered_to("user-id-1", has_card("Mina anmälningar"), after=mark)
    cancel_action = _find_action(_container_for(mine.cards[0], DEMO), "cancel_registration")
    mark = playground.delivered_mark()
    await playground.press(mine, cancel_action["data"], "user-id-1")
    question = await playground.delivered_to("user-id-1", has_card("Vill du avboka"), after=mark)
    await playground.press(question, _find_action(question.cards[0], "cancel_confirmed")["data"], "user-id-1")
    await playground.delivered_to("user-id-1", lambda m: "är avbokad" in m.all_text, after=mark)
    # "Ja, avboka" pressed again (a double click): the question says it is cancelled, and nothing more.
    again = playground.delivered_mark()
    await playground.press(question, _find_action(question.cards[0], "cancel_confirmed")["data"], "user-id-1")
    await playground.delivered_to("user-id-1", lambda m: "är avbokad" in m.all_text, after=again)
    assert not [m for m in playground.delivered_since(again) if "Jag hittar ingen" in m.all_text]
    # Johan never chatted 1:1 with the bot: it opens a personal chat with him and tells him there.
    promoted = await playground.delivered_to("user-id-4", lambda m: "Goda nyheter" in m.all_text)
    assert "Lägg alla träffar i kalendern" in promoted.all_text

    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        status = db.execute("SELECT status FROM registration WHERE name = 'Johan Mäkelä'").fetchone()[0]
    assert status == "registered"

    # The coordinator's overview and its Excel export.
    overview = await _overview(playground, demo)
    assert "Falu kommun" in overview.all_text
    before = len(playground.messages(playground.personal_chat))
    export = _find_action(overview.cards[0], "export", format="xlsx")
    await playground.submit(playground.personal_chat, overview.message_id, export["data"])
    ready = await playground.expect(playground.personal_chat, has_card("Exporten är klar"), after=before)
    url = ready.cards[0]["actions"][0]["url"]
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        workbook = load_workbook(io.BytesIO(await response.read()))
    sheet = workbook["Anmälningar"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    falun = [row for row in rows if row[0] == "Falu kommun"]
    assert {row[1] for row in falun} >= {"Erik Åström", "Sara Öberg", "Johan Mäkelä", "Anna Lindqvist"}
    assert {row[4] for row in falun if row[1] == "Johan Mäkelä"} == {"Anmäld"}
    assert {row[4] for row in falun if row[1] == "Anna Lindqvist"} == {"Avbokad"}


async def test_double_click_stores_one_registration(playground: Playground, stack: Stack) -> None:
    demo = project_id(stack, DEMO)
    form = await open_form(playground, playground.group_chat, "user-id-5", demo)
    values = {
        "verb": "register",
        "project_id": demo,
        "name": "Karin Dahl",
        "organisation": "mora",
        "email": "karin.dahl@mora.se",
        "meetings": "2,4",
        "consent_list": "false",
    }
    mark = playground.delivered_mark()
    await asyncio.gather(*(playground.press(form, values, "user-id-5") for _ in range(2)))
    await playground.delivered_to("user-id-5", lambda m: "anmäld" in m.all_text, after=mark)
    # Both clicks are answered in place of the form, and both say she is registered: the second found her
    # registration with the very same details, which is no edit ("Dina ändringar är sparade").
    answers = await playground.delivered_many("user-id-5", 2, lambda m: DEMO in m.all_text, after=mark)
    assert all("Tack! Du är anmäld" in answer.all_text for answer in answers), [a.all_text for a in answers]
    await playground.quiet(playground.group_chat, 1.0)
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        rows = db.execute("SELECT status FROM registration WHERE name = 'Karin Dahl'").fetchall()
    assert rows == [("registered",)]


async def test_registration_after_the_deadline_is_refused(playground: Playground, stack: Stack) -> None:
    closed = project_id(stack, CLOSED)
    # In a channel: one neutral line there, the choice in the personal chat (the current user's).
    line = await playground.reply_to(playground.channel("Lärprojekt"), "anmäl", mention=True)
    assert line.all_text == "Jag har skickat det till dig i vår privata chatt." and not line.cards
    choice = await playground.expect(playground.personal_chat, has_card("Vilket lärprojekt"))
    before = len(playground.messages(playground.personal_chat))
    await playground.submit(playground.personal_chat, choice.message_id,
                            {"verb": "register_start", "project_id": closed})
    refused = await playground.expect(playground.personal_chat, lambda m: "är stängd" in m.all_text, after=before)
    # The deadline 2026-01-15 is its last day, not "fredag 16 januari kl. 00.00".
    assert "sista anmälningsdag: torsdag 15 januari" in refused.all_text
    assert "16 januari" not in refused.all_text and "kl. 00.00" not in refused.all_text

    # A form that was open before the deadline and is sent after it: told so, and nothing is stored.
    before = len(playground.messages(playground.personal_chat))
    await playground.submit(playground.personal_chat, choice.message_id, {
        "verb": "register", "project_id": closed, "name": "Sen Anmälare", "organisation": "falun",
        "email": "sen@falun.se", "meetings": "1", "consent_list": "false"})
    late = await playground.expect(playground.personal_chat, lambda m: "stängde medan du fyllde i" in m.all_text,
                                   after=before)
    assert "så den sparades inte" in late.all_text and "Tekniskt fel" not in late.all_text
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        assert db.execute("SELECT 1 FROM registration WHERE name = 'Sen Anmälare'").fetchall() == []


async def test_participants_cannot_export(playground: Playground, stack: Stack) -> None:
    reply = await playground.reply_to(playground.group_chat, "anmälningar", user="user-id-2", mention=True)
    assert "bara för samordnare" in reply.all_text
    before = len(playground.messages(playground.group_chat))
    await playground.submit(
        playground.group_chat,
        reply.message_id,
        {"verb": "export", "project_id": project_id(stack, DEMO), "format": "xlsx"},
        "user-id-2",
    )
    refused = await playground.expect(
        playground.group_chat, lambda m: "bara för samordnare" in m.all_text, after=before
    )
    assert not refused.cards


async def _overview(playground: Playground, project: int) -> BotMessage:
    reply = await playground.reply_to(playground.personal_chat, "anmälningar")
    if "Vilket lärprojekt" not in reply.all_text:
        return reply
    before = len(playground.messages(playground.personal_chat))
    await playground.submit(playground.personal_chat, reply.message_id, {"verb": "overview", "project_id": project})
    return await playground.expect(playground.personal_chat, has_card("Anmälningar"), after=before)


def _container_for(card: dict[str, Any], project_name: str) -> dict[str, Any]:
    """The part of "mina anmälningar" about one project (a person may have several)."""
    for element in card["body"]:
        if element.get("type") == "Container" and project_name in str(element):
            return dict(element)
    raise AssertionError(f"no registration for {project_name} in the card")


def _default_meetings(form: BotMessage) -> str:
    """The meetings the form preselects (all of the project's)."""
    for element in form.cards[0]["body"]:
        if element.get("id") == "meetings":
            return str(element["value"])
    raise AssertionError("the form has no meetings input")


def _find_action(card: dict[str, Any], verb: str, **data: Any) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                node.get("type") == "Action.Submit"
                and node.get("data", {}).get("verb") == verb
                and all(node["data"].get(k) == v for k, v in data.items())
            ):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    assert found, f"no {verb} button in the card"
    return found[0]
