"""A turn frees what it made when it ends, by reference counting: nothing of it is left for the cyclic
collector, whose full collections stop every turn under way (app.GC_THRESHOLDS runs them seldom, which
is safe only while turns leave no cycles). Each kind of turn the benchmark sends (bench/loads.py),
through the whole app over HTTP, with the collector off; what it then finds unreachable is a cycle."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bench.loads import LOADS, activity_bytes, prepare
from bench.turns import unlimited
from bot.core.settings import Settings
from tests.connector_stub import running_stub
from tests.pg_database import as_setting, fresh_database

TURNS = 12


@contextmanager
def cycles_left() -> Iterator[Counter[str]]:
    """The types of the objects the block left in reference cycles."""
    found: Counter[str] = Counter()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield found
        gc.collect()
        found.update(type(thing).__qualname__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@asynccontextmanager
async def database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/garbage.db"
        return
    async with fresh_database() as url:
        yield as_setting(url)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_no_kind_of_turn_leaves_a_reference_cycle(kind: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.default_limiter", unlimited)  # a few dozen replies a conversation, at once
    async with database(kind, tmp_path) as database_url:
        left = await cycles_of_each_load(database_url)
    assert {name: dict(found) for name, found in left.items() if not set(found) <= SELECTIN} == {}
    assert {name: dict(found) for name, found in left.items() if max(found.values(), default=0) > 2 * TURNS} == {}


async def cycles_of_each_load(database_url: str) -> dict[str, Counter[str]]:
    settings = Settings(database_url=database_url, host="127.0.0.1", language="sv", demo_project=True,
                        test_hooks=True, quiet_hours="off").validate()
    async with running_stub() as (stub, stub_url), TestClient(TestServer(create_app(settings))) as client:

        async def post(body: bytes) -> int:
            response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
            await response.release()
            return response.status

        left: dict[str, Counter[str]] = {}
        for load in LOADS.values():
            ids = await prepare(load, database_url, str(client.make_url("")).rstrip("/"), stub_url, 2, post)
            for turn in range(3):  # statements compiled, clients built, the person known
                assert await post(activity_bytes(load, ids, stub_url, 0, turn)) in (200, 201)
            answers = sum(map(len, stub.received.values()))
            with cycles_left() as found:
                for turn in range(3, 3 + TURNS):
                    assert await post(activity_bytes(load, ids, stub_url, 0, turn)) in (200, 201)
            assert sum(map(len, stub.received.values())) - answers >= TURNS, load.name
            left[load.name] = found
        assert stub.unexpected == []
        return left


SELECTIN = {"BindParameter", "set", "frozenset", "dict"}
"""All that may be left: SQLAlchemy's selectin loader (a registration's meetings, for "mina anmälningar")
clones its IN-list parameter for each query, and the clone refers to itself through its set of clones.
Four small objects a query, where a turn left in a cycle is hundreds (its context, activities, response)."""
