"""Download links: stored in the database (any replica serves them), expiry with an injected clock,
unknown tokens, only a hash of the token stored, and a person's links revoked on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.teams.downloads import Download, Downloads
from storage.downloads import DownloadRepository
from storage.models import DownloadFile, Person

NOW = datetime(2027, 4, 2, 12, 0, tzinfo=UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def person(sessions: async_sessionmaker[AsyncSession], teams_id: str) -> int:
    async with sessions.begin() as session:
        row = Person(teams_id=teams_id, name=teams_id)
        session.add(row)
        await session.flush()
        return row.id


async def test_a_stored_file_is_served_until_it_expires(sessions: async_sessionmaker[AsyncSession]) -> None:
    downloads = Downloads(DownloadRepository(sessions))
    token = await downloads.add("Anmälningar.xlsx", XLSX, b"data", NOW, owner=None)
    expected = Download("Anmälningar.xlsx", XLSX, b"data", NOW + timedelta(minutes=15))
    assert await downloads.get(token, NOW) == expected
    assert await downloads.get(token, NOW + timedelta(minutes=14, seconds=59)) == expected
    assert await downloads.get(token, NOW + timedelta(minutes=15)) is None


async def test_another_process_on_the_same_database_serves_it(sessions: async_sessionmaker[AsyncSession]) -> None:
    token = await Downloads(DownloadRepository(sessions)).add("a.csv", "text/csv", b"x", NOW, owner=None)
    assert await Downloads(DownloadRepository(sessions)).get(token, NOW) is not None


async def test_expired_files_are_deleted_when_the_next_is_stored(sessions: async_sessionmaker[AsyncSession]) -> None:
    downloads = Downloads(DownloadRepository(sessions))
    await downloads.add("old.csv", "text/csv", b"o", NOW, owner=None, ttl=timedelta(minutes=1))
    await downloads.add("new.csv", "text/csv", b"n", NOW + timedelta(minutes=2), owner=None)
    async with sessions() as session:
        assert list(await session.scalars(select(DownloadFile.filename))) == ["new.csv"]


async def test_custom_lifetime(sessions: async_sessionmaker[AsyncSession]) -> None:
    downloads = Downloads(DownloadRepository(sessions))
    token = await downloads.add("a.csv", "text/csv", b"x", NOW, owner=None, ttl=timedelta(minutes=1))
    assert await downloads.get(token, NOW + timedelta(seconds=59)) is not None
    assert await downloads.get(token, NOW + timedelta(minutes=1)) is None


async def test_unknown_and_odd_tokens(sessions: async_sessionmaker[AsyncSession]) -> None:
    downloads = Downloads(DownloadRepository(sessions))
    await downloads.add("a.csv", "text/csv", b"x", NOW, owner=None)
    for token in ("not-a-token", "", "x" * 5000):
        assert await downloads.get(token, NOW) is None


async def test_tokens_are_long_random_url_safe_and_not_stored(sessions: async_sessionmaker[AsyncSession]) -> None:
    downloads = Downloads(DownloadRepository(sessions))
    tokens = {await downloads.add("a.csv", "text/csv", b"x", NOW, owner=None) for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(token) >= 43 and token.replace("-", "").replace("_", "").isalnum() for token in tokens)
    async with sessions() as session:
        stored = set(await session.scalars(select(DownloadFile.token_hash)))
    assert len(stored) == 20 and not stored & tokens  # the database alone does not give the addresses


async def test_a_persons_links_are_revoked_and_no_one_elses(sessions: async_sessionmaker[AsyncSession]) -> None:
    downloads = Downloads(DownloadRepository(sessions))
    anna, berit = await person(sessions, "29:anna"), await person(sessions, "29:berit")
    annas = [await downloads.add(f"{n}.json", "application/json", b"a", NOW, owner=anna) for n in range(3)]
    beritsm = await downloads.add("b.json", "application/json", b"b", NOW, owner=berit)
    assert await downloads.revoke_person(anna) == 3
    assert [await downloads.get(token, NOW) for token in annas] == [None, None, None]
    assert await downloads.get(beritsm, NOW) is not None
