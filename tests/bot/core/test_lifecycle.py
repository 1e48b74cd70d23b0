"""Teams' lifecycle as the bot sees it, per scope (personal, groupChat, team): install welcomes once,
add-upgrade (a new app version) does not welcome again, remove ends the conversation (in a team: every
channel and thread of it) and nothing later brings it back but a new install; team rename, team delete
and channel delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import build_bot
from bot.core.handler import DalaLabBot
from bot.core.settings import Settings
from bot.teams.proactive import Messenger
from storage.db import create_engine, migrate, session_factory
from storage.models import Conversation
from storage.people import PeopleRepository
from tests.turns import replies

TEAM = "19:team-general@thread.tacv2"
OTHER_CHANNEL = "19:projekt@thread.tacv2"
THREAD = f"{OTHER_CHANNEL};messageid=1700000000000"
PLACES = {
    "personal": ("a:personal-anna", "personal"),
    "groupChat": ("19:group@thread.v2", "groupChat"),
    "team": (TEAM, "channel"),
}


@dataclass
class World:
    bot: DalaLabBot
    sessions: async_sessionmaker[AsyncSession]
    messenger: Messenger


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/l.db")
    await migrate(engine)
    sessions = session_factory(engine)
    bot = build_bot(Settings(), sessions, TestAdapter()).bot
    yield World(bot, sessions, Messenger(TestAdapter(), PeopleRepository(sessions), ""))
    await engine.dispose()


def activity(kind: str, conversation: str, conversation_type: str, *, team: bool = False, channel: str | None = None,
             **fields: Any) -> Activity:
    channel_data: dict[str, Any] = {"tenant": {"id": "tenant-1"}}
    if team:
        channel_data["team"] = {"id": TEAM, "name": "DalaLab-teamet", "aadGroupId": "group-1"}
        channel_data["channel"] = {"id": channel or conversation.split(";")[0]}
    return Activity(
        type=kind, channel_id="msteams", service_url="https://smba.example/", locale="sv-SE",
        from_property=ChannelAccount(id="29:anna", name="Anna", aad_object_id="aad-anna"),
        recipient=ChannelAccount(id="28:bot", name="DalaLab"),
        conversation=ConversationAccount(id=conversation, conversation_type=conversation_type, tenant_id="tenant-1"),
        channel_data=channel_data, **fields)


def installation(place: str, action: str) -> Activity:
    conversation, kind = PLACES[place]
    return activity("installationUpdate", conversation, kind, team=place == "team", action=action)


def message_in(conversation: str, *, channel: str | None = None) -> Activity:
    return activity("message", conversation, "channel", team=True, channel=channel, text="hjälp")


def team_event(event: str, **fields: Any) -> Activity:
    update = activity("conversationUpdate", TEAM, "channel", team=True, **fields)
    update.channel_data["eventType"] = event
    return update


async def installed(world: World) -> dict[str, bool]:
    async with world.sessions() as session:
        rows = await session.execute(select(Conversation.conversation_id, Conversation.installed))
        return dict(rows.tuples().all())


def cards(sent: list[Activity]) -> int:
    return sum(1 for a in sent for attachment in a.attachments or []
               if attachment.content_type == "application/vnd.microsoft.card.adaptive")


@pytest.mark.parametrize("place", PLACES)
async def test_install_welcomes_and_an_upgrade_does_not_welcome_again(world: World, place: str) -> None:
    assert cards(await replies(world.bot, installation(place, "add"))) == 1
    assert await replies(world.bot, installation(place, "add-upgrade")) == []
    assert (await installed(world))[PLACES[place][0]] is True


async def test_an_upgrade_of_a_chat_the_bot_had_not_stored_stores_it_without_a_welcome(world: World) -> None:
    assert await replies(world.bot, installation("groupChat", "add-upgrade")) == []
    assert (await installed(world))[PLACES["groupChat"][0]] is True


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("action", ["remove", "remove-upgrade"])
async def test_remove_ends_the_conversation_and_only_an_install_brings_it_back(
        world: World, place: str, action: str) -> None:
    for other in PLACES:
        await replies(world.bot, installation(other, "add"))
    await replies(world.bot, message_in(OTHER_CHANNEL))
    await replies(world.bot, message_in(THREAD))
    conversation = PLACES[place][0]

    assert await replies(world.bot, installation(place, action)) == []
    ended = {c for c, on in (await installed(world)).items() if not on}
    assert ended == ({TEAM, OTHER_CHANNEL, THREAD} if place == "team" else {conversation})

    # Teams' other events about the removal, in any order, bring nothing back.
    gone = activity("conversationUpdate", conversation, PLACES[place][1], team=place == "team",
                    members_removed=[ChannelAccount(id="28:bot")])
    renamed_chat = activity("conversationUpdate", conversation, PLACES[place][1], team=place == "team",
                            topic_name="Ny rubrik")
    for event in (gone, renamed_chat, team_event("teamRenamed"), team_event("teamMemberRemoved")):
        await replies(world.bot, event)
    assert {c for c, on in (await installed(world)).items() if not on} == ended
    with pytest.raises(LookupError):
        await world.messenger.send_to_conversation(conversation, Activity(type="message", text="x"))
    if place == "team":
        with pytest.raises(LookupError):
            await world.messenger.post_to_channel(OTHER_CHANNEL, Activity(type="message", text="x"))

    assert cards(await replies(world.bot, installation(place, "add"))) == 1
    assert (await installed(world))[conversation] is True


async def test_the_bot_removed_from_a_team_ends_it_even_before_the_installation_update(world: World) -> None:
    await replies(world.bot, installation("team", "add"))
    await replies(world.bot, message_in(THREAD))
    await replies(world.bot, team_event("teamMemberRemoved", members_removed=[ChannelAccount(id="28:bot")]))
    assert set((await installed(world)).values()) == {False}


async def test_someone_else_leaving_a_team_ends_nothing(world: World) -> None:
    await replies(world.bot, installation("team", "add"))
    await replies(world.bot, team_event("teamMemberRemoved", members_removed=[ChannelAccount(id="29:berit")]))
    assert set((await installed(world)).values()) == {True}


async def test_a_renamed_team_stays_installed_and_hears_nothing(world: World) -> None:
    await replies(world.bot, installation("team", "add"))
    await replies(world.bot, message_in(THREAD))
    assert await replies(world.bot, team_event("teamRenamed")) == []
    assert set((await installed(world)).values()) == {True}


@pytest.mark.parametrize("event", ["teamDeleted", "teamHardDeleted"])
async def test_a_deleted_team_ends_every_channel_and_thread(world: World, event: str) -> None:
    await replies(world.bot, installation("team", "add"))
    await replies(world.bot, message_in(OTHER_CHANNEL))
    await replies(world.bot, message_in(THREAD))
    await replies(world.bot, installation("personal", "add"))
    assert await replies(world.bot, team_event(event)) == []
    assert await installed(world) == {TEAM: False, OTHER_CHANNEL: False, THREAD: False, PLACES["personal"][0]: True}


async def test_a_deleted_channel_ends_that_channel_and_its_threads_only(world: World) -> None:
    await replies(world.bot, installation("team", "add"))
    await replies(world.bot, message_in(OTHER_CHANNEL))
    await replies(world.bot, message_in(THREAD))
    deleted = team_event("channelDeleted")
    deleted.channel_data["channel"] = {"id": OTHER_CHANNEL, "name": "Projekt"}
    assert await replies(world.bot, deleted) == []
    assert await installed(world) == {TEAM: True, OTHER_CHANNEL: False, THREAD: False}
    with pytest.raises(LookupError):
        await world.messenger.post_to_channel(OTHER_CHANNEL, Activity(type="message", text="x"))
