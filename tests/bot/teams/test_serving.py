"""The header deadline (issue 13): a client trickling its request headers is disconnected; a normal
request on the same kind of connection is served. Over raw sockets, with a short deadline for the test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.teams.serving import HEADER_TIMEOUT, DeadlineSite


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = DeadlineSite(runner, "127.0.0.1", 0, header_timeout=0.2)
    await site.start()
    yield site.port
    await runner.cleanup()


async def test_trickled_headers_are_cut_off(port: int) -> None:
    assert HEADER_TIMEOUT == 10.0
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
    await writer.drain()
    closed = False
    for _ in range(100):  # keeps trickling (5 s at most); the server cuts it off after 0.2 s
        try:
            writer.write(b"X-Slow: 1\r\n")
            await writer.drain()
            data = await asyncio.wait_for(reader.read(1), 0.05)
        except TimeoutError:
            continue
        except ConnectionError:
            closed = True
            break
        if data == b"":
            closed = True
            break
    writer.close()
    assert closed


async def test_a_normal_request_is_served(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert response.startswith(b"HTTP/1.1 200") and response.endswith(b"ok")
