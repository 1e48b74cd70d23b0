"""SqlStorage passes botbuilder-testing's storage conformance tests on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg.transaction
import pytest
from botbuilder.core import BotState, MemoryStorage, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botbuilder.testing import StorageBaseTests
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import create_engine
from storage.state import (
    ETagConflict,
    LeanConversationState,
    LeanUserState,
    SqliteLocalReader,
    SqlStorage,
    _CachedState,
)

CONFORMANCE = [
    "return_empty_object_when_reading_unknown_key",
    "handle_null_keys_when_reading",
    "handle_null_keys_when_writing",
    "does_not_raise_when_writing_no_items",
    "create_object",
    "handle_crazy_keys",
    "update_object",
    "delete_object",
    "delete_unknown_object",
    "perform_batch_operations",
    "proceeds_through_waterfall",
]


@pytest.fixture
def storage(sessions: async_sessionmaker[AsyncSession]) -> SqlStorage:
    return SqlStorage(sessions)


@pytest.mark.parametrize("case", CONFORMANCE)
async def test_conformance(storage: SqlStorage, case: str) -> None:
    assert await getattr(StorageBaseTests, case)(storage) is True


async def test_stale_etag_is_a_conflict_and_keeps_the_newer_value(storage: SqlStorage) -> None:
    await storage.write({"k": {"count": 1, "e_tag": "*"}})
    first = (await storage.read(["k"]))["k"]
    second = (await storage.read(["k"]))["k"]
    first["count"] = 2
    await storage.write({"k": first})
    second["count"] = 3
    with pytest.raises(ETagConflict):
        await storage.write({"k": second})
    assert (await storage.read(["k"]))["k"]["count"] == 2


async def test_objects_round_trip_with_etag(storage: SqlStorage) -> None:
    await storage.write({"obj": StoreItem(name="Älvdalen", e_tag="*")})
    item = (await storage.read(["obj"]))["obj"]
    assert item.name == "Älvdalen"
    assert item.e_tag


async def test_long_teams_conversation_keys(storage: SqlStorage) -> None:
    key = "msteams/conversations/19:" + "a" * 400 + "@thread.tacv2;messageid=1732579200000"
    await storage.write({key: {"dialog": [1, 2, 3]}})
    assert (await storage.read([key]))[key]["dialog"] == [1, 2, 3]


async def test_a_sqlite_file_is_read_on_the_loop_thread(sessions: async_sessionmaker[AsyncSession]) -> None:
    storage = SqlStorage(sessions)
    engine = sessions.kw["bind"]
    if engine.dialect.name != "sqlite":
        assert storage._local is None  # PostgreSQL: every read goes through the engine
        return
    assert storage._local is not None
    await storage.write({"k": {"n": 1}})
    assert storage._local.read(["k", "missing"])[0][0] == "k"
    assert (await storage.read(["k"]))["k"]["n"] == 1
    storage.close()


async def test_a_failing_local_read_falls_back_to_the_engine(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    storage = SqlStorage(sessions)
    await storage.write({"k": {"n": 2}})
    storage._local = SqliteLocalReader(str(tmp_path / "no such directory" / "state.db"))
    assert storage._local.read(["k"]) is None
    assert (await storage.read(["k"]))["k"]["n"] == 2


def test_an_in_memory_database_has_no_local_reader() -> None:
    assert SqliteLocalReader.for_engine(create_engine("sqlite+aiosqlite:///:memory:")) is None


class CountingStorage(MemoryStorage):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    async def write(self, changes: dict[str, Any]) -> None:
        self.writes += 1
        await super().write(changes)


@pytest.mark.parametrize("state_class", [LeanConversationState, LeanUserState])
async def test_lean_state_is_written_only_when_it_changed(state_class: type[BotState]) -> None:
    storage = CountingStorage()
    state = state_class(storage)
    dialogs = state.create_property("DialogState")
    adapter = TestAdapter()

    async def turn(change: Callable[[Any], None] | None) -> Any:
        context = TurnContext(adapter, Activity(
            type="message", channel_id="msteams", conversation=ConversationAccount(id="c-1"),
            from_property=ChannelAccount(id="29:a")))
        value = await dialogs.get(context, lambda: {"stack": [{"id": "reg", "state": {"step": 1}}]})
        if change is not None:
            change(value)
        await state.save_changes(context)
        return value

    await turn(None)  # the default was added: a change
    assert storage.writes == 1
    await turn(None)
    assert storage.writes == 1
    await turn(lambda value: value["stack"][0]["state"].update(step=2))  # a change deep inside
    assert storage.writes == 2
    assert (await turn(None))["stack"][0]["state"]["step"] == 2
    assert storage.writes == 2


@pytest.mark.parametrize("state_class", [LeanConversationState, LeanUserState])
async def test_a_state_nothing_was_stored_for_is_not_written_while_it_stays_empty(
        state_class: type[BotState]) -> None:
    """botbuilder writes ``{}`` on every first turn of a conversation (issue 18: a write transaction
    per first contact); read back, it is the same as no item."""
    storage = CountingStorage()
    state = state_class(storage)
    context = TurnContext(TestAdapter(), Activity(
        type="message", channel_id="msteams", conversation=ConversationAccount(id="c-2"),
        from_property=ChannelAccount(id="29:b")))
    await state.load(context)
    assert await state.create_property("DialogState").get(context) is None  # looked at, not set
    await state.save_changes(context)
    assert storage.writes == 0


def test_a_state_pickle_cannot_take_is_compared_as_botbuilder_compares_it() -> None:
    cached = _CachedState({"callback": lambda: None})
    assert isinstance(cached.hash, str) and not cached.is_changed


async def test_a_postgresql_read_opens_no_transaction(sessions: async_sessionmaker[AsyncSession],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """One SELECT, one round trip: no BEGIN before it and no ROLLBACK after."""
    storage = SqlStorage(sessions)
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite reads on the loop thread (see above)")
    await storage.write({"k": {"v": 1}})
    begun: list[object] = []
    original = asyncpg.transaction.Transaction.start

    async def counting(self: asyncpg.transaction.Transaction) -> None:
        begun.append(self)
        await original(self)

    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counting)
    assert (await storage.read(["k"]))["k"]["v"] == 1
    assert begun == []


async def test_a_failing_asyncpg_read_falls_back_to_sqlalchemy(sessions: async_sessionmaker[AsyncSession],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL state reads go through the asyncpg driver itself (issue 18); should that fail, the
    connection is dropped and the read goes through SQLAlchemy as before."""
    storage = SqlStorage(sessions)
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite reads on the loop thread (see above)")
    await storage.write({"k": {"v": 3}, "other": {"v": 4}})
    assert {key: item["v"] for key, item in (await storage.read(["k", "other", "none"])).items()} == {
        "k": 3, "other": 4}
    monkeypatch.setattr("storage.state._ASYNCPG_READ", "SELECT no_such_column FROM state_item")
    assert (await storage.read(["k"]))["k"]["v"] == 3
