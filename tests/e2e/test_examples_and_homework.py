"""Case examples and homework through the Agents Playground: a coordinator's request reaches the
municipalities' participants 1:1, an example sent from the request is sent back for changes,
corrected, approved and posted to the project channel, and a search by theme finds it (only for
people in the project). Homework goes to the meeting's participants; the reminder before the
deadline goes only to those who have not answered; the coordinator's compilation exports to Excel."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from openpyxl import load_workbook

from scripts.devstack import Stack
from tests.e2e.conftest import bot_now, import_project
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_registration import _find_action, has_card, register
from tests.e2e.test_reminders_and_messages import bot_hook

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SLUG = "kommunexempel-e2e"
TITLE = "Effektbrist och nya etableringar i Falun"
THEME = "Energiomställning"
HOMEWORK = "Kartlägg er energiplanering"


@pytest.fixture(scope="module")
def project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A project of this module's own, its meetings a month and two months ahead of the bot's clock."""
    today = bot_now(stack).astimezone(STOCKHOLM).date()
    path: Path = tmp_path_factory.mktemp("exchange") / "project.yaml"
    path.write_text(f"""slug: {SLUG}
name: Energi och etableringar
registration_deadline: {(today + timedelta(days=25)).isoformat()}
meetings:
  - number: 1
    title: Effekt och elnät
    date: {(today + timedelta(days=30)).isoformat()}
    start: "10:00"
    end: "15:00"
    place: Falun
  - number: 2
    title: Uppföljning
    date: {(today + timedelta(days=60)).isoformat()}
    start: "10:00"
    end: "12:00"
    place: Digitalt (Teams)
""", encoding="utf-8")
    import_project(stack, path)
    yield int(query(stack, "SELECT id FROM project WHERE slug = ?", SLUG)[0][0])


