"""The handler in-process through botbuilder's TestAdapter: language, roles, submits, mentions."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, Entity
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import build_bot
from bot.core.handler import DalaLabBot
from bot.core.settings import Settings
from tests.turns import replies, text_of

COORDINATOR = "aad-coordinator"


@pytest.fixture
def bot(sqlite_sessions: async_sessionmaker[AsyncSession]) -> Any:
    settings = Settings(coordinator_ids=frozenset({COORDINATOR}))
    return build_bot(settings, sqlite_sessions, TestAdapter()).bot


def message(
    text: str | None = None,
    *,
    locale: str = "sv-SE",
    aad: str = "aad-anna",
    kind: str = "personal",
    value: dict[str, Any] | None = None,
    mention: bool = False,
) -> Activity:
    activity = Activity(
        type="message",
        text=text,
        locale=locale,
        value=value,
        channel_id="msteams",
        service_url="https://smba.example/",
        from_property=ChannelAccount(id="29:anna", name="Anna", aad_object_id=aad),
        recipient=ChannelAccount(id="bot", name="DalaLab"),
        conversation=ConversationAccount(id=f"conv-{kind}", conversation_type=kind),
    )
    if mention:
        activity.text = f"<at>DalaLab</at> {text}"
        activity.entities = [
            Entity().deserialize(
                {"type": "mention", "mentioned": {"id": "bot", "name": "DalaLab"}, "text": "<at>DalaLab</at>"}
            )
        ]
    return activity


async def test_swedish_by_default(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message("nonsens", kind="channel", mention=True))
    assert "Jag förstod inte" in text_of(reply)


async def test_english_when_teams_says_english(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message("nonsense", locale="en-GB", kind="channel", mention=True))
    assert "I did not understand" in text_of(reply)


async def test_free_text_in_a_personal_chat_is_offered_as_a_question(bot: DalaLabBot) -> None:
    typed = "Blir det [vegetarisk](http://x) lunch?"
    [reply] = await replies(bot, message(typed))
    card = reply.attachments[0].content
    texts = [block["text"] for block in card["body"]]
    assert "Skicka som fråga till samordnarna?" in texts
    assert r"Blir det \[vegetarisk\](http\:\/\/x) lunch?" in texts  # shown escaped
    assert card["actions"][0]["data"] == {"verb": "question_send", "question": typed}  # sent on as typed


@pytest.mark.parametrize("text", ["hej", "Hej DalaLab!", "tack", "Tack så mycket!"])
async def test_greetings_and_thanks_get_the_main_actions(bot: DalaLabBot, text: str) -> None:
    [reply] = await replies(bot, message(text))
    card = reply.attachments[0].content
    assert "Jag förstod inte" not in text_of(reply) and "samordnarna?" not in text_of(reply)
    assert 0 < len(card["actions"]) <= 6 and all(a["data"]["verb"] == "command" for a in card["actions"])


async def test_a_command_button_runs_its_command_for_its_role_only(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message(value={"verb": "command", "command": "hjälp"}))
    assert "Det här kan du göra" in text_of(reply)
    [refused] = await replies(bot, message(value={"verb": "command", "command": "anmälningar"}))
    assert "bara för samordnare" in text_of(refused)
    [unknown] = await replies(bot, message(value={"verb": "command", "command": "drop tables"}))
    assert "hör inte till något kommando" in text_of(unknown)


async def test_help_hides_coordinator_section_from_participants(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message("hjälp"))
    assert "Det här kan du göra" in text_of(reply)
    assert "För samordnare" not in text_of(reply)


async def test_mention_is_stripped_in_channels(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message("hjälp", kind="channel", mention=True))
    assert "Det här kan du göra" in text_of(reply)
    assert "I kanalen" in text_of(reply)


async def test_card_button_with_known_verb(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message(value={"verb": "help"}))
    assert "Det här kan du göra" in text_of(reply)


@pytest.mark.parametrize("value", [{"verb": "drop tables"}, {"verb": 42}, {}])
async def test_card_submit_with_unknown_verb_is_explained(bot: DalaLabBot, value: dict[str, Any]) -> None:
    [reply] = await replies(bot, message(value=value))
    assert "Den knappen känner jag inte igen" in text_of(reply)


async def test_empty_message_gets_a_greeting(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message("   "))
    assert "Skriv **hjälp**" in text_of(reply)
