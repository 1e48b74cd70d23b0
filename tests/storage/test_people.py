"""People and conversation references are stored and refreshed, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Conversation, Person
from storage.people import ConversationSeen, PeopleRepository, Visitor

ANNA = Visitor(teams_id="29:anna", name="Anna Lindqvist", aad_object_id="aad-anna", tenant_id="t1", locale="sv-SE")


def personal(conversation_id: str = "a:personal-anna", service_url: str = "https://smba.example/") -> ConversationSeen:
    reference = json.dumps({"conversation": {"id": conversation_id}, "serviceUrl": service_url})
    return ConversationSeen(conversation_id, "personal", service_url, reference, tenant_id="t1")


async def test_first_message_stores_person_and_reference(sessions: async_sessionmaker[AsyncSession]) -> None:
    people = PeopleRepository(sessions)
    await people.remember(ANNA, personal())
    person = await people.person_by_teams_id("29:anna")
    assert person is not None and person.name == "Anna Lindqvist"
    conversation = await people.personal_conversation(person.id)
    assert conversation is not None
    assert json.loads(conversation.reference)["conversation"]["id"] == "a:personal-anna"


async def test_changes_are_refreshed_and_nothing_duplicated(sessions: async_sessionmaker[AsyncSession]) -> None:
    people = PeopleRepository(sessions)
    await people.remember(ANNA, personal())
    await people.remember(ANNA, personal())
    await people.remember(ANNA, personal(service_url="https://smba.example/emea/"))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 1
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 1
    conversation = await people.conversation("a:personal-anna")
    assert conversation is not None and conversation.service_url.endswith("/emea/")


async def test_a_second_process_sees_the_same_person(sessions: async_sessionmaker[AsyncSession]) -> None:
    await PeopleRepository(sessions).remember(ANNA, personal())
    await PeopleRepository(sessions).remember(ANNA, personal())
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 1


async def test_channel_reference_without_person(sessions: async_sessionmaker[AsyncSession]) -> None:
    people = PeopleRepository(sessions)
    seen = ConversationSeen("19:channel@thread.tacv2", "channel", "https://smba.example/", "{}", "t1", "team-1", "19:c")
    await people.remember(None, seen)
    conversation = await people.conversation("19:channel@thread.tacv2")
    assert conversation is not None and conversation.team_id == "team-1" and conversation.person_id is None


async def test_uninstall_marks_the_conversation(sessions: async_sessionmaker[AsyncSession]) -> None:
    people = PeopleRepository(sessions)
    await people.remember(ANNA, personal())
    await people.mark_uninstalled("a:personal-anna")
    person = await people.person_by_teams_id("29:anna")
    assert person is not None
    assert await people.personal_conversation(person.id) is None


async def test_a_fingerprint_stands_for_the_person_until_they_are_forgotten(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = PeopleRepository(sessions)
    assert people.remembered(("fp", 1)) is None
    person_id = await people.remember(ANNA, personal(), ("fp", 1))
    assert person_id is not None and people.remembered(("fp", 1)) == person_id
    people.forget(person_id)
    assert people.remembered(("fp", 1)) is None


async def test_an_uninstalled_conversation_drops_its_fingerprints(sessions: async_sessionmaker[AsyncSession]) -> None:
    people = PeopleRepository(sessions)
    seen = personal()
    await people.remember(ANNA, seen, ("fp", 2))
    await people.mark_uninstalled(seen.conversation_id)
    assert people.remembered(("fp", 2)) is None


async def test_a_huge_display_name_is_clipped_to_its_column(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Hostile clients (issue 13): a 100 KB name is stored as the column's 200 characters, on SQLite too
    (which would otherwise keep it whole) and on PostgreSQL (which would refuse the row)."""
    people = PeopleRepository(sessions)
    person_id = await people.remember(Visitor("29:long", "Å" * 100_000, "aad-long", "t", "x" * 500), personal("a:long"))
    async with sessions() as session:
        person = await session.get(Person, person_id)
    assert person is not None and person.name == "Å" * 200 and person.locale == "x" * 20


async def test_the_per_sender_caches_stay_bounded(sessions: async_sessionmaker[AsyncSession],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storage.people.MAX_FINGERPRINTS", 50)
    people = PeopleRepository(sessions)
    for n in range(120):
        await people.remember(Visitor(f"29:s{n}", f"S{n}"), personal(f"a:s{n}"), fingerprint=("s", n))
    assert people.cache_sizes() == (50, 50)


async def test_the_per_sender_caches_hold_nothing_the_collector_tracks(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    """Each tracked object lengthens every full collection, which stops every turn under way: the caches
    hold thousands of senders, as tuples of strings and numbers the collector stops tracking."""
    people = PeopleRepository(sessions)

    async def remember(first: int, count: int) -> int:
        for n in range(first, first + count):
            fingerprint = ("message", "https://smba.example/", ("ChannelAccount", (("id", f"29:s{n}"),)))
            await people.remember(Visitor(f"29:s{n}", f"S{n}", locale="sv-SE"), personal(f"a:s{n}"), fingerprint)
        for _ in range(4):  # a nested tuple is let go one level per collection
            gc.collect()
        return len(gc.get_objects())

    before = await remember(0, 50)  # statements compiled, pools filled
    after = await remember(50, 500)
    assert people.cache_sizes() == (550, 550)
    assert after - before < 50


async def test_person_and_conversation_keep_their_own_tenants(sessions: async_sessionmaker[AsyncSession]) -> None:
    """PostgreSQL writes both rows in one statement: each row still gets its own values."""
    people = PeopleRepository(sessions)
    guest = Visitor("29:guest", "Gäst", "aad-guest", tenant_id="home-tenant")
    seen = ConversationSeen("a:guest", "personal", "https://smba.example/", "{}", tenant_id="region-tenant")
    person_id = await people.remember(guest, seen)
    async with sessions() as session:
        person = await session.get(Person, person_id)
        conversation = await session.scalar(select(Conversation).where(Conversation.conversation_id == "a:guest"))
    assert person is not None and person.tenant_id == "home-tenant"
    assert conversation is not None and conversation.tenant_id == "region-tenant"
    assert conversation.person_id == person_id and conversation.installed


async def test_a_group_chat_has_no_owner_and_a_known_person_a_new_chat(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = PeopleRepository(sessions)
    group = ConversationSeen("19:group@thread.v2", "groupChat", "https://smba.example/", "{}", tenant_id="t1")
    person_id = await people.remember(ANNA, group)
    assert person_id is not None
    # Another process meets Anna, stored and unchanged, in her personal chat for the first time.
    assert await PeopleRepository(sessions).remember(ANNA, personal()) == person_id
    async with sessions() as session:
        rows = (await session.execute(select(Conversation.conversation_id, Conversation.person_id))).all()
    owners = {conversation_id: owner for conversation_id, owner in rows}
    assert owners == {"19:group@thread.v2": None, "a:personal-anna": person_id}


async def test_a_first_contact_on_postgresql_is_one_statement_outside_a_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes its two statements in one transaction on the loop's thread")
    statements: list[tuple[str, object]] = []

    def executed(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append((statement, connection.get_execution_options().get("isolation_level")))

    event.listen(engine.sync_engine, "before_cursor_execute", executed)
    await PeopleRepository(sessions).remember(ANNA, personal())
    assert len(statements) == 1
    statement, isolation = statements[0]
    assert statement.startswith("WITH written AS (INSERT INTO person") and isolation == "AUTOCOMMIT"
