"""Download and calendar routes over real HTTP: status codes, headers, bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.teams.downloads import Downloads
from bot.teams.http_files import calendar_route, content_disposition, download_route
from storage.db import create_engine, migrate, session_factory
from storage.downloads import DownloadRepository

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Calendars:
    """Stands in for the project lookup: knows one token and records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def __call__(self, token: str, name: str) -> bytes | None:
        self.asked.append((token, name))
        if token == "secret-token" and name in ("serie", "traff-1", "traff-12"):
            return ICS
        return None


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2027, 4, 2, 12, 0, tzinfo=UTC))


@pytest.fixture
async def downloads(tmp_path: Path) -> AsyncIterator[Downloads]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/d.db")
    await migrate(engine)
    yield Downloads(DownloadRepository(session_factory(engine)))
    await engine.dispose()


@pytest.fixture
def calendars() -> Calendars:
    return Calendars()


@pytest.fixture
async def client(
    downloads: Downloads, clock: Clock, calendars: Calendars
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    app.add_routes([download_route(downloads, clock), calendar_route(calendars)])
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_download_is_an_attachment_with_the_swedish_filename(
    client: TestClient[web.Request, web.Application], downloads: Downloads, clock: Clock
) -> None:
    token = await downloads.add("Anmälningar Hållbar upphandling.xlsx", XLSX, b"PK\x03\x04data", clock(), owner=None)
    response = await client.get(f"/downloads/{token}")
    assert response.status == 200
    assert await response.read() == b"PK\x03\x04data"
    assert response.headers["Content-Type"] == XLSX
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Anmalningar Hallbar upphandling.xlsx"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "Anmälningar Hållbar upphandling.xlsx"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_expired_download_is_not_found(
    client: TestClient[web.Request, web.Application], downloads: Downloads, clock: Clock
) -> None:
    token = await downloads.add("a.csv", "text/csv; charset=utf-8", b"x", clock(), owner=None)
    assert (await client.get(f"/downloads/{token}")).status == 200
    clock.now += timedelta(minutes=16)
    response = await client.get(f"/downloads/{token}")
    assert response.status == 404
    assert "gått ut" in await response.text()
    assert response.headers["Cache-Control"] == "no-store"


async def test_unknown_download_is_not_found(client: TestClient[web.Request, web.Application]) -> None:
    assert (await client.get("/downloads/guess")).status == 404
    assert (await client.get("/downloads/")).status == 404


async def test_series_calendar(client: TestClient[web.Request, web.Application], calendars: Calendars) -> None:
    response = await client.get("/calendar/secret-token/serie.ics")
    assert response.status == 200
    assert await response.read() == ICS
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="serie.ics"')
    assert calendars.asked == [("secret-token", "serie")]


async def test_one_meeting_calendar(client: TestClient[web.Request, web.Application], calendars: Calendars) -> None:
    assert (await client.get("/calendar/secret-token/traff-12.ics")).status == 200
    assert calendars.asked == [("secret-token", "traff-12")]


async def test_calendar_not_found_when_the_loader_has_none(
    client: TestClient[web.Request, web.Application], calendars: Calendars
) -> None:
    response = await client.get("/calendar/wrong-token/serie.ics")
    assert response.status == 404
    assert await response.text() == "Kalendern finns inte."
    assert (await client.get("/calendar/secret-token/traff-2.ics")).status == 404
    assert calendars.asked == [("wrong-token", "serie"), ("secret-token", "traff-2")]


@pytest.mark.parametrize(
    "path", ["/calendar/secret-token/annat.ics", "/calendar/secret-token/serie", "/calendar/serie.ics"]
)
async def test_other_calendar_names_never_reach_the_loader(
    client: TestClient[web.Request, web.Application], calendars: Calendars, path: str
) -> None:
    assert (await client.get(path)).status == 404
    assert calendars.asked == []


def test_content_disposition_cannot_be_broken_by_the_filename() -> None:
    header = content_disposition('a"b\r\nX-Evil: 1;.csv')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="a_b__X-Evil_ 1_.csv"; ')
    assert content_disposition("Ö.ics").startswith("attachment; filename=\"O.ics\"; filename*=UTF-8''%C3%96.ics")
    assert content_disposition("日本.csv").startswith('attachment; filename="__.csv"')
    assert content_disposition("").startswith('attachment; filename="download"')
