"""A Bot Connector stand-in on loopback for tests that run the bot over HTTP (in-process or as a
subprocess): stored conversation references and activities point their serviceUrl at it.

It records every activity per conversation, can hold answers back (``delay``, per conversation or
for all) to keep requests in flight, and answers any endpoint it does not know with 404 while
recording it as unexpected (tests assert there were none)."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class ConnectorStub:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.delays: dict[str, float] = {}
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        """Activities per conversation, counted when the request arrived."""
        self.completed: dict[str, int] = defaultdict(int)
        """Answers sent back per conversation (the sender got its 200)."""
        self.unexpected: list[str] = []
        self._ids = itertools.count(1)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._activity)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._activity)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_route("*", "/{tail:.*}", self._unexpected)
        return app

    def texts(self, conversation: str) -> list[str]:
        return [str(a.get("text") or a.get("attachments") or "") for a in self.received.get(conversation, [])]

    def all_text(self) -> str:
        return "\n".join(str(a) for activities in self.received.values() for a in activities)

    async def wait_for(self, condition: Callable[[], bool], seconds: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"connector stub: condition not met within {seconds} s")
            await asyncio.sleep(0.02)

    async def _activity(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        self.received[conversation].append(await request.json())
        await asyncio.sleep(self.delays.get(conversation, self.delay))
        self.completed[conversation] += 1
        return web.json_response({"id": f"activity-{next(self._ids)}"})

    async def _update(self, request: web.Request) -> web.Response:
        self.received[request.match_info["conversation"]].append(await request.json())
        return web.json_response({"id": request.match_info["activity"]})

    async def _member(self, request: web.Request) -> web.Response:
        # TeamsInfo.get_member (prefilling the e-mail): Teams answers with the member, here without e-mail.
        return web.json_response({"id": request.match_info["member"], "name": ""})

    async def _unexpected(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path}")
        return web.json_response({"error": {"code": "NotFound"}}, status=404)


@asynccontextmanager
async def running_stub(delay: float = 0.0) -> AsyncIterator[tuple[ConnectorStub, str]]:
    """The stub served on 127.0.0.1; yields it and its base URL (the serviceUrl to use)."""
    stub = ConnectorStub(delay)
    # No access log: it would put the stub's own request lines among the bot's log records.
    server = TestServer(stub.app(), host="127.0.0.1")
    await server.start_server(access_log=None)
    try:
        yield stub, str(server.make_url("/"))
    finally:
        await server.close()
