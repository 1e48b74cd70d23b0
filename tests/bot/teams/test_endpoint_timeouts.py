"""Hostile HTTP (issue 13): a client that trickles its body is answered 408 and let go, instead of
holding the connection for minutes. Driven over a raw socket, with a short timeout for the test."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.teams.endpoint import BODY_TIMEOUT, messages_route


class _NoBot:
    async def on_turn(self, _context: Any) -> None:
        raise AssertionError("a request without its body must not reach the bot")


async def test_a_trickled_body_gets_408() -> None:
    assert BODY_TIMEOUT == 30.0
    app = web.Application()
    app.router.add_post("/api/messages", messages_route(object(), _NoBot(), body_timeout=0.05))  # type: ignore[arg-type]
    async with TestServer(app) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"type\":")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 408")
