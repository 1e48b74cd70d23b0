"""The evaluation after a meeting through the Agents Playground: the meeting's end sends the
questionnaire 1:1 to registered participants, answers are stored once (a double click too), a
tampered value is refused, the nudge goes only to those who have not answered, and an answer after
closing is told the evaluation is closed."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from openpyxl import load_workbook

from scripts.devstack import Stack
from tests.e2e.conftest import bot_now, import_project
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_registration import register
from tests.e2e.test_reminders_and_messages import bot_hook

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ANSWER = {"knowledge": "5", "contacts": "4", "support": "4", "valuable": "Triadsamtalen", "improve": "",
          "wishes": "Mer om energiplanering"}


@pytest.fixture(scope="module")
def evaluated_project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, datetime]]:
    """A project with a meeting tomorrow 10.00–12.00 (Stockholm); yields its id and the meeting's end."""
    day = (bot_now(stack).astimezone(STOCKHOLM) + timedelta(days=1)).date()
    path: Path = tmp_path_factory.mktemp("evaluation") / "project.yaml"
    path.write_text(f"""slug: energiplanering
name: Energiplanering i kommunerna
registration_deadline: {day.isoformat()}
meetings:
  - number: 1
    title: Elförsörjning och effektbrist
    date: {day.isoformat()}
    start: "10:00"
    end: "12:00"
    place: Ludvika
""", encoding="utf-8")
    import_project(stack, path)
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        project = int(db.execute("SELECT id FROM project WHERE slug = 'energiplanering'").fetchone()[0])
    yield project, datetime.combine(day, time(12, 0), STOCKHOLM)


def answers_stored(stack: Stack) -> int:
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        return int(db.execute("SELECT count(*) FROM answer a JOIN evaluation e ON e.id = a.evaluation_id "
                              "JOIN meeting m ON m.id = e.meeting_id WHERE m.title = 'Elförsörjning och effektbrist'"
                              ).fetchone()[0])


async def test_questionnaire_after_the_meeting(playground: Playground, stack: Stack,
                                               evaluated_project: tuple[int, datetime]) -> None:
    project, meeting_end = evaluated_project
    chat, me = playground.group_chat, playground.personal_chat
    for user, name in (("user-id-1", "Anna Lindqvist"), ("user-id-2", "Erik Åström"), ("user-id-3", "Sara Öberg")):
        await register(playground, chat, user, project, name, organisation="ludvika")
    form = await _open_form(playground, project)
    before = len(playground.messages(me))
    await playground.submit(me, form.message_id, {"verb": "register", "project_id": project, "name": "Linnea Hassis",
                                                  "organisation": "region", "meetings": "1", "consent_list": "false"})
    await playground.expect(me, lambda m: "Du är anmäld" in m.all_text or "sparade" in m.all_text, after=before)

    # 30 minutes after the meeting ends, the questionnaire goes out.
    await _move_clock_to(stack, meeting_end + timedelta(minutes=29))
    await bot_hook(stack, "/_test/run-jobs")
    assert not [m for m in playground.messages(me)[before:] if "Hur var träff 1?" in m.all_text]
    before = len(playground.messages(me))
    await _move_clock_to(stack, meeting_end + timedelta(minutes=31))
    await bot_hook(stack, "/_test/run-jobs")
    card = await playground.expect(me, lambda m: "Hur var träff 1?" in m.all_text, after=before)
    assert "I mycket stor utsträckning" in card.all_text
    # One phone screen: compact choices (one row a question), not fifteen radio rows.
    choice_sets = [e for e in card.cards[0]["body"] if e["type"] == "Input.ChoiceSet"]
    assert choice_sets and all(e["style"] == "compact" and e["placeholder"] == "Välj 1–5" for e in choice_sets)
    assert len(card.cards[0]["body"]) <= 10 and not any(e.get("isMultiline") for e in card.cards[0]["body"])
    for user in ("user-id-1", "user-id-2", "user-id-3"):
        await playground.delivered_to(user, lambda m: "Hur var träff 1?" in m.all_text)

    # A tampered value is refused and stores nothing.
    value = {"verb": "evaluation_answer", **_ids(card), **ANSWER, "knowledge": "7"}
    before = len(playground.messages(me))
    await playground.submit(me, card.message_id, value)
    refused = await playground.expect(me, lambda m: "inte sparat" in m.all_text, after=before)
    assert "inte ett av alternativen" in refused.all_text
    assert answers_stored(stack) == 0

    # A double click stores one answer, and the card turns into a thank-you.
    value = {"verb": "evaluation_answer", **_ids(card), **ANSWER}
    await playground.submit(me, card.message_id, value)
    await playground.submit(me, card.message_id, value)
    thanks = await playground.expect(me, lambda m: m.message_id == card.message_id and "Tack!" in m.all_text)
    assert "Ändra mitt svar" in thanks.all_text
    await playground.quiet(me, 0.5)
    assert answers_stored(stack) == 1

    # Two more answer in their own 1:1 chats.
    for user, knowledge in (("user-id-1", "4"), ("user-id-2", "3")):
        delivered = await playground.delivered_to(user, lambda m: "Hur var träff 1?" in m.all_text)
        await playground.submit(delivered.conversation_id, delivered.message_id,
                                {**value, "knowledge": knowledge}, user)
    await playground.quiet(me, 0.8)
    assert answers_stored(stack) == 3

    # Two days later only Sara, who has not answered, is nudged.
    await _move_clock_to(stack, meeting_end + timedelta(days=2, minutes=31))
    await bot_hook(stack, "/_test/run-jobs")
    await playground.delivered_to("user-id-3", lambda m: "Har du en halv minut?" in m.all_text)
    await playground.quiet(me, 0.5)
    nudged = [m for m in playground.delivered_messages() if "Har du en halv minut?" in m.all_text]
    assert len(nudged) == 1
    assert not [m for m in playground.messages(me) if "Har du en halv minut?" in m.all_text]