def query(stack: Stack, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        return db.execute(sql, args).fetchall()


async def choose(playground: Playground, text: str, verb: str, project: int, card_text: str) -> BotMessage:
    """A coordinator's command in the personal chat, the project picked on the choice card."""
    me = playground.personal_chat
    reply = await playground.reply_to(me, text)
    if card_text in reply.all_text:
        return reply
    assert "Vilket lärprojekt" in reply.all_text, reply.all_text
    before = len(playground.messages(me))
    await playground.submit(me, reply.message_id, {"verb": verb, "project_id": project})
    return await playground.expect(me, has_card(card_text), after=before)


async def press(playground: Playground, message: BotMessage, verb: str, values: dict[str, Any] | None = None,
                **data: Any) -> None:
    """Press a button of a card the coordinator sees, with ``values`` as the card's inputs."""
    action = _find_action(message.cards[0], verb, **data)
    await playground.submit(playground.personal_chat, message.message_id, {**action["data"], **(values or {})})


async def updated(playground: Playground, message: BotMessage, text: str) -> BotMessage:
    return await playground.expect(playground.personal_chat, lambda m: m.message_id == message.message_id
                                   and m.action == "updateMessage" and text in m.all_text)


async def link_channel(playground: Playground, project: int) -> None:
    channel = playground.channel("Lärprojekt")
    choice = await playground.reply_to(channel, "koppla kanal", mention=True)
    if "kanalen för" in choice.all_text:
        return
    before = len(playground.messages(choice.conversation_id))
    await playground.submit(choice.conversation_id, choice.message_id, {"verb": "link_channel", "project_id": project})
    await playground.expect(choice.conversation_id, lambda m: "kanalen för" in m.all_text, after=before)


async def test_request_submission_review_channel_post_and_search(playground: Playground, stack: Stack,
                                                                 project: int) -> None:
    chat, me = playground.group_chat, playground.personal_chat
    await register(playground, chat, "user-id-1", project, "Anna Lindqvist", organisation="falun")
    await register(playground, chat, "user-id-2", project, "Erik Åström", organisation="ludvika")
    await link_channel(playground, project)

    # The coordinator asks every participating municipality, previews, confirms.
    form = await choose(playground, "be om exempel", "example_request_start", project, "Be om exempel")
    deadline = bot_now(stack).astimezone(STOCKHOLM).date() + timedelta(days=10)
    before = len(playground.messages(me))
    await press(playground, form, "example_request_preview", {"theme": THEME, "deadline_date": deadline.isoformat(),
                                                              "deadline_time": "16:00", "organisations": ""})
    preview = await playground.expect(me, has_card("Förhandsgranskning: be om exempel"), after=before)
    assert "2 deltagare från Falu kommun, Ludvika kommun" in preview.all_text
    await press(playground, preview, "example_request_confirm")
    await updated(playground, preview, "Förfrågan skickas nu till 2 deltagare")
    await bot_hook(stack, "/_test/run-jobs")
    request = await playground.delivered_to("user-id-1", lambda m: "Dela ett exempel från din kommun" in m.all_text)
    assert THEME in request.all_text
    await playground.delivered_to("user-id-2", lambda m: "Dela ett exempel från din kommun" in m.all_text)

    # Anna answers from the request: the card is prefilled with her municipality and the theme.
    example_id = await _send_example(playground, stack, request)
    assert query(stack, "SELECT status, theme FROM case_example WHERE id = ?", example_id) == [("submitted", THEME)]

    # Sent back for changes with a note; Anna corrects it from the message she gets.
    review = await _review_card(playground)
    await press(playground, review, "example_review", {"note": "Berätta gärna vad det ledde till."},
                decision="changes")
    await updated(playground, review, "Skickat tillbaka")
    await bot_hook(stack, "/_test/run-jobs")
    feedback = await playground.delivered_to("user-id-1", lambda m: "Berätta gärna vad det ledde till." in m.all_text)
    await _correct_example(playground, feedback, example_id)
    assert query(stack, "SELECT status, result FROM case_example WHERE id = ?", example_id) == [
        ("submitted", "Ett gemensamt effektavtal med nätägaren.")]

    # Approved and posted to the project channel, once.
    review = await _review_card(playground)
    await press(playground, review, "example_review", decision="approve")
    approved = await updated(playground, review, "Godkänt")
    await press(playground, approved, "example_post")
    await updated(playground, approved, "publiceras nu i kanalen")
    await bot_hook(stack, "/_test/run-jobs")
    posted = await playground.expect_anywhere(lambda m: m.conversation_id != me and TITLE in m.all_text
                                              and "Exempel från Falu kommun" in m.all_text)
    assert posted.cards and "Ett gemensamt effektavtal" in posted.all_text
    told = await playground.delivered_to("user-id-1", lambda m: "Ditt exempel är godkänt" in m.all_text)
    assert "Bara deltagarna i lärprojektet" in told.all_text

    # Erik finds it by theme (lower case); Karin, who is not in the project, does not.
    found = await playground.reply_to(chat, "exempel energiomställning", user="user-id-2", mention=True)
    assert TITLE in found.all_text and "Falu kommun" in found.all_text
    hidden = await playground.reply_to(chat, "exempel energiomställning", user="user-id-5", mention=True)
    assert "Inga exempel hittades" in hidden.all_text


async def _send_example(playground: Playground, stack: Stack, request: BotMessage) -> int:
    data = _find_action(request.cards[0], "example_open")["data"]
    await playground.submit(request.conversation_id, request.message_id, data, "user-id-1")
    form = await playground.delivered_to("user-id-1", has_card("Skicka exemplet"))
    assert THEME in str(form.cards[0]) and '"falun"' in str(form.cards[0]).replace("'", '"')
    values = {**_find_action(form.cards[0], "example_submit")["data"], "title": TITLE, "theme": THEME,
              "organisation": "falun", "challenge": "Elnätet räcker inte till de nya etableringarna.",
              "actions": "Vi samlade kommun, nätägare och företag i en effektgrupp.", "result": "",
              "lessons": "Börja prata med nätägaren tidigt.", "contact": "Anna Lindqvist, anna.lindqvist@falun.se",
              "links": "https://www.falun.se/effekt", "sharing": "project"}
    await playground.submit(form.conversation_id, form.message_id, values, "user-id-1")
    await playground.delivered_to("user-id-1", lambda m: "Tack! Ditt exempel" in m.all_text)
    rows = query(stack, "SELECT id FROM case_example WHERE title = ?", TITLE)
    assert rows, "the example was not stored"
    return int(rows[0][0])


async def _review_card(playground: Playground) -> BotMessage:
    me = playground.personal_chat
    before = len(playground.messages(me))
    await playground.say(me, "granska exempel")
    return await playground.expect(me, lambda m: bool(m.cards) and TITLE in m.all_text and "Godkänn" in m.all_text,
                                   after=before)


async def _correct_example(playground: Playground, feedback: BotMessage, example_id: int) -> None:
    edit = _find_action(feedback.cards[0], "example_edit")["data"]
    await playground.submit(feedback.conversation_id, feedback.message_id, edit, "user-id-1")
    form = await playground.delivered_to("user-id-1", has_card("Ändra ditt exempel"))
    inputs = {element["id"]: element.get("value", "") for element in form.cards[0]["body"] if "id" in element}
    values = {**inputs, **_find_action(form.cards[0], "example_submit")["data"],
              "result": "Ett gemensamt effektavtal med nätägaren."}
    assert values["example_id"] == example_id and values["title"] == TITLE
    await playground.submit(form.conversation_id, form.message_id, values, "user-id-1")
    await playground.delivered_to("user-id-1", lambda m: "Dina ändringar i" in m.all_text)


async def test_homework_reminder_only_to_the_silent_and_compilation(playground: Playground, stack: Stack,
                                                                     project: int) -> None:
    chat = playground.group_chat
    await register(playground, chat, "user-id-3", project, "Sara Öberg", organisation="mora")
    await register(playground, chat, "user-id-4", project, "Johan Mäkelä", organisation="borlange")

    form = await choose(playground, "ny hemuppgift", "homework_start", project, "Ny hemuppgift")
    meeting = query(stack, "SELECT id FROM meeting WHERE project_id = ? AND number = 1", project)[0][0]
    deadline_day: date = bot_now(stack).astimezone(STOCKHOLM).date() + timedelta(days=2)
    await press(playground, form, "homework_create", {
        "meeting_id": str(meeting), "title": HOMEWORK, "instructions": "Vad har ni i dag, och vad saknas?",
        "deadline_date": deadline_day.isoformat(), "deadline_time": "12:00"})
    created = await updated(playground, form, "skickas nu till")
    assert "påminns" in created.all_text and "sammanställning" in created.all_text
    await bot_hook(stack, "/_test/run-jobs")
    tasks = {user: await playground.delivered_to(user, lambda m: f"Hemuppgift: {HOMEWORK}" in m.all_text)
             for user in ("user-id-3", "user-id-4")}

    # Sara answers, then changes her answer: one answer is kept, the newest.
    sara = tasks["user-id-3"]
    answer = _find_action(sara.cards[0], "homework_answer")["data"]
    for text, thanks in (("Vi har en energiplan från 2019.", "Ditt svar är sparat"),
                         ("Energiplanen från 2019 behöver ses över.", "ersatt det förra")):
        await playground.submit(sara.conversation_id, sara.message_id,
                                {**answer, "answer": text, "links": "https://www.mora.se/energiplan"}, "user-id-3")
        await playground.delivered_to("user-id-3", lambda m, thanks=thanks: thanks in m.all_text)
    assignment = answer["assignment_id"]
    assert query(stack, "SELECT text FROM submission WHERE assignment_id = ?", assignment) == [
        ("Energiplanen från 2019 behöver ses över.",)]

    # The day before the deadline the reminder goes to Johan, not to Sara.
    deadline = datetime.combine(deadline_day, datetime.min.time().replace(hour=12), STOCKHOLM)
    now = bot_now(stack)
    await bot_hook(stack, "/_test/clock", {"seconds": (deadline - timedelta(days=1) - now).total_seconds() + 60})
    await bot_hook(stack, "/_test/run-jobs")
    await playground.delivered_to("user-id-4", lambda m: "du har inte svarat på hemuppgiften" in m.all_text)
    states = dict(query(stack, "SELECT p.teams_id, d.state FROM delivery d JOIN person p ON d.recipient = "
                               "'person:' || p.id WHERE d.kind = 'assignment_nudge' AND d.source = ?",
                        f"assignment:{assignment}"))
    assert states["user-id-3"] == "skipped" and states["user-id-4"] == "sent"

    await _compilation_and_export(playground, project)


async def _compilation_and_export(playground: Playground, project: int) -> None:
    me = playground.personal_chat
    tasks = await choose(playground, "hemuppgifter", "homework_list", project, "Hemuppgifter")
    assert HOMEWORK in tasks.all_text
    before = len(playground.messages(me))
    await press(playground, tasks, "homework_compilation")
    compilation = await playground.expect(me, has_card("Svar på hemuppgiften"), after=before)
    assert "Energiplanen från 2019 behöver ses över." in compilation.all_text
    assert "Johan Mäkelä (Borlänge kommun)" in compilation.all_text
    before = len(playground.messages(me))
    await press(playground, compilation, "homework_export")
    ready = await playground.expect(me, has_card("Svaren är exporterade"), after=before)
    async with aiohttp.ClientSession() as session, session.get(ready.cards[0]["actions"][0]["url"]) as response:
        assert response.status == 200
        workbook = load_workbook(io.BytesIO(await response.read()))
    rows = [[cell.value for cell in row] for row in workbook["Svar"].iter_rows(min_row=2, max_col=4)]
    assert ["Sara Öberg", "Mora kommun", "Energiplanen från 2019 behöver ses över.",
            "https://www.mora.se/energiplan"] in rows
    missing = [row[0].value for row in workbook["Har inte svarat"].iter_rows(min_row=2)]
    assert "Johan Mäkelä" in missing and "Sara Öberg" not in missing
