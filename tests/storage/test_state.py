"""SqlStorage passes botbuilder-testing's storage conformance tests on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from botbuilder.core import StoreItem
from botbuilder.testing import StorageBaseTests
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.state import ETagConflict, SqlStorage

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
