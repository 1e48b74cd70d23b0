"""Free text in a personal chat through the Agents Playground: "hej" and "tack" get a friendly answer
with the main actions as buttons; other text is offered as a question to the coordinators, who get it
1:1 with the asker's name and municipality and an *Svara* button; the answer reaches the asker 1:1.

The playground lets only its current user (Linnea, a coordinator herself) write in the personal chat,
so she asks and a second coordinator, Erik (added with `samordnare` for this test), answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from scripts.devstack import Stack
from tests.e2e.conftest import import_project
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_attendance_and_report import db, person_id
from tests.e2e.test_registration import _find_action, has_card, register

NAME = "Frågor till samordnarna"
QUESTION = "Tack, jag kommer! Blir det [vegetarisk](https://example.invalid) lunch?"


def button_titles(message: BotMessage) -> list[str]:
    return [action["title"] for card in message.cards for action in card.get("actions", [])]


@pytest.fixture(scope="module")
def questions_project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A project far ahead (no reminder of it comes while other tests move the clock), so that
    Linnea's registration gives the question her name and organisation."""
    path: Path = tmp_path_factory.mktemp("questions") / "project.yaml"
    path.write_text(f"""slug: questions-e2e
name: {NAME}
meetings:
  - number: 1
    title: Uppstart
    date: 2031-03-04
    start: "09:00"
    end: "11:00"
    place: Falun
""", encoding="utf-8")
    import_project(stack, path)
    with db(stack) as connection:
        yield int(connection.execute("SELECT id FROM project WHERE slug = 'questions-e2e'").fetchone()[0])


@pytest.fixture
async def second_coordinator(playground: Playground, stack: Stack) -> AsyncIterator[int]:
    """Erik made a coordinator through `samordnare`, and removed again afterwards (other tests
    check that he, as a participant, is refused coordinator commands)."""
    me = playground.personal_chat
    await playground.reply_to(playground.group_chat, "hjälp", user="user-id-2", mention=True)  # the bot meets Erik
    erik = person_id(stack, "user-id-2")
    panel = await playground.reply_to(me, "samordnare")
    before = len(playground.messages(me))
    await playground.submit(me, panel.message_id, {"verb": "coordinator_add", "person_id": str(erik)})
    await playground.expect(me, lambda m: "är nu samordnare" in m.all_text, after=before)
    yield erik
    panel = await playground.reply_to(me, "samordnare")
    remove = next(a for a in panel.cards[0]["actions"] if "Erik" in a["title"])
    before = len(playground.messages(me))
    await playground.submit(me, panel.message_id, remove["data"])
    await playground.expect(me, lambda m: "Samordnaren är borttagen" in m.all_text, after=before)


async def test_greetings_and_thanks_get_a_friendly_answer_with_buttons(playground: Playground) -> None:
    me = playground.personal_chat
    hello = await playground.reply_to(me, "hej")
    assert "Hej Linnea!" in hello.all_text and "Jag förstod inte" not in hello.all_text
    assert 0 < len(button_titles(hello)) <= 6 and "Schema" in button_titles(hello)
    schedule = next(a for a in hello.cards[0]["actions"] if a["title"] == "Schema")
    before = len(playground.messages(me))
    await playground.submit(me, hello.message_id, schedule["data"])
    await playground.expect(me, lambda m: "Träffar" in m.all_text, after=before)  # the button runs `schema`
    await playground.quiet(me, 0.5)  # `schema` answers with a card per project
    before = len(playground.messages(me))
    await playground.say(me, "Tack så mycket!")
    thanks = await playground.expect(me, lambda m: "Varsågod" in m.all_text, after=before)
    assert "Varsågod, Linnea!" in thanks.all_text and 0 < len(button_titles(thanks)) <= 6


async def test_a_question_reaches_a_coordinator_and_the_answer_comes_back(
    playground: Playground, stack: Stack, second_coordinator: int, questions_project: int
) -> None:
    me = playground.personal_chat
    await register(playground, me, "user-id-0", questions_project, "Linnea Hassis", organisation="region")
    offer = await playground.reply_to(me, QUESTION)
    assert "Skicka som fråga till samordnarna?" in offer.all_text
    assert r"\[vegetarisk\](https\:\/\/example\.invalid)" in offer.all_text  # escaped: no link of the bot's
    before = len(playground.messages(me))
    send = _find_action(offer.cards[0], "question_send")["data"]
    await playground.submit(me, offer.message_id, send)
    await playground.submit(me, offer.message_id, send)  # a double click sends it once
    await playground.expect(me, lambda m: m.message_id == offer.message_id and "Frågan är skickad" in m.all_text,
                            after=before)
    await playground.expect(me, lambda m: "redan skickad" in m.all_text, after=before)

    asked = await playground.delivered_to("user-id-2", lambda m: "Fråga från en deltagare" in m.all_text)
    await playground.quiet(me, 0.5)
    assert len([m for m in playground.delivered_messages() if "Fråga från en deltagare" in m.all_text]) == 1
    assert "Linnea Hassis, Region Dalarna" in asked.all_text and "Lärprojekt: " in asked.all_text
    assert NAME in asked.all_text
    assert "Blir det \\[vegetarisk\\]" in asked.all_text and "Svara" in button_titles(asked)
    answer = _find_action(asked.cards[0], "question_answer")
    await playground.submit(asked.conversation_id, asked.message_id, {**answer["data"], "answer": ""}, "user-id-2")
    await playground.delivered_to("user-id-2", lambda m: "Fältet Ditt svar är tomt" in m.all_text)
    before = len(playground.messages(me))
    await playground.submit(asked.conversation_id, asked.message_id,
                            {**answer["data"], "answer": "Ja, det blir vegetarisk lunch för alla."}, "user-id-2")
    reply = await playground.expect(me, has_card("Svar från samordnarna"), after=before)
    assert "Ja, det blir vegetarisk lunch för alla." in reply.all_text and "Från Erik Åström" in reply.all_text
    await playground.delivered_to("user-id-2", lambda m: "Svaret är skickat till Linnea Hassis" in m.all_text)
