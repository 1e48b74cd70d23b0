"""`mina uppgifter` through the handler (botbuilder's TestAdapter): the card says what is stored and
links the file, erasure is confirmed first, and a later message starts a fresh person (in a channel or
group chat it all happens in the personal chat: tests/bot/core/test_personal_chat.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import Components, build_bot
from bot.core.i18n import t, use_language
from bot.core.settings import Settings
from bot.features.privacy.cards import retention_period
from bot.features.registration.rules import RegistrationForm
from storage.models import Meeting, Person, Project
from storage.registrations import RegistrationRepository
from tests.turns import replies

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(sqlite_sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    return sqlite_sessions


@pytest.fixture
def components(sessions: async_sessionmaker[AsyncSession]) -> Components:
    return build_bot(Settings(language="sv", retention_days=730), sessions, TestAdapter(), lambda: NOW)


def message(text: str | None = None, value: dict[str, Any] | None = None, kind: str = "personal") -> Activity:
    return Activity(
        type="message", text=text, value=value, locale="sv-SE", channel_id="msteams",
        service_url="https://smba.example/",
        from_property=ChannelAccount(id="29:anna", name="Anna Lindqvist", aad_object_id="aad-anna"),
        recipient=ChannelAccount(id="bot", name="DalaLab"),
        conversation=ConversationAccount(id=f"a:{kind}-anna", conversation_type=kind),
    )


async def turn(components: Components, activity: Activity) -> list[Activity]:
    return await replies(components.bot, activity)


def card_of(activity: Activity) -> dict[str, Any]:
    return dict(activity.attachments[0].content)


async def anna(sessions: async_sessionmaker[AsyncSession]) -> list[Person]:
    async with sessions() as session:
        return list(await session.scalars(select(Person).where(Person.teams_id == "29:anna")))


async def register_anna(sessions: async_sessionmaker[AsyncSession], person_id: int) -> None:
    async with sessions.begin() as session:
        project = Project(slug="p", name="Energi", calendar_token="tok")
        project.meetings = [Meeting(number=1, title="Start", starts_at=NOW + timedelta(days=9),
                                    ends_at=NOW + timedelta(days=9, hours=2), uid="p-1")]
        session.add(project)
        await session.flush()
        project_id = project.id
    form = RegistrationForm("Anna Lindqvist", "falun", "", "Planerare", "anna@falun.se", frozenset({1}), "Vegan", True)
    await RegistrationRepository(sessions).register(project_id, person_id, form, NOW)


async def test_the_card_explains_what_is_stored_and_links_the_file(
    components: Components, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await turn(components, message("hej"))
    [person] = await anna(sessions)
    await register_anna(sessions, person.id)

    [reply] = await turn(components, message("mina uppgifter"))

    card = card_of(reply)
    facts = {fact["title"]: fact["value"] for block in card["body"] if block["type"] == "FactSet"
             for fact in block["facts"]}
    assert facts["Anmälningar"] == "1" and facts["Samtal med mig (för påminnelser)"] == "1"
    assert any("två år efter att lärprojektet har avslutats" in block.get("text", "") for block in card["body"])
    download = next(a for a in card["actions"] if a["type"] == "Action.OpenUrl")
    token = download["url"].rsplit("/downloads/", 1)[1]
    entry = await components.downloads.get(token, NOW)
    assert entry is not None and entry.content_type.startswith("application/json")
    document = json.loads(entry.data)
    assert document["anmälningar"][0]["specialkost"] == "Vegan"
    assert document["person"]["namn"] == "Anna Lindqvist"


async def test_erasure_is_confirmed_and_a_later_message_starts_afresh(
    components: Components, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await turn(components, message("hej"))
    [before] = await anna(sessions)
    await register_anna(sessions, before.id)

    [confirm] = await turn(components, message(value={"verb": "privacy_erase_ask"}))
    assert "Vill du radera dina uppgifter?" in json.dumps(card_of(confirm), ensure_ascii=False)
    assert [p.id for p in await anna(sessions)] == [before.id]  # asking erases nothing
    [done] = await turn(components, message(value={"verb": "privacy_erase_confirm"}))
    assert "Dina uppgifter är raderade" in json.dumps(card_of(done), ensure_ascii=False)
    assert await anna(sessions) == []

    [reply] = await turn(components, message("mina uppgifter"))
    [fresh] = await anna(sessions)
    assert fresh.id != before.id and fresh.erased_at is None
    facts = {f["title"]: f["value"] for b in card_of(reply)["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["Anmälningar"] == "0"


async def test_erasure_revokes_the_link_to_the_own_copy_issued_just_before(
    components: Components, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await turn(components, message("hej"))
    [person] = await anna(sessions)
    await register_anna(sessions, person.id)
    [shown] = await turn(components, message("mina uppgifter"))
    url = next(a for a in card_of(shown)["actions"] if a["type"] == "Action.OpenUrl")["url"]
    token = url.rsplit("/downloads/", 1)[1]
    assert await components.downloads.get(token, NOW) is not None

    await turn(components, message(value={"verb": "privacy_erase_confirm"}))

    assert await components.downloads.get(token, NOW) is None


async def test_cancel_keeps_everything(components: Components, sessions: async_sessionmaker[AsyncSession]) -> None:
    await turn(components, message("hej"))
    [reply] = await turn(components, message(value={"verb": "privacy_erase_cancel"}))
    assert "Inget raderades" in json.dumps(card_of(reply), ensure_ascii=False)
    [person] = await anna(sessions)
    assert person.erased_at is None


@pytest.mark.parametrize(("language", "command"), [("sv", "mina uppgifter"), ("en", "my data")])
def test_the_registration_notice_says_how_long_and_where_to_see_it(language: str, command: str) -> None:
    """The form's privacy paragraph states the default retention period (two years); a deployment that
    changes RETENTION_DAYS changes the text with it (see Settings.retention_days)."""
    with use_language(language):
        notice_text = t("register.privacy")
        assert retention_period(Settings().retention_days) in notice_text
        assert command in notice_text