async def test_utvardera_lists_open_evaluations(playground: Playground, stack: Stack,
                                                evaluated_project: tuple[int, datetime]) -> None:
    reply = await playground.reply_to(playground.personal_chat, "utvärdera")
    assert "Utvärderingar" in reply.all_text
    assert "Energiplanering i kommunerna: besvarad" in reply.all_text
    # Answered: the button offers changing the answer, not answering.
    titles = [a["title"] for a in reply.cards[0]["actions"]]
    assert "Ändra svaret: träff 1" in titles
    assert len([x for x in titles if x.startswith("Svara")]) == reply.all_text.count("inte besvarad")


async def test_utvardera_in_a_group_chat_shows_nobody_elses_state_there(
        playground: Playground, stack: Stack, evaluated_project: tuple[int, datetime]) -> None:
    """Who has answered is personal: in the group chat only the neutral line, the list 1:1."""
    mark = playground.delivered_mark()
    line = await playground.reply_to(playground.group_chat, "utvärdera", user="user-id-1", mention=True)
    assert line.all_text == "Jag har skickat det till dig i vår privata chatt." and not line.cards
    own = await playground.delivered_to("user-id-1", lambda m: "Utvärderingar" in m.all_text, after=mark)
    assert "besvarad" in own.all_text
    assert not [m for m in playground.messages(playground.group_chat) if "besvarad" in m.all_text]


def _ids(card: BotMessage) -> dict[str, Any]:
    return {"evaluation_id": card.cards[0]["actions"][0]["data"]["evaluation_id"]}


async def _move_clock_to(stack: Stack, moment: datetime) -> None:
    now = datetime.fromisoformat((await bot_hook(stack, "/_test/clock", {"seconds": 0}))["now"])
    if moment > now:
        await bot_hook(stack, "/_test/clock", {"seconds": (moment - now).total_seconds()})


async def _open_form(playground: Playground, project: int) -> BotMessage:
    me = playground.personal_chat
    choice = await playground.reply_to(me, "anmäl")
    before = len(playground.messages(me))
    await playground.submit(me, choice.message_id, {"verb": "register_start", "project_id": project})
    return await playground.expect(me, lambda m: bool(m.cards) and "Anmälan" in m.all_text, after=before)


async def test_results_after_closing_are_anonymous_with_chart_and_excel(
        playground: Playground, stack: Stack, evaluated_project: tuple[int, datetime]) -> None:
    project, meeting_end = evaluated_project
    me = playground.personal_chat
    await _move_clock_to(stack, meeting_end + timedelta(days=7, minutes=31))
    await bot_hook(stack, "/_test/run-jobs")
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        links = db.execute("SELECT count(*) FROM answer WHERE respondent IS NOT NULL").fetchone()[0]
        secrets_left = db.execute("SELECT count(*) FROM evaluation WHERE secret IS NOT NULL AND closed_at IS NOT NULL"
                                  ).fetchone()[0]
    assert links == 0 and secrets_left == 0  # closing unlinked every answer from its person

    # The evaluation is no longer listed, and an answer from a questionnaire card still in the chat (this
    # client's own messages start with this test: a card's data is pressed on the list) is told it is closed.
    listed = await playground.reply_to(me, "utvärdera")
    assert "inga öppna utvärderingar" in listed.all_text
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        evaluation_id = int(db.execute("SELECT e.id FROM evaluation e JOIN meeting m ON m.id = e.meeting_id "
                                       "WHERE m.title = 'Elförsörjning och effektbrist'").fetchone()[0])
    before = len(playground.messages(me))
    await playground.submit(me, listed.message_id, {"verb": "evaluation_answer", "evaluation_id": evaluation_id,
                                                    **ANSWER, "knowledge": "1"})
    await playground.expect(me, lambda m: "Utvärderingen är stängd" in m.all_text, after=before)
    assert answers_stored(stack) == 3


    choice = await playground.reply_to(me, "resultat")
    before = len(playground.messages(me))
    await playground.submit(me, choice.message_id, {"verb": "results", "project_id": project})
    card = await playground.expect(me, lambda m: "Utvärdering: resultat" in m.all_text, after=before)
    text = card.all_text
    assert "Svarsfrekvens: 3 av 4 (75 %)" in text
    # knowledge: 5, 4, 3 -> two of three "i stor eller mycket stor utsträckning", mean 4,0
    assert "67 % i stor eller mycket stor utsträckning · medel 4,0 · 3 svar" in text
    assert "Triadsamtalen" in text and "Anna" not in text and "Erik" not in text
    image = next(e for e in card.cards[0]["body"][-1]["items"] if e["type"] == "Image")
    async with aiohttp.ClientSession() as session, session.get(image["url"]) as response:
        assert response.status == 200 and (await response.read()).startswith(b"\x89PNG")

    before = len(playground.messages(me))
    await playground.submit(me, card.message_id, {"verb": "results_export", "project_id": project, "format": "xlsx"})
    ready = await playground.expect(me, lambda m: "exporterad" in m.all_text, after=before)
    async with aiohttp.ClientSession() as session, session.get(ready.cards[0]["actions"][0]["url"]) as response:
        workbook = load_workbook(io.BytesIO(await response.read()))
    rows = [[c.value for c in row] for row in workbook["Per fråga"].iter_rows()]
    knowledge = next(row for row in rows if row and "nya kunskaper" in str(row))
    assert 67 in knowledge or "67" in [str(v) for v in knowledge]
