"""A Bot Connector on loopback that throttles the way Teams documents it, counting requests itself as
they arrive with the benchmark stub's ``TeamsWindows`` (no code shared with the bot's RateLimiter): per
bot and conversation 7 per second, 8 per 2 s, 60 per 30 s and 1800 per hour; per app 50 per second. A
request over a limit gets 429 with Retry-After and is not delivered. It can also fail chosen requests
once with a transient status (412, 429, 502, 503, 504) before it delivers them. Every delivered
activity is recorded, so a test can count answers and duplicates."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.stub_connector import TeamsWindows


class ThrottlingConnector:
    def __init__(self, failures: dict[str, list[int]] | None = None, retry_after: str = "1") -> None:
        self.failures = {conversation: list(statuses) for conversation, statuses in (failures or {}).items()}
        """Statuses a conversation's next requests get before one is delivered (consumed in order)."""
        self.retry_after = retry_after
        self.delivered: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.throttled = 0
        """429s for going over a window."""
        self.failed: list[int] = []
        """Transient failures given on purpose."""
        self.unexpected: list[str] = []
        self._windows = TeamsWindows()
        self._ids = itertools.count(1)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._activity)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._activity)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._activity)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_route("*", "/{tail:.*}", self._unexpected)
        return app

    async def _activity(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        body = await request.json()
        now = time.monotonic()
        if self._windows.retry_after(conversation, now) > 0:
            self.throttled += 1
            return web.json_response({"error": {"code": "Throttled", "message": "Too many requests"}}, status=429,
                                     headers={"Retry-After": self.retry_after})
        self._windows.accept(conversation, now)
        pending = self.failures.get(conversation)
        if pending:
            status = pending.pop(0)
            self.failed.append(status)
            headers = {"Retry-After": self.retry_after} if status == 429 else {}
            return web.json_response({"error": {"code": "ServiceError", "message": "transient"}}, status=status,
                                     headers=headers)
        self.delivered[conversation].append(body)
        return web.json_response({"id": f"activity-{next(self._ids)}"})

    async def _member(self, request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["member"], "name": ""})

    async def _unexpected(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path}")
        return web.json_response({"error": {"code": "NotFound"}}, status=404)


@asynccontextmanager
async def throttling_connector(failures: dict[str, list[int]] | None = None
                               ) -> AsyncIterator[tuple[ThrottlingConnector, str]]:
    stub = ThrottlingConnector(failures)
    server = TestServer(stub.app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    try:
        yield stub, str(server.make_url("/"))
    finally:
        await server.close()
